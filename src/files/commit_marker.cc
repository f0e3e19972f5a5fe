#include "files/commit_marker.h"

#include <sys/xattr.h>

#include <cerrno>

#include "files/layout.h"
#include "env/posix.h"
#include "env/test_hooks.h"

namespace contentstore {
namespace {

bool NoXattrSupport(int err) { return err == ENOTSUP || err == EOPNOTSUPP; }

std::string SymlinkPath(const std::string& dir_path) {
  return dir_path + "/" + Layout::kCommitMarker;
}

}  // namespace

Status WriteCommitMarker(int dir_fd, const std::string& dir_path, const std::string& target) {
  if (Status fault = test_hooks::InjectedFault("setxattr", dir_path); !fault.ok()) return fault;
  if (::fsetxattr(dir_fd, kCommitMarkerXattr, target.data(), target.size(), 0) == 0) {
    return Status::OK();
  }
  if (!NoXattrSupport(errno)) return posix::ErrnoStatus("set commit marker on", dir_path, errno);
  (void)posix::UnlinkAt(dir_fd, Layout::kCommitMarker, 0, SymlinkPath(dir_path));
  return posix::SymlinkAt(target, dir_fd, Layout::kCommitMarker, SymlinkPath(dir_path));
}

Result<std::optional<std::string>> ReadCommitMarker(int dir_fd, const std::string& dir_path) {
  if (Status fault = test_hooks::InjectedFault("getxattr", dir_path); !fault.ok()) return fault;
  char buf[256];
  const ssize_t n = ::fgetxattr(dir_fd, kCommitMarkerXattr, buf, sizeof(buf));
  if (n >= 0) return std::optional<std::string>(std::string(buf, static_cast<size_t>(n)));
  if (errno != ENODATA && !NoXattrSupport(errno) && errno != ERANGE) {
    return posix::ErrnoStatus("read commit marker of", dir_path, errno);
  }
  auto link = posix::ReadLinkAt(dir_fd, Layout::kCommitMarker, SymlinkPath(dir_path));
  if (link.ok()) return std::optional<std::string>(*link);
  if (link.status().IsNotFound() || link.status().code() == Code::kIOError) {
    // ENOENT, or EINVAL for something that is not a symlink: no marker.
    return std::optional<std::string>();
  }
  return link.status();
}

Status ClearCommitMarker(int dir_fd, const std::string& dir_path) {
  if (Status fault = test_hooks::InjectedFault("removexattr", dir_path); !fault.ok()) return fault;
  if (::fremovexattr(dir_fd, kCommitMarkerXattr) != 0 && errno != ENODATA &&
      !NoXattrSupport(errno)) {
    return posix::ErrnoStatus("clear commit marker of", dir_path, errno);
  }
  Status s = posix::UnlinkAt(dir_fd, Layout::kCommitMarker, 0, SymlinkPath(dir_path));
  return s.IsNotFound() ? Status::OK() : s;
}

}  // namespace contentstore
