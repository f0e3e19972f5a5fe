// Env: what a Store asks of the operating system. Every file-system call the
// store makes (blob files, ingest directories, staging, and, through SQLite's
// VFS, the catalog's own files) and every reading of the clock goes through
// the Env in Options::env; the default is the real file system and clock.
//
// LevelDB's Env is the model. Tests wrap the default with EnvWrapper and
// override a few calls: fail the Nth write, fsync or rename (of a blob file
// or of the catalog's WAL), or move time forward without sleeping. A program
// may do the same, e.g. to count I/O.
//
// The calls mirror the *at() system calls the store uses: a directory
// descriptor plus a name, and `path` (the whole path, for messages only).
// O_CLOEXEC is added to every open. Descriptors returned are the caller's to
// close(2). Errors are Status codes: NotFound for ENOENT, AlreadyExists for
// EEXIST, Unavailable for EWOULDBLOCK (a lock held by another open file),
// FailedPrecondition where extended attributes are not supported, IOError for
// everything else, disk full included ("No space left on device"); each
// message names the operation and `path`.
//
// Thread-safety: a Store calls its Env from many threads at once; an Env must
// be thread-safe. It must outlive every Store opened with it.

#ifndef CONTENTSTORE_ENV_H_
#define CONTENTSTORE_ENV_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"

namespace contentstore {

class Env {
 public:
  Env() = default;
  Env(const Env&) = delete;
  Env& operator=(const Env&) = delete;
  virtual ~Env() = default;

  // The real file system and clock. Never destroyed.
  static Env* Default();

  // --- Files and directories ---

  // openat(2). `dirfd` may be AT_FDCWD, with `name` a path.
  virtual Result<int> OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                             std::string_view path) = 0;
  // Writes all of `data` at `offset` (pwrite, retried until done).
  virtual Status WriteAt(int fd, const void* data, size_t size, int64_t offset,
                         std::string_view path) = 0;
  // Reads until `size` bytes or the end of the file; returns the count.
  virtual Result<size_t> ReadAt(int fd, void* data, size_t size, int64_t offset,
                                std::string_view path) = 0;
  virtual Status SyncData(int fd, std::string_view path) = 0;   // fdatasync
  virtual Status SyncDir(int dirfd, std::string_view path) = 0;  // fsync of a directory
  virtual Status Truncate(int fd, int64_t size, std::string_view path) = 0;
  // Reserves `size` bytes for the file (posix_fallocate): a later write into
  // them cannot fail for lack of space.
  virtual Status Allocate(int fd, int64_t size, std::string_view path) = 0;
  virtual Status ChangeMode(int fd, mode_t mode, std::string_view path) = 0;
  virtual Status ChangeModeAt(int dirfd, const std::string& name, mode_t mode,
                              std::string_view path) = 0;
  virtual Result<struct stat> StatFd(int fd, std::string_view path) = 0;
  // fstatat without following a symbolic link.
  virtual Result<struct stat> StatAt(int dirfd, const std::string& name,
                                     std::string_view path) = 0;
  // mkdirat; an existing directory is fine, an existing non-directory is not.
  virtual Status MakeDirAt(int dirfd, const std::string& name, std::string_view path,
                           mode_t mode) = 0;
  // renameat2(RENAME_NOREPLACE): AlreadyExists if the target exists.
  virtual Status RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                                 const std::string& new_name, std::string_view new_path) = 0;
  virtual Status Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
                        const std::string& new_name, std::string_view new_path) = 0;
  virtual Status LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                        const std::string& new_name, std::string_view new_path) = 0;
  // unlinkat; AT_REMOVEDIR in `flags` removes an empty directory.
  virtual Status UnlinkAt(int dirfd, const std::string& name, int flags,
                          std::string_view path) = 0;
  virtual Status SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                           std::string_view path) = 0;
  virtual Result<std::string> ReadLinkAt(int dirfd, const std::string& name,
                                         std::string_view path) = 0;
  // Names in the directory open at `dirfd`, without "." and "..", sorted.
  virtual Result<std::vector<std::string>> ListDir(int dirfd, std::string_view path) = 0;
  // flock(LOCK_EX | LOCK_NB): Unavailable while another open file holds it.
  // The kernel drops the lock when its holder's descriptor closes or its
  // process dies.
  virtual Status TryLock(int fd, std::string_view path) = 0;
  // flock(LOCK_SH | LOCK_NB): Unavailable while another open file holds the
  // exclusive lock; any number may share it.
  virtual Status TryLockShared(int fd, std::string_view path) = 0;
  // Extended attributes of an open file or directory. GetXattr gives nullopt
  // when the attribute is not set.
  virtual Status SetXattr(int fd, const std::string& name, std::string_view value,
                          std::string_view path) = 0;
  virtual Result<std::optional<std::string>> GetXattr(int fd, const std::string& name,
                                                      std::string_view path) = 0;
  virtual Status RemoveXattr(int fd, const std::string& name, std::string_view path) = 0;

  // --- The catalog's files ---

  // SQLite reads, writes, syncs and truncates the catalog's files itself.
  // When the Env is not Default(), the store opens the catalog through a
  // VFS that announces each such call here first ("read", "write", "sync",
  // "truncate", with the file's path); a non-OK status makes that call fail
  // as an I/O error would. The same VFS takes SQLite's idea of "now" (the
  // views' 'now') from NowNanos(). Default: OK.
  virtual Status BeforeCatalogIo(std::string_view op, std::string_view path);

  // --- Time ---

  // Wall-clock time, nanoseconds since the Unix epoch (UTC): commit times,
  // lease expiry, grace periods.
  virtual int64_t NowNanos() = 0;
  // A clock that never goes back, for measuring intervals.
  virtual int64_t MonotonicNanos() = 0;
  // Waits about `micros` (retrying a busy catalog, pacing the collector).
  virtual void SleepForMicros(int64_t micros) = 0;
};

