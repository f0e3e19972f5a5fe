#include "env/unique_fd.h"

#include <unistd.h>

namespace contentstore {

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Result<UniqueFd> OpenAt(Env& env, int dirfd, const std::string& name, int flags, mode_t mode,
                        std::string_view path) {
  auto fd = env.OpenAt(dirfd, name, flags, mode, path);
  if (!fd.ok()) return fd.status();
  return UniqueFd(*fd);
}

Result<UniqueFd> OpenPath(Env& env, const std::string& path, int flags, mode_t mode) {
  return OpenAt(env, AT_FDCWD, path, flags, mode, path);
}

Result<UniqueFd> OpenDir(Env& env, const std::string& path) {
  return OpenAt(env, AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, path);
}

Result<UniqueFd> OpenDirAt(Env& env, int dirfd, const std::string& name, std::string_view path) {
  return OpenAt(env, dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW, 0, path);
}

}  // namespace contentstore
