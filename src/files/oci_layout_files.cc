#include "files/oci_layout_files.h"

#include <fcntl.h>

#include "env/random.h"
#include "files/root_files.h"

namespace contentstore {
namespace {

// Polls for the index lock: holders keep it for one small file write.
constexpr int64_t kLockPollMicros = 1000;

}  // namespace

Result<std::string> OciLayoutFiles::ReadRootFile(std::string_view name) {
  return contentstore::ReadRootFile(env_, layout_, name);
}

Status OciLayoutFiles::ReplaceFile(std::string_view name, std::string_view temp,
                                   std::string_view contents) {
  return ReplaceRootFile(env_, layout_, sync_, name, temp, contents, "oci_layout.before_rename");
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
