#include "files/ingest_dirs.h"

#include <fcntl.h>

#include <fmt/format.h>


namespace contentstore {

IngestDirs::IngestDirs(Env& env, const Layout& layout) : env_(env), layout_(layout) {}

Status IngestDirs::Open() {
  auto fd = OpenDir(env_, layout_.ingest_root());
  if (!fd.ok()) return fd.status();
  root_fd_ = std::move(*fd);
  return Status::OK();
}

LocalFile IngestDirs::DataFile(const std::string& id, int dir_fd) const {
  return {dir_fd, Layout::kDataFile, PathOf(id) + "/" + Layout::kDataFile};
}

// Housekeeping (the sweep of orphan directories, the collector's look at
// stale ingests, fsck) holds an ingest directory's flock for moments; a
// writer waits those out before it calls the ref held by another writer.
Status IngestDirs::LockBriefly(int dir_fd, const std::string& path) {
  constexpr int kTries = 10;
  constexpr int64_t kPauseMicros = 5000;
  for (int i = 0;; ++i) {
    Status s = env_.TryLock(dir_fd, path);
    if (!s.IsUnavailable() || i + 1 == kTries) return s;
    env_.SleepForMicros(kPauseMicros);
  }
}

Result<UniqueFd> IngestDirs::CreateAndLock(const std::string& id) {
  const std::string path = PathOf(id);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (Status s = env_.MakeDirAt(root_fd_.get(), id, path, 0755); !s.ok()) return s;
    auto fd = OpenDirAt(env_, root_fd_.get(), id, path);
    if (fd.status().IsNotFound()) continue;
    if (!fd.ok()) return fd.status();
    if (Status s = LockBriefly(fd->get(), path); !s.ok()) return s;
    // Still the directory of that name? Else it was removed under us.
    auto held = env_.StatFd(fd->get(), path);
    if (!held.ok()) return held.status();
    auto named = env_.StatAt(root_fd_.get(), id, path);
    if (!named.ok() || named->st_ino != held->st_ino || named->st_dev != held->st_dev) continue;
    return std::move(*fd);
  }
  return Status::Unavailable(fmt::format("ingest directory {} keeps being removed", path));
}

Result<UniqueFd> IngestDirs::OpenExisting(const std::string& id) {
  return OpenDirAt(env_, root_fd_.get(), id, PathOf(id));
}

Status IngestDirs::TryLock(const std::string& id, int dir_fd) {
  return env_.TryLock(dir_fd, PathOf(id));
}

Status IngestDirs::Remove(const std::string& id, int dir_fd) {
  const std::string dir = PathOf(id);
  // A marker kept as an extended attribute goes with the directory; one
  // kept as a symlink is a file to remove.
  for (const char* name : {Layout::kDataFile, Layout::kCommitMarker}) {
    Status s = env_.UnlinkAt(dir_fd, name, 0, dir + "/" + name);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  Status s = env_.UnlinkAt(root_fd_.get(), id, AT_REMOVEDIR, dir);
  return s.IsNotFound() ? Status::OK() : s;
}

Result<std::vector<std::string>> IngestDirs::List() {
  return env_.ListDir(root_fd_.get(), layout_.ingest_root());
}

}  // namespace contentstore
