// SocketClaim: the unix socket path a server listens on, from before it
// binds until after it stops.
//
//  - A lock file beside the socket (ADDRESS.lock, flock'ed for the server's
//    life, holding its pid) keeps two servers starting at once from both
//    deciding the path is free.
//  - A socket file that accepts a connection belongs to a live server: the
//    claim fails with Unavailable, naming it. One that refuses connections
//    is stale (its server died) and is removed, so the new server can bind.
//    Anything else at the path is InvalidArgument: it is not ours to delete.
//  - After the bind the socket gets mode 0660 (owner and group may connect).
//  - When the claim ends, the socket and the lock file are removed if they
//    are still the ones this claim made.
//
// Thread-safety: one thread at a time.

#ifndef CONTENTSTORE_SERVER_LISTENER_H_
#define CONTENTSTORE_SERVER_LISTENER_H_

#include <sys/types.h>

#include <memory>
#include <string>

#include "contentstore/status.h"

namespace contentstore::server {

inline constexpr mode_t kSocketMode = 0660;

class SocketClaim {
 public:
  // `address` is a path, or "unix://PATH" / "unix:PATH" as containerd's
  // configuration and gRPC write it; relative paths are made absolute.
  static Result<std::unique_ptr<SocketClaim>> Claim(const std::string& address);

  ~SocketClaim();
  SocketClaim(const SocketClaim&) = delete;
  SocketClaim& operator=(const SocketClaim&) = delete;

  // The socket's absolute path.
  const std::string& path() const { return path_; }
  // The address to give gRPC: "unix:PATH".
  std::string uri() const { return "unix:" + path_; }

  // Called once the server has bound the socket: sets its mode and records
  // which file is ours to remove at the end.
  Status Bound();

 private:
  SocketClaim(std::string path, int lock_fd) : path_(std::move(path)), lock_fd_(lock_fd) {}

  std::string path_;
  int lock_fd_;
  bool bound_ = false;
  dev_t socket_dev_ = 0;
  ino_t socket_ino_ = 0;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_LISTENER_H_
