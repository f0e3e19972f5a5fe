// Claiming a unix socket path (see listener.h).

#include "listener.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <string_view>

namespace contentstore::server {
namespace {

Status Errno(std::string_view what, const std::string& path, int err) {
  return Status::IOError(fmt::format("{} {}: {}", what, path, std::strerror(err)));
}

std::string StripScheme(const std::string& address) {
  std::string_view a = address;
  if (a.starts_with("unix://")) return std::string(a.substr(7));
  if (a.starts_with("unix:")) return std::string(a.substr(5));
  return address;
}

bool SameFile(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

// The pid a lock file names, for the message ("" if unreadable).
std::string LockHolder(int fd) {
  char buf[32] = {};
  const ssize_t n = ::pread(fd, buf, sizeof(buf) - 1, 0);
  if (n <= 0) return "";
  std::string pid(buf, static_cast<size_t>(n));
  while (!pid.empty() && (pid.back() == '\n' || pid.back() == ' ')) pid.pop_back();
  return pid;
}

// Takes the lock file beside the socket; retries if the file it locked was
// replaced meanwhile (a stopping server removes its lock file).
Result<int> LockAddress(const std::string& path) {
  const std::string lock_path = path + ".lock";
  for (int attempt = 0; attempt < 10; ++attempt) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) return Errno("cannot open", lock_path, errno);
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      const int err = errno;
      const std::string holder = LockHolder(fd);
      ::close(fd);
      if (err != EWOULDBLOCK) return Errno("cannot lock", lock_path, err);
      return Status::Unavailable(fmt::format(
          "{} is in use by another contentstore server{}", path,
          holder.empty() ? "" : fmt::format(" (pid {})", holder)));
    }
    struct stat held {}, named {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 &&
        SameFile(held, named)) {
      const std::string pid = fmt::format("{}\n", ::getpid());
      if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
        const int err = errno;
        ::close(fd);
        return Errno("cannot write", lock_path, err);
      }
      return fd;
    }
    ::close(fd);
  }
  return Status::Unavailable(fmt::format("{}: its lock file keeps being replaced", lock_path));
}

// Removes a stale socket at `path`; fails if a server answers there or the
// path is not a socket.
Status ClearPath(const std::string& path) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    if (errno == ENOENT) return Status::OK();
    return Errno("cannot stat", path, errno);
  }
  if (!S_ISSOCK(st.st_mode)) {
    return Status::InvalidArgument(
        fmt::format("{} exists and is not a socket; not replacing it", path));
  }
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("cannot create a socket to probe", path, errno);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::memcpy(addr.sun_path, path.c_str(), path.size() + 1);
  const int rc = ::connect(fd, reinterpret_cast<const sockaddr*>(&addr), sizeof(addr));
  const int err = errno;
  ::close(fd);
  if (rc == 0) {
    return Status::Unavailable(
        fmt::format("{} is in use: a server is listening there", path));
  }
  if (err != ECONNREFUSED && err != ENOENT) return Errno("cannot probe", path, err);
  if (::unlink(path.c_str()) != 0 && errno != ENOENT) {
    return Errno("cannot remove the stale socket", path, errno);
  }
  return Status::OK();
}

}  // namespace

Result<std::unique_ptr<SocketClaim>> SocketClaim::Claim(const std::string& address) {
  std::string path = StripScheme(address);
  if (path.empty()) return Status::InvalidArgument("the socket address is empty");
  std::error_code ec;
  path = std::filesystem::absolute(path, ec).lexically_normal().string();
  if (ec) return Status::InvalidArgument(fmt::format("bad socket path {}: {}", address, ec.message()));
  if (path.size() >= sizeof(sockaddr_un::sun_path)) {
    return Status::InvalidArgument(fmt::format(
        "socket path {} is {} bytes long; unix sockets allow at most {}", path, path.size(),
        sizeof(sockaddr_un::sun_path) - 1));
  }
  auto lock_fd = LockAddress(path);
  if (!lock_fd.ok()) return lock_fd.status();
  std::unique_ptr<SocketClaim> claim(new SocketClaim(path, *lock_fd));
  if (Status s = ClearPath(path); !s.ok()) return s;
  return claim;
}

Status SocketClaim::Bound() {
  if (::chmod(path_.c_str(), kSocketMode) != 0) return Errno("cannot chmod", path_, errno);
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) return Errno("cannot stat", path_, errno);
  bound_ = true;
  socket_dev_ = st.st_dev;
  socket_ino_ = st.st_ino;
  return Status::OK();
}

SocketClaim::~SocketClaim() {
  struct stat st {};
  if (bound_ && ::lstat(path_.c_str(), &st) == 0 && st.st_dev == socket_dev_ &&
      st.st_ino == socket_ino_) {
    ::unlink(path_.c_str());
  }
  const std::string lock_path = path_ + ".lock";
  struct stat held {}, named {};
  if (::fstat(lock_fd_, &held) == 0 && ::stat(lock_path.c_str(), &named) == 0 &&
      SameFile(held, named)) {
    ::unlink(lock_path.c_str());
  }
  ::close(lock_fd_);
}

}  // namespace contentstore::server
