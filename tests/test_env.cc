#include "test_env.h"

#include <string>

namespace contentstore::testing {

void TestEnv::SetHook(Hook hook) {
  std::lock_guard lock(mu_);
  hook_ = std::move(hook);
}

Status TestEnv::Ask(std::string_view op, std::string_view path) {
  Hook hook;
  {
    std::lock_guard lock(mu_);
    hook = hook_;
  }
  return hook ? hook(op, path) : Status::OK();
}

#define CONTENTSTORE_ASK(op, path)                               \
  do {                                                           \
    if (Status asked_ = Ask(op, path); !asked_.ok()) return asked_; \
  } while (0)

Result<int> TestEnv::OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                            std::string_view path) {
  CONTENTSTORE_ASK("open", path);
  return EnvWrapper::OpenAt(dirfd, name, flags, mode, path);
}
Status TestEnv::WriteAt(int fd, const void* data, size_t size, int64_t offset,
                        std::string_view path) {
  CONTENTSTORE_ASK("write", path);
  return EnvWrapper::WriteAt(fd, data, size, offset, path);
}
Result<size_t> TestEnv::ReadAt(int fd, void* data, size_t size, int64_t offset,
                               std::string_view path) {
  CONTENTSTORE_ASK("read", path);
  return EnvWrapper::ReadAt(fd, data, size, offset, path);
}
Status TestEnv::SyncData(int fd, std::string_view path) {
  CONTENTSTORE_ASK("fdatasync", path);
  return EnvWrapper::SyncData(fd, path);
}
Status TestEnv::SyncDir(int dirfd, std::string_view path) {
  CONTENTSTORE_ASK("fsync", path);
  return EnvWrapper::SyncDir(dirfd, path);
}
Status TestEnv::Truncate(int fd, int64_t size, std::string_view path) {
  CONTENTSTORE_ASK("truncate", path);
  return EnvWrapper::Truncate(fd, size, path);
}
Status TestEnv::Allocate(int fd, int64_t size, std::string_view path) {
  CONTENTSTORE_ASK("allocate", path);
  return EnvWrapper::Allocate(fd, size, path);
}
Status TestEnv::ChangeMode(int fd, mode_t mode, std::string_view path) {
  CONTENTSTORE_ASK("chmod", path);
  return EnvWrapper::ChangeMode(fd, mode, path);
}
Status TestEnv::ChangeModeAt(int dirfd, const std::string& name, mode_t mode,
                             std::string_view path) {
  CONTENTSTORE_ASK("chmod", path);
  return EnvWrapper::ChangeModeAt(dirfd, name, mode, path);
}
Result<struct stat> TestEnv::StatFd(int fd, std::string_view path) {
  CONTENTSTORE_ASK("stat", path);
  return EnvWrapper::StatFd(fd, path);
}
Result<struct stat> TestEnv::StatAt(int dirfd, const std::string& name, std::string_view path) {
  CONTENTSTORE_ASK("stat", path);
  return EnvWrapper::StatAt(dirfd, name, path);
}
Status TestEnv::MakeDirAt(int dirfd, const std::string& name, std::string_view path,
                          mode_t mode) {
  CONTENTSTORE_ASK("mkdir", path);
  return EnvWrapper::MakeDirAt(dirfd, name, path, mode);
}
Status TestEnv::RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                                const std::string& new_name, std::string_view new_path) {
  CONTENTSTORE_ASK("rename", new_path);
  return EnvWrapper::RenameNoReplace(old_dirfd, old_name, new_dirfd, new_name, new_path);
}
Status TestEnv::Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
                       const std::string& new_name, std::string_view new_path) {
  CONTENTSTORE_ASK("rename", new_path);
  return EnvWrapper::Rename(old_dirfd, old_name, new_dirfd, new_name, new_path);
}
Status TestEnv::LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                       const std::string& new_name, std::string_view new_path) {
  CONTENTSTORE_ASK("link", new_path);
  return EnvWrapper::LinkAt(old_dirfd, old_name, new_dirfd, new_name, new_path);
}
Status TestEnv::UnlinkAt(int dirfd, const std::string& name, int flags, std::string_view path) {
  CONTENTSTORE_ASK("unlink", path);
  return EnvWrapper::UnlinkAt(dirfd, name, flags, path);
}
Status TestEnv::SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                          std::string_view path) {
  CONTENTSTORE_ASK("symlink", path);
  return EnvWrapper::SymlinkAt(target, dirfd, name, path);
}
Result<std::string> TestEnv::ReadLinkAt(int dirfd, const std::string& name,
                                        std::string_view path) {
  CONTENTSTORE_ASK("readlink", path);
  return EnvWrapper::ReadLinkAt(dirfd, name, path);
}
Result<std::vector<std::string>> TestEnv::ListDir(int dirfd, std::string_view path) {
  CONTENTSTORE_ASK("list", path);
  return EnvWrapper::ListDir(dirfd, path);
}
Status TestEnv::TryLock(int fd, std::string_view path) {
  CONTENTSTORE_ASK("flock", path);
  return EnvWrapper::TryLock(fd, path);
}
Status TestEnv::TryLockShared(int fd, std::string_view path) {
  CONTENTSTORE_ASK("flock", path);
  return EnvWrapper::TryLockShared(fd, path);
}
Status TestEnv::SetXattr(int fd, const std::string& name, std::string_view value,
                         std::string_view path) {
  CONTENTSTORE_ASK("setxattr", path);
  return EnvWrapper::SetXattr(fd, name, value, path);
}
Result<std::optional<std::string>> TestEnv::GetXattr(int fd, const std::string& name,
                                                     std::string_view path) {
  CONTENTSTORE_ASK("getxattr", path);
  return EnvWrapper::GetXattr(fd, name, path);
}
Status TestEnv::RemoveXattr(int fd, const std::string& name, std::string_view path) {
  CONTENTSTORE_ASK("removexattr", path);
  return EnvWrapper::RemoveXattr(fd, name, path);
}
Status TestEnv::BeforeCatalogIo(std::string_view op, std::string_view path) {
  return Ask(std::string("catalog.") + std::string(op), path);
}

}  // namespace contentstore::testing