// An Env that forwards every call to another: derive from it and override
// what a test or a program wants to change.
class EnvWrapper : public Env {
 public:
  explicit EnvWrapper(Env* target) : target_(target) {}
  Env* target() const { return target_; }

  Result<int> OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                     std::string_view path) override {
    return target_->OpenAt(dirfd, name, flags, mode, path);
  }
  Status WriteAt(int fd, const void* data, size_t size, int64_t offset,
                 std::string_view path) override {
    return target_->WriteAt(fd, data, size, offset, path);
  }
  Result<size_t> ReadAt(int fd, void* data, size_t size, int64_t offset,
                        std::string_view path) override {
    return target_->ReadAt(fd, data, size, offset, path);
  }
  Status SyncData(int fd, std::string_view path) override { return target_->SyncData(fd, path); }
  Status SyncDir(int dirfd, std::string_view path) override {
    return target_->SyncDir(dirfd, path);
  }
  Status Truncate(int fd, int64_t size, std::string_view path) override {
    return target_->Truncate(fd, size, path);
  }
  Status Allocate(int fd, int64_t size, std::string_view path) override {
    return target_->Allocate(fd, size, path);
  }
  Status ChangeMode(int fd, mode_t mode, std::string_view path) override {
    return target_->ChangeMode(fd, mode, path);
  }
  Status ChangeModeAt(int dirfd, const std::string& name, mode_t mode,
                      std::string_view path) override {
    return target_->ChangeModeAt(dirfd, name, mode, path);
  }
  Result<struct stat> StatFd(int fd, std::string_view path) override {
    return target_->StatFd(fd, path);
  }
  Result<struct stat> StatAt(int dirfd, const std::string& name, std::string_view path) override {
    return target_->StatAt(dirfd, name, path);
  }
  Status MakeDirAt(int dirfd, const std::string& name, std::string_view path,
                   mode_t mode) override {
    return target_->MakeDirAt(dirfd, name, path, mode);
  }
  Status RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                         const std::string& new_name, std::string_view new_path) override {
    return target_->RenameNoReplace(old_dirfd, old_name, new_dirfd, new_name, new_path);
  }
  Status Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
                const std::string& new_name, std::string_view new_path) override {
    return target_->Rename(old_dirfd, old_name, new_dirfd, new_name, new_path);
  }
  Status LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                const std::string& new_name, std::string_view new_path) override {
    return target_->LinkAt(old_dirfd, old_name, new_dirfd, new_name, new_path);
  }
  Status UnlinkAt(int dirfd, const std::string& name, int flags, std::string_view path) override {
    return target_->UnlinkAt(dirfd, name, flags, path);
  }
  Status SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                   std::string_view path) override {
    return target_->SymlinkAt(target, dirfd, name, path);
  }
  Result<std::string> ReadLinkAt(int dirfd, const std::string& name,
                                 std::string_view path) override {
    return target_->ReadLinkAt(dirfd, name, path);
  }
  Result<std::vector<std::string>> ListDir(int dirfd, std::string_view path) override {
    return target_->ListDir(dirfd, path);
  }
  Status TryLock(int fd, std::string_view path) override { return target_->TryLock(fd, path); }
  Status TryLockShared(int fd, std::string_view path) override {
    return target_->TryLockShared(fd, path);
  }
  Status SetXattr(int fd, const std::string& name, std::string_view value,
                  std::string_view path) override {
    return target_->SetXattr(fd, name, value, path);
  }
  Result<std::optional<std::string>> GetXattr(int fd, const std::string& name,
                                              std::string_view path) override {
    return target_->GetXattr(fd, name, path);
  }
  Status RemoveXattr(int fd, const std::string& name, std::string_view path) override {
    return target_->RemoveXattr(fd, name, path);
  }
  Status BeforeCatalogIo(std::string_view op, std::string_view path) override {
    return target_->BeforeCatalogIo(op, path);
  }
  int64_t NowNanos() override { return target_->NowNanos(); }
  int64_t MonotonicNanos() override { return target_->MonotonicNanos(); }
  void SleepForMicros(int64_t micros) override { target_->SleepForMicros(micros); }

 private:
  Env* target_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_ENV_H_
