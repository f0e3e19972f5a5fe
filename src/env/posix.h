// The file-system seam: every system call the store makes on files and
// directories goes through here. Each function maps errno to a Status in one
// place (ENOENT -> NotFound, EEXIST -> AlreadyExists, the rest -> IOError,
// always with the path and strerror), retries EINTR and short transfers, and
// asks the test fault injector first (test_hooks.h).
//
// Thread-safety: all functions are safe to call concurrently.

#ifndef CONTENTSTORE_SRC_POSIX_H_
#define CONTENTSTORE_SRC_POSIX_H_

#include <sys/stat.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"

namespace contentstore::posix {

// Owns a file descriptor; closes it on destruction.
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

// "<op> <path>: <strerror>" with the code errno deserves.
Status ErrnoStatus(std::string_view op, std::string_view path, int err);

// open(2) relative to `dirfd` (AT_FDCWD for absolute paths). O_CLOEXEC is
// always added. `path_for_messages` names the file in errors.
Result<UniqueFd> OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                        std::string_view path_for_messages);
Result<UniqueFd> Open(const std::string& path, int flags, mode_t mode = 0644);
// An O_DIRECTORY|O_RDONLY descriptor, for fsync and *at() calls.
Result<UniqueFd> OpenDir(const std::string& path);

// Writes all of `data` at `offset`.
Status WriteAt(int fd, const void* data, size_t size, int64_t offset, std::string_view path);
// Reads until `size` bytes or end of file; returns the count.
Result<size_t> ReadAt(int fd, void* data, size_t size, int64_t offset, std::string_view path);

Status SyncData(int fd, std::string_view path);  // fdatasync
Status SyncDir(int dirfd, std::string_view path);  // fsync of a directory
Status Truncate(int fd, int64_t size, std::string_view path);
Status ChangeMode(int fd, mode_t mode, std::string_view path);
Result<struct stat> StatFd(int fd, std::string_view path);
// NotFound when the entry does not exist.
Result<struct stat> StatAt(int dirfd, const std::string& name, std::string_view path);

// mkdir; an existing directory is fine.
Status MakeDir(const std::string& path, mode_t mode = 0755);
Status MakeDirAt(int dirfd, const std::string& name, std::string_view path, mode_t mode = 0755);
// rename without replacing: AlreadyExists if `new_name` exists.
Status RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                       const std::string& new_name, std::string_view new_path);
Status Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
              const std::string& new_name, std::string_view new_path);
// unlinkat; NotFound when already gone. AT_REMOVEDIR in `flags` removes a
// directory.
Status UnlinkAt(int dirfd, const std::string& name, int flags, std::string_view path);
Status SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                 std::string_view path);
// NotFound when there is no such link.
Result<std::string> ReadLinkAt(int dirfd, const std::string& name, std::string_view path);

// `bytes` random bytes from the kernel (getrandom), as lowercase hex.
std::string RandomHex(size_t bytes);

// Names in a directory, without "." and "..", sorted; empty if it cannot be
// read.
std::vector<std::string> ListDir(const std::string& path);

// flock(LOCK_EX|LOCK_NB): Unavailable if another open file holds it. Locks
// belong to the open file, so two opens in one process exclude each other,
// and the kernel drops the lock when its holder dies.
Status TryLockExclusive(int fd, std::string_view path);

}  // namespace contentstore::posix

#endif  // CONTENTSTORE_SRC_POSIX_H_
