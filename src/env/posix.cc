#include "env/posix.h"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <vector>

#include <fmt/format.h>

#include "env/test_hooks.h"

namespace contentstore::posix {

#define CONTENTSTORE_FAULT(op, path)                                        \
  do {                                                                      \
    if (Status fault_ = test_hooks::InjectedFault(op, path); !fault_.ok()) \
      return fault_;                                                        \
  } while (0)

UniqueFd& UniqueFd::operator=(UniqueFd&& other) noexcept {
  if (this != &other) reset(other.release());
  return *this;
}

void UniqueFd::reset(int fd) {
  if (fd_ >= 0) ::close(fd_);
  fd_ = fd;
}

Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  std::string msg = fmt::format("{} {}: {}", op, path, std::strerror(err));
  switch (err) {
    case ENOENT: return Status::NotFound(std::move(msg));
    case EEXIST: return Status::AlreadyExists(std::move(msg));
    case EWOULDBLOCK: return Status::Unavailable(std::move(msg));
    default: return Status::IOError(std::move(msg));
  }
}

Result<UniqueFd> OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                        std::string_view path_for_messages) {
  CONTENTSTORE_FAULT("open", path_for_messages);
  int fd;
  do {
    fd = ::openat(dirfd, name.c_str(), flags | O_CLOEXEC, mode);
  } while (fd < 0 && errno == EINTR);
  if (fd < 0) return ErrnoStatus("open", path_for_messages, errno);
  return UniqueFd(fd);
}

Result<UniqueFd> Open(const std::string& path, int flags, mode_t mode) {
  return OpenAt(AT_FDCWD, path, flags, mode, path);
}

Result<UniqueFd> OpenDir(const std::string& path) {
  return OpenAt(AT_FDCWD, path, O_RDONLY | O_DIRECTORY, 0, path);
}

Status WriteAt(int fd, const void* data, size_t size, int64_t offset, std::string_view path) {
  CONTENTSTORE_FAULT("write", path);
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::pwrite(fd, p, size, offset);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    p += n;
    size -= static_cast<size_t>(n);
    offset += n;
  }
  return Status::OK();
}

Result<size_t> ReadAt(int fd, void* data, size_t size, int64_t offset, std::string_view path) {
  CONTENTSTORE_FAULT("read", path);
  char* p = static_cast<char*>(data);
  size_t total = 0;
  while (total < size) {
    ssize_t n = ::pread(fd, p + total, size - total, offset + static_cast<int64_t>(total));
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (n == 0) break;
    total += static_cast<size_t>(n);
  }
  return total;
}

Status SyncData(int fd, std::string_view path) {
  CONTENTSTORE_FAULT("fdatasync", path);
  if (::fdatasync(fd) != 0) return ErrnoStatus("fdatasync", path, errno);
  return Status::OK();
}

Status SyncDir(int dirfd, std::string_view path) {
  CONTENTSTORE_FAULT("fsync", path);
  if (::fsync(dirfd) != 0) return ErrnoStatus("fsync directory", path, errno);
  return Status::OK();
}

Status Truncate(int fd, int64_t size, std::string_view path) {
  CONTENTSTORE_FAULT("truncate", path);
  if (::ftruncate(fd, size) != 0) return ErrnoStatus("truncate", path, errno);
  return Status::OK();
}

Status ChangeMode(int fd, mode_t mode, std::string_view path) {
  CONTENTSTORE_FAULT("chmod", path);
  if (::fchmod(fd, mode) != 0) return ErrnoStatus("chmod", path, errno);
  return Status::OK();
}

Result<struct stat> StatFd(int fd, std::string_view path) {
  CONTENTSTORE_FAULT("stat", path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return ErrnoStatus("stat", path, errno);
  return st;
}

Result<struct stat> StatAt(int dirfd, const std::string& name, std::string_view path) {
  CONTENTSTORE_FAULT("stat", path);
  struct stat st {};
  if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
    return ErrnoStatus("stat", path, errno);
  }
  return st;
}

Status MakeDir(const std::string& path, mode_t mode) {
  return MakeDirAt(AT_FDCWD, path, path, mode);
}

Status MakeDirAt(int dirfd, const std::string& name, std::string_view path, mode_t mode) {
  CONTENTSTORE_FAULT("mkdir", path);
  if (::mkdirat(dirfd, name.c_str(), mode) != 0) {
    if (errno == EEXIST) {
      struct stat st {};
      if (::fstatat(dirfd, name.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
      return Status::IOError(fmt::format("mkdir {}: exists and is not a directory", path));
    }
    return ErrnoStatus("mkdir", path, errno);
  }
  return Status::OK();
}

Status RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                       const std::string& new_name, std::string_view new_path) {
  CONTENTSTORE_FAULT("rename", new_path);
  if (::syscall(SYS_renameat2, old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str(),
                RENAME_NOREPLACE) == 0) {
    return Status::OK();
  }
  if (errno != EINVAL && errno != ENOSYS) return ErrnoStatus("rename to", new_path, errno);
  // The file system cannot do RENAME_NOREPLACE: link() also refuses to
  // replace (git's finalize_object_file does the same).
  if (::linkat(old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str(), 0) != 0) {
    return ErrnoStatus("link to", new_path, errno);
  }
  ::unlinkat(old_dirfd, old_name.c_str(), 0);
  return Status::OK();
}

Status Rename(int old_dirfd, const std::string& old_name, int new_dirfd,
              const std::string& new_name, std::string_view new_path) {
  CONTENTSTORE_FAULT("rename", new_path);
  if (::renameat(old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str()) != 0) {
    return ErrnoStatus("rename to", new_path, errno);
  }
  return Status::OK();
}

Status UnlinkAt(int dirfd, const std::string& name, int flags, std::string_view path) {
  CONTENTSTORE_FAULT("unlink", path);
  if (::unlinkat(dirfd, name.c_str(), flags) != 0) return ErrnoStatus("remove", path, errno);
  return Status::OK();
}

Status SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                 std::string_view path) {
  CONTENTSTORE_FAULT("symlink", path);
  if (::symlinkat(target.c_str(), dirfd, name.c_str()) != 0) {
    return ErrnoStatus("symlink", path, errno);
  }
  return Status::OK();
}

Result<std::string> ReadLinkAt(int dirfd, const std::string& name, std::string_view path) {
  CONTENTSTORE_FAULT("readlink", path);
  std::vector<char> buf(256);
  for (;;) {
    ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
    if (n < 0) return ErrnoStatus("readlink", path, errno);
    if (static_cast<size_t>(n) < buf.size()) return std::string(buf.data(), static_cast<size_t>(n));
    buf.resize(buf.size() * 2);
  }
}

std::string RandomHex(size_t bytes) {
  std::vector<unsigned char> buf(bytes);
  size_t got = 0;
  while (got < bytes) {
    ssize_t n = ::getrandom(buf.data() + got, bytes - got, 0);
    if (n > 0) got += static_cast<size_t>(n);
  }
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  for (unsigned char b : buf) {
    out.push_back(kHex[b >> 4]);
    out.push_back(kHex[b & 0xf]);
  }
  return out;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

Status TryLockExclusive(int fd, std::string_view path) {
  CONTENTSTORE_FAULT("flock", path);
  int rc;
  do {
    rc = ::flock(fd, LOCK_EX | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus("lock", path, errno);
  return Status::OK();
}

}  // namespace contentstore::posix
