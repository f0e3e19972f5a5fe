// UniqueFd owns a file descriptor and closes it when it dies; OpenAt and
// OpenDir open through an Env and hand back a UniqueFd.
//
// Thread-safety: a UniqueFd is a value owned by one thread at a time; the
// functions are thread-safe.

#ifndef CONTENTSTORE_SRC_ENV_UNIQUE_FD_H_
#define CONTENTSTORE_SRC_ENV_UNIQUE_FD_H_

#include <fcntl.h>

#include <string>
#include <string_view>

#include "contentstore/env.h"
#include "contentstore/status.h"

namespace contentstore {

class UniqueFd {
 public:
  UniqueFd() = default;
  explicit UniqueFd(int fd) : fd_(fd) {}
  UniqueFd(UniqueFd&& other) noexcept : fd_(other.release()) {}
  UniqueFd& operator=(UniqueFd&& other) noexcept;
  UniqueFd(const UniqueFd&) = delete;
  UniqueFd& operator=(const UniqueFd&) = delete;
  ~UniqueFd() { reset(); }

  int get() const { return fd_; }
  bool valid() const { return fd_ >= 0; }
  int release() {
    int fd = fd_;
    fd_ = -1;
    return fd;
  }
  void reset(int fd = -1);

 private:
  int fd_ = -1;
};

// env.OpenAt as a UniqueFd.
Result<UniqueFd> OpenAt(Env& env, int dirfd, const std::string& name, int flags, mode_t mode,
                        std::string_view path);
// An absolute or relative path, opened with `flags`.
Result<UniqueFd> OpenPath(Env& env, const std::string& path, int flags, mode_t mode = 0644);
// An O_DIRECTORY | O_RDONLY descriptor, for fsync and *at() calls.
Result<UniqueFd> OpenDir(Env& env, const std::string& path);
Result<UniqueFd> OpenDirAt(Env& env, int dirfd, const std::string& name, std::string_view path);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_ENV_UNIQUE_FD_H_
