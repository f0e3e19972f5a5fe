#include "files/commit_marker.h"

#include "files/layout.h"

namespace contentstore {
namespace {

std::string SymlinkPath(const std::string& dir_path) {
  return dir_path + "/" + Layout::kCommitMarker;
}

}  // namespace

std::string CommitMarkerValue(const std::string& blob_relative_path, const std::string& id) {
  return blob_relative_path + ":" + id;
}

std::optional<std::string> CommitMarkerTarget(const std::string& value, const std::string& id) {
  const size_t colon = value.find(':');
  if (colon == std::string::npos) return value;
  if (value.compare(colon + 1, std::string::npos, id) != 0) return std::nullopt;
  return value.substr(0, colon);
}

Status WriteCommitMarker(Env& env, int dir_fd, const std::string& dir_path,
                         const std::string& target) {
  Status s = env.SetXattr(dir_fd, kCommitMarkerXattr, target, dir_path);
  if (!s.IsFailedPrecondition()) return s;  // FailedPrecondition: no xattrs here
  (void)env.UnlinkAt(dir_fd, Layout::kCommitMarker, 0, SymlinkPath(dir_path));
  return env.SymlinkAt(target, dir_fd, Layout::kCommitMarker, SymlinkPath(dir_path));
}

Result<std::optional<std::string>> ReadCommitMarker(Env& env, int dir_fd,
                                                    const std::string& dir_path) {
  auto attr = env.GetXattr(dir_fd, kCommitMarkerXattr, dir_path);
  if (attr.ok() && *attr) return attr;
  if (!attr.ok() && !attr.status().IsFailedPrecondition()) return attr.status();
  auto link = env.ReadLinkAt(dir_fd, Layout::kCommitMarker, SymlinkPath(dir_path));
  if (link.ok()) return std::optional<std::string>(*link);
  if (link.status().IsNotFound() || link.status().IsIOError()) {
    // ENOENT, or EINVAL for something that is not a symlink: no marker.
    return std::optional<std::string>();
  }
  return link.status();
}

Status ClearCommitMarker(Env& env, int dir_fd, const std::string& dir_path) {
  Status s = env.RemoveXattr(dir_fd, kCommitMarkerXattr, dir_path);
  if (!s.ok() && !s.IsFailedPrecondition()) return s;
  Status u = env.UnlinkAt(dir_fd, Layout::kCommitMarker, 0, SymlinkPath(dir_path));
  return u.IsNotFound() ? Status::OK() : u;
}

}  // namespace contentstore
