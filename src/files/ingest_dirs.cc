#include "files/ingest_dirs.h"

#include <fcntl.h>
#include <unistd.h>

#include <utility>

#include <fmt/format.h>

#include "env/crash_point.h"
#include "env/random.h"
#include "files/commit_marker.h"

namespace contentstore {

namespace {
constexpr std::string_view kSparePrefix = ".spare-";
}  // namespace

IngestDirs::IngestDirs(Env& env, const Layout& layout)
    : env_(env),
      layout_(layout),
      spare_prefix_(std::string(kSparePrefix) + RandomHex(6) + "-"),
      owner_pid_(::getpid()) {}

IngestDirs::~IngestDirs() {
  std::lock_guard lock(mu_);
  if (!SparesAreOurs()) return;  // the parent's, still locked by it
  for (Spare& spare : spares_) {
    (void)env_.UnlinkAt(root_fd_.get(), spare.name, AT_REMOVEDIR, PathOf(spare.name));
  }
}

bool IngestDirs::IsSpare(std::string_view name) { return name.starts_with(kSparePrefix); }

bool IngestDirs::SparesAreOurs() const { return ::getpid() == owner_pid_; }

Status IngestDirs::Open() {
  auto fd = OpenDir(env_, layout_.ingest_root());
  if (!fd.ok()) return fd.status();
  root_fd_ = std::move(*fd);
  return Status::OK();
}

LocalFile IngestDirs::DataFile(const std::string& id, int dir_fd) const {
  return {dir_fd, Layout::kDataFile, PathOf(id) + "/" + Layout::kDataFile};
}

Result<bool> IngestDirs::StillNamed(const std::string& id, int dir_fd) {
  const std::string path = PathOf(id);
  auto held = env_.StatFd(dir_fd, path);
  if (!held.ok()) return held.status();
  auto named = env_.StatAt(root_fd_.get(), id, path);
  if (named.status().IsNotFound()) return false;
  if (!named.ok()) return named.status();
  return named->st_ino == held->st_ino && named->st_dev == held->st_dev;
}

// Housekeeping (the sweep of orphan directories, the collector's look at
// stale ingests, fsck) holds an ingest directory's flock for moments; a
// writer waits those out before it calls the ref held by another writer.
// A directory that left its name meanwhile (an ingest ended and removed it,
// or made it a spare whose lock stays held) sets *moved: open the name again.
Status IngestDirs::LockBriefly(const std::string& id, int dir_fd, bool* moved) {
  constexpr int kTries = 10;
  constexpr int64_t kPauseMicros = 5000;
  const std::string path = PathOf(id);
  for (int i = 0;; ++i) {
    Status s = env_.TryLock(dir_fd, path);
    if (!s.IsUnavailable() || i + 1 == kTries) return s;
    auto named = StillNamed(id, dir_fd);
    if (!named.ok()) return named.status();
    if (!*named) {
      *moved = true;
      return s;
    }
    env_.SleepForMicros(kPauseMicros);
  }
}

Result<UniqueFd> IngestDirs::TakeSpare(const std::string& id) {
  Spare spare;
  {
    std::lock_guard lock(mu_);
    if (spares_.empty() || !SparesAreOurs()) return Status::NotFound("no spare ingest directory");
    spare = std::move(spares_.back());
    spares_.pop_back();
  }
  // The marker of the commit that ended in it is cleared now rather than at
  // that commit's end, where the write would wait on the inode block's
  // write-out the commit's fsyncs just started.
  Status s = ClearCommitMarker(env_, spare.fd.get(), PathOf(spare.name));
  test_hooks::CrashPoint("ingest_dirs.take_before_rename");
  if (s.ok()) s = env_.RenameNoReplace(root_fd_.get(), spare.name, root_fd_.get(), id, PathOf(id));
  if (s.ok()) {
    test_hooks::CrashPoint("ingest_dirs.take_after_rename");
    return std::move(spare.fd);
  }
  if (s.IsAlreadyExists()) {
    // The ingest's directory is there (a writer's, or one to resume): the
    // spare waits for the next one.
    std::lock_guard lock(mu_);
    spares_.push_back(std::move(spare));
  } else {
    (void)env_.UnlinkAt(root_fd_.get(), spare.name, AT_REMOVEDIR, PathOf(spare.name));
  }
  return Status::NotFound("no spare ingest directory");
}

Result<UniqueFd> IngestDirs::CreateAndLock(const std::string& id) {
  // The spare's flock is ours already. Whoever opened the directory under
  // an earlier name finds, once it gets the lock, that the name changed
  // (OpenLocked, and the check below).
  if (auto spare = TakeSpare(id); spare.ok()) return spare;
  const std::string path = PathOf(id);
  for (int attempt = 0; attempt < 5; ++attempt) {
    if (Status s = env_.MakeDirAt(root_fd_.get(), id, path, 0755); !s.ok()) return s;
    auto fd = OpenDirAt(env_, root_fd_.get(), id, path);
    if (fd.status().IsNotFound()) continue;
    if (!fd.ok()) return fd.status();
    bool moved = false;
    Status locked = LockBriefly(id, fd->get(), &moved);
    if (moved) continue;
    if (!locked.ok()) return locked;
    // Still the directory of that name? Else it was removed under us.
    auto named = StillNamed(id, fd->get());
    if (!named.ok()) return named.status();
    if (!*named) continue;
    return std::move(*fd);
  }
  return Status::Unavailable(fmt::format("ingest directory {} keeps being removed", path));
}

Result<UniqueFd> IngestDirs::OpenExisting(const std::string& id) {
  return OpenDirAt(env_, root_fd_.get(), id, PathOf(id));
}

Result<UniqueFd> IngestDirs::OpenLocked(const std::string& id) {
  auto fd = OpenExisting(id);
  if (!fd.ok()) return fd.status();
  if (Status s = env_.TryLock(fd->get(), PathOf(id)); !s.ok()) return s;
  auto named = StillNamed(id, fd->get());
  if (!named.ok()) return named.status();
  if (!*named) return Status::NotFound(PathOf(id) + " was removed or renamed meanwhile");
  return fd;
}

Status IngestDirs::Empty(const std::string& dir, int dir_fd) {
  // A marker kept as an extended attribute goes with the directory; one
  // kept as a symlink is a file to remove.
  for (const char* name : {Layout::kDataFile, Layout::kCommitMarker}) {
    Status s = env_.UnlinkAt(dir_fd, name, 0, dir + "/" + name);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  return Status::OK();
}

Status IngestDirs::Remove(const std::string& id, int dir_fd) {
  const std::string dir = PathOf(id);
  if (Status s = Empty(dir, dir_fd); !s.ok()) return s;
  Status s = env_.UnlinkAt(root_fd_.get(), id, AT_REMOVEDIR, dir);
  return s.IsNotFound() ? Status::OK() : s;
}

void IngestDirs::Retire(const std::string& id, UniqueFd dir_fd) {
  const std::string dir = PathOf(id);
  std::string name;
  {
    // The slot is taken now, so racing retirements keep at most kMaxSpares.
    std::lock_guard lock(mu_);
    if (spares_.size() + spares_pending_ < kMaxSpares && SparesAreOurs()) {
      name = spare_prefix_ + std::to_string(spares_made_++);
      ++spares_pending_;
    }
  }
  if (name.empty()) {
    (void)Remove(id, dir_fd.get());
    return;
  }
  // A spare carries no data; its marker attribute, if any, is cleared when
  // it is taken (TakeSpare), before it has an ingest's name.
  bool spared = false;
  if (Empty(dir, dir_fd.get()).ok()) {
    test_hooks::CrashPoint("ingest_dirs.retire_before_rename");
    spared = env_.RenameNoReplace(root_fd_.get(), id, root_fd_.get(), name, PathOf(name)).ok();
  }
  if (spared) test_hooks::CrashPoint("ingest_dirs.retire_after_rename");
  {
    std::lock_guard lock(mu_);
    --spares_pending_;
    if (spared) {
      spares_.push_back({std::move(name), std::move(dir_fd)});
      return;
    }
  }
  (void)Remove(id, dir_fd.get());
}

size_t IngestDirs::spare_count() {
  std::lock_guard lock(mu_);
  return spares_.size();
}

Result<std::vector<std::string>> IngestDirs::List() {
  return env_.ListDir(root_fd_.get(), layout_.ingest_root());
}

}  // namespace contentstore
