#include "files/oci_layout_files.h"

#include <fcntl.h>

#include "env/crash_point.h"
#include "env/random.h"

namespace contentstore {
namespace {

// Polls for the index lock: holders keep it for one small file write.
constexpr int64_t kLockPollMicros = 1000;

}  // namespace

Result<std::string> OciLayoutFiles::ReadRootFile(std::string_view name) {
  const std::string path = layout_.root() + "/" + std::string(name);
  auto fd = OpenPath(env_, path, O_RDONLY);
  if (!fd.ok()) return fd.status();
  std::string out;
  char buf[65536];
  for (;;) {
    auto n = env_.ReadAt(fd->get(), buf, sizeof buf, static_cast<int64_t>(out.size()), path);
    if (!n.ok()) return n.status();
    out.append(buf, *n);
    if (*n < sizeof buf) return out;
  }
}

Status OciLayoutFiles::ReplaceFile(std::string_view name, std::string_view temp,
                                   std::string_view contents) {
  const std::string& root = layout_.root();
  auto dir = OpenDir(env_, root);
  if (!dir.ok()) return dir.status();
  const std::string temp_name(temp), temp_path = root + "/" + temp_name;
  auto fd = OpenAt(env_, dir->get(), temp_name, O_WRONLY | O_CREAT | O_TRUNC, 0644, temp_path);
  if (!fd.ok()) return fd.status();
  if (Status s = env_.WriteAt(fd->get(), contents.data(), contents.size(), 0, temp_path);
      !s.ok()) {
    return s;
  }
  if (sync_) {
    if (Status s = env_.SyncData(fd->get(), temp_path); !s.ok()) return s;
  }
  fd->reset();
  test_hooks::CrashPoint("oci_layout.before_rename");
  const std::string final_name(name);
  if (Status s = env_.Rename(dir->get(), temp_name, dir->get(), final_name, root + "/" + final_name);
      !s.ok()) {
    return s;
  }
  if (sync_) return env_.SyncDir(dir->get(), root);
  return Status::OK();
}

Status OciLayoutFiles::EnsureLayoutFile() {
  auto right = LayoutFileIsRight();
  if (!right.ok()) return right.status();
  if (*right) return Status::OK();
  // Several opens may race here (in one process too): each writes the same
  // bytes through its own temp file.
  return ReplaceFile(Layout::kOciLayoutFile,
                     std::string(Layout::kOciLayoutFile) + ".tmp-" + RandomHex(8),
                     kOciLayoutContents);
}

Result<bool> OciLayoutFiles::LayoutFileIsRight() {
  auto contents = ReadRootFile(Layout::kOciLayoutFile);
  if (contents.status().IsNotFound()) return false;
  if (!contents.ok()) return contents.status();
  return *contents == kOciLayoutContents;
}

Result<UniqueFd> OciLayoutFiles::LockIndex() {
  const std::string path = layout_.root() + "/" + std::string(Layout::kIndexLockFile);
  auto fd = OpenPath(env_, path, O_RDWR | O_CREAT, 0644);
  if (!fd.ok()) return fd.status();
  for (;;) {
    Status s = env_.TryLock(fd->get(), path);
    if (s.ok()) return std::move(*fd);
    if (!s.IsUnavailable()) return s;
    env_.SleepForMicros(kLockPollMicros);
  }
}

Status OciLayoutFiles::WriteIndex(std::string_view contents) {
  return ReplaceFile(Layout::kIndexFile, Layout::kIndexTempFile, contents);
}

Result<std::string> OciLayoutFiles::ReadIndex() { return ReadRootFile(Layout::kIndexFile); }

Result<bool> OciLayoutFiles::IndexExists() {
  const std::string path = layout_.index_path();
  auto st = env_.StatAt(AT_FDCWD, path, path);
  if (st.ok()) return true;
  if (st.status().IsNotFound()) return false;
  return st.status();
}

}  // namespace contentstore
