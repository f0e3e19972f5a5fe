// TestEnv: the Env tests give a store (Options::env). It wraps the real one
// and adds two controls:
//  - a hook asked before every file-system call ("open", "write", "read",
//    "fdatasync", "fsync", "truncate", "allocate", "chmod", "stat", "mkdir",
//    "rename", "link", "unlink", "symlink", "readlink", "list", "flock",
//    "setxattr", "getxattr", "removexattr") and before the catalog's own I/O
//    ("catalog.read", "catalog.write", "catalog.sync", "catalog.truncate"):
//    a non-OK answer is returned instead of doing the call, so a test can fail
//    the Nth write or sync (LevelDB's FaultInjectionTestEnv);
//  - a wall clock that a test moves forward (Advance) instead of sleeping.
//    Monotonic time and sleeping stay real: waits for other processes need
//    real time to pass.
//
// Thread-safety: thread-safe; set the hook before the code under test runs.

#ifndef CONTENTSTORE_TESTS_TEST_ENV_H_
#define CONTENTSTORE_TESTS_TEST_ENV_H_

#include <atomic>
#include <chrono>
#include <functional>
#include <mutex>
#include <string_view>

#include "contentstore/env.h"

namespace contentstore::testing {

class TestEnv : public EnvWrapper {
 public:
  using Hook = std::function<Status(std::string_view op, std::string_view path)>;

  TestEnv() : EnvWrapper(Env::Default()) {}

  // nullptr removes the hook.
  void SetHook(Hook hook);
  // Moves the wall clock forward.
  void Advance(std::chrono::nanoseconds by) { offset_ns_ += by.count(); }

  Result<int> OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                     std::string_view path) override;
  Status WriteAt(int fd, const void* data, size_t size, int64_t offset,
                 std::string_view path) override;
  Result<size_t> ReadAt(int fd, void* data, size_t size, int64_t offset,
                        std::string_view path) override;
  Status SyncData(int fd, std::string_view path) override;
  Status SyncDir(int dirfd, std::string_view path) override;
  Status Truncate(int fd, int64_t size, std::string_view path) override;
  Status Allocate(int fd, int64_t size, std::string_view path) override;
  Status ChangeMode(int fd, mode_t mode, std::string_view path) override;
  Status ChangeModeAt(int dirfd, const std::string& name, mode_t mode,
                      std::string_view path) override;
  Result<struct stat> StatFd(int fd, std::string_view path) override;
  Result<struct stat> StatAt(int dirfd, const std::string& name, std::string_view path) override;
  Status MakeDirAt(int dirfd, const std::string& name, std::string_view path,
                   mode_t mode) override;
  Status RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                         const std::string& new_name, std::string_view new_path) override;
  Status Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
                const std::string& new_name, std::string_view new_path) override;
  Status LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                const std::string& new_name, std::string_view new_path) override;
  Status UnlinkAt(int dirfd, const std::string& name, int flags, std::string_view path) override;
  Status SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                   std::string_view path) override;
  Result<std::string> ReadLinkAt(int dirfd, const std::string& name,
                                 std::string_view path) override;
  Result<std::vector<std::string>> ListDir(int dirfd, std::string_view path) override;
  Status TryLock(int fd, std::string_view path) override;
  Status TryLockShared(int fd, std::string_view path) override;
  Status SetXattr(int fd, const std::string& name, std::string_view value,
                  std::string_view path) override;
  Result<std::optional<std::string>> GetXattr(int fd, const std::string& name,
                                              std::string_view path) override;
  Status RemoveXattr(int fd, const std::string& name, std::string_view path) override;
  Status BeforeCatalogIo(std::string_view op, std::string_view path) override;
  int64_t NowNanos() override { return target()->NowNanos() + offset_ns_.load(); }

 private:
  Status Ask(std::string_view op, std::string_view path);

  std::mutex mu_;
  Hook hook_;
  std::atomic<int64_t> offset_ns_{0};
};

}  // namespace contentstore::testing

#endif  // CONTENTSTORE_TESTS_TEST_ENV_H_
