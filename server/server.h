// Server: containerd's content service on a unix socket, over a Store, from
// start to a graceful stop. This is the lifecycle; the methods are in
// content_service.h, the socket path's rules in listener.h.
//
// Stop() is graceful: new calls are refused (UNAVAILABLE); Write streams
// waiting for their client's next message are cancelled (CANCELLED) and
// busy ones end after their current message (UNAVAILABLE), their ingests
// resumable either way; other calls in flight get up to
// ServeOptions::stop_grace to finish and are cancelled after that; then
// connections are closed, idle ones at once. It returns when every call has
// ended.
//
// Thread-safety: Stop() may be called from any thread, once or many times;
// Wait() from any thread.

#ifndef CONTENTSTORE_SERVER_SERVER_H_
#define CONTENTSTORE_SERVER_SERVER_H_

#include <grpcpp/server.h>

#include <chrono>
#include <memory>
#include <mutex>
#include <string>

#include "call_gate.h"
#include "content_service.h"
#include "contentstore/status.h"
#include "contentstore/store.h"
#include "listener.h"
#include "write_streams.h"

namespace contentstore::server {

struct ServeOptions {
  // The unix socket to listen on (a path, or unix://PATH). Required.
  std::string address;
  // Largest message received or sent. Default: 16 MiB, containerd's limit
  // (gRPC's own default of 4 MiB refuses containerd's larger writes).
  int max_message_bytes = 16 << 20;
  // How long a Write stream's open, or an Abort, waits for a ref held by
  // another writer before answering Unavailable. Default: 1 s, about what
  // containerd's local store retries.
  std::chrono::milliseconds lock_wait{1000};
  // How long Stop() lets calls in flight finish before cancelling them.
  // Default: 10 s.
  std::chrono::milliseconds stop_grace{10000};
  // Most calls served at once (each takes a thread while it runs); past it,
  // new calls are refused with RESOURCE_EXHAUSTED. Default: 1024.
  int max_threads = 1024;
};

class Server {
 public:
  // Claims the address, binds it (mode 0660) and starts serving `store`,
  // which must outlive the Server. Unavailable if a live server holds the
  // address; InvalidArgument if something other than a socket is there.
  static Result<std::unique_ptr<Server>> Start(Store& store, const ServeOptions& options);

  // Stop()s, then removes the socket.
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // The socket's absolute path.
  const std::string& address() const { return claim_->path(); }

  void Stop();
  // Returns once the server has stopped.
  void Wait();

 private:
  Server(Store& store, const ServeOptions& options, std::unique_ptr<SocketClaim> claim);

  const ServeOptions options_;
  std::unique_ptr<SocketClaim> claim_;
  CallGate gate_;
  WriteStreams streams_;
  ContentService service_;
  std::unique_ptr<grpc::Server> grpc_;
  std::mutex stop_mu_;
  bool stopped_ = false;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_SERVER_H_
