// Env::Default(): the real file system (POSIX *at() calls, Linux's
// renameat2 and flock) and the real clocks. Every call retries EINTR and
// short transfers, and turns errno into a Status naming the path
// (errno_status.h).

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/file.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <thread>

#include <fmt/format.h>

#include "contentstore/env.h"
#include "env/errno_status.h"

namespace contentstore {
namespace {

bool NoXattrSupport(int err) { return err == ENOTSUP || err == EOPNOTSUPP; }

Status XattrError(std::string_view op, std::string_view path, int err) {
  if (NoXattrSupport(err)) {
    return Status::FailedPrecondition(
        fmt::format("{} {}: extended attributes are not supported here", op, path));
  }
  return ErrnoStatus(op, path, err);
}

Status Flock(int fd, int how, std::string_view path) {
  int rc;
  do {
    rc = ::flock(fd, how | LOCK_NB);
  } while (rc != 0 && errno == EINTR);
  if (rc != 0) return ErrnoStatus("lock", path, errno);
  return Status::OK();
}

class PosixEnv final : public Env {
 public:
  Result<int> OpenAt(int dirfd, const std::string& name, int flags, mode_t mode,
                     std::string_view path) override {
    int fd;
    do {
      fd = ::openat(dirfd, name.c_str(), flags | O_CLOEXEC, mode);
    } while (fd < 0 && errno == EINTR);
    if (fd < 0) return ErrnoStatus("open", path, errno);
    return fd;
  }

  Status WriteAt(int fd, const void* data, size_t size, int64_t offset,
                 std::string_view path) override {
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

  Result<size_t> ReadAt(int fd, void* data, size_t size, int64_t offset,
                        std::string_view path) override {
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

  Status SyncData(int fd, std::string_view path) override {
    if (::fdatasync(fd) != 0) return ErrnoStatus("fdatasync", path, errno);
    return Status::OK();
  }

  Status SyncDir(int dirfd, std::string_view path) override {
    if (::fsync(dirfd) != 0) return ErrnoStatus("fsync directory", path, errno);
    return Status::OK();
  }

  Status Truncate(int fd, int64_t size, std::string_view path) override {
    if (::ftruncate(fd, size) != 0) return ErrnoStatus("truncate", path, errno);
    return Status::OK();
  }

  Status Allocate(int fd, int64_t size, std::string_view path) override {
    int err;
    do {
      err = ::posix_fallocate(fd, 0, size);
    } while (err == EINTR);
    if (err != 0) return ErrnoStatus("allocate", path, err);
    return Status::OK();
  }

  Status ChangeMode(int fd, mode_t mode, std::string_view path) override {
    if (::fchmod(fd, mode) != 0) return ErrnoStatus("chmod", path, errno);
    return Status::OK();
  }

  Status ChangeModeAt(int dirfd, const std::string& name, mode_t mode,
                      std::string_view path) override {
    if (::fchmodat(dirfd, name.c_str(), mode, 0) != 0) return ErrnoStatus("chmod", path, errno);
    return Status::OK();
  }

  Result<struct stat> StatFd(int fd, std::string_view path) override {
    struct stat st {};
    if (::fstat(fd, &st) != 0) return ErrnoStatus("stat", path, errno);
    return st;
  }

  Result<struct stat> StatAt(int dirfd, const std::string& name, std::string_view path) override {
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0) {
      return ErrnoStatus("stat", path, errno);
    }
    return st;
  }

  Status MakeDirAt(int dirfd, const std::string& name, std::string_view path,
                   mode_t mode) override {
    if (::mkdirat(dirfd, name.c_str(), mode) == 0) return Status::OK();
    if (errno != EEXIST) return ErrnoStatus("mkdir", path, errno);
    struct stat st {};
    if (::fstatat(dirfd, name.c_str(), &st, 0) == 0 && S_ISDIR(st.st_mode)) return Status::OK();
    return Status::IOError(fmt::format("mkdir {}: exists and is not a directory", path));
  }

  Status RenameNoReplace(int old_dirfd, const std::string& old_name, int new_dirfd,
                         const std::string& new_name, std::string_view new_path) override {
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
                const std::string& new_name, std::string_view new_path) override {
    if (::renameat(old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str()) != 0) {
      return ErrnoStatus("rename to", new_path, errno);
    }
    return Status::OK();
  }

  Status LinkAt(int old_dirfd, const std::string& old_name, int new_dirfd,
                const std::string& new_name, std::string_view new_path) override {
    if (::linkat(old_dirfd, old_name.c_str(), new_dirfd, new_name.c_str(), 0) != 0) {
      return ErrnoStatus("link to", new_path, errno);
    }
    return Status::OK();
  }

  Status UnlinkAt(int dirfd, const std::string& name, int flags, std::string_view path) override {
    if (::unlinkat(dirfd, name.c_str(), flags) != 0) return ErrnoStatus("remove", path, errno);
    return Status::OK();
  }

  Status SymlinkAt(const std::string& target, int dirfd, const std::string& name,
                   std::string_view path) override {
    if (::symlinkat(target.c_str(), dirfd, name.c_str()) != 0) {
      return ErrnoStatus("symlink", path, errno);
    }
    return Status::OK();
  }

  Result<std::string> ReadLinkAt(int dirfd, const std::string& name,
                                 std::string_view path) override {
    std::string buf(256, '\0');
    for (;;) {
      ssize_t n = ::readlinkat(dirfd, name.c_str(), buf.data(), buf.size());
      if (n < 0) return ErrnoStatus("readlink", path, errno);
      if (static_cast<size_t>(n) < buf.size()) {
        buf.resize(static_cast<size_t>(n));
        return buf;
      }
      buf.resize(buf.size() * 2);
    }
  }

  Result<std::vector<std::string>> ListDir(int dirfd, std::string_view path) override {
    // fdopendir takes the descriptor it is given: read a duplicate.
    int dup = ::openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dup < 0) return ErrnoStatus("list", path, errno);
    DIR* dir = ::fdopendir(dup);
    if (dir == nullptr) {
      const int err = errno;
      ::close(dup);
      return ErrnoStatus("list", path, err);
    }
    std::vector<std::string> names;
    errno = 0;
    while (dirent* e = ::readdir(dir)) {
      std::string name = e->d_name;
      if (name != "." && name != "..") names.push_back(std::move(name));
      errno = 0;
    }
    const int err = errno;
    ::closedir(dir);
    if (err != 0) return ErrnoStatus("list", path, err);
    std::sort(names.begin(), names.end());
    return names;
  }

  Status TryLock(int fd, std::string_view path) override { return Flock(fd, LOCK_EX, path); }
  Status TryLockShared(int fd, std::string_view path) override {
    return Flock(fd, LOCK_SH, path);
  }

  Status SetXattr(int fd, const std::string& name, std::string_view value,
                  std::string_view path) override {
    if (::fsetxattr(fd, name.c_str(), value.data(), value.size(), 0) != 0) {
      return XattrError("set attribute of", path, errno);
    }
    return Status::OK();
  }

  Result<std::optional<std::string>> GetXattr(int fd, const std::string& name,
                                              std::string_view path) override {
    std::string buf(256, '\0');
    for (;;) {
      const ssize_t n = ::fgetxattr(fd, name.c_str(), buf.data(), buf.size());
      if (n >= 0) {
        buf.resize(static_cast<size_t>(n));
        return std::optional<std::string>(std::move(buf));
      }
      if (errno == ENODATA) return std::optional<std::string>();
      if (errno != ERANGE || buf.size() >= (1 << 16)) {
        return XattrError("read attribute of", path, errno);
      }
      buf.resize(buf.size() * 4);
    }
  }

  Status RemoveXattr(int fd, const std::string& name, std::string_view path) override {
    if (::fremovexattr(fd, name.c_str()) != 0 && errno != ENODATA) {
      return XattrError("remove attribute of", path, errno);
    }
    return Status::OK();
  }

  int64_t NowNanos() override { return ClockNanos(CLOCK_REALTIME); }
  int64_t MonotonicNanos() override { return ClockNanos(CLOCK_MONOTONIC); }
  void SleepForMicros(int64_t micros) override {
    std::this_thread::sleep_for(std::chrono::microseconds(micros));
  }

 private:
  static int64_t ClockNanos(clockid_t clock) {
    struct timespec ts {};
    clock_gettime(clock, &ts);
    return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
  }
};

}  // namespace

Status Env::BeforeCatalogIo(std::string_view, std::string_view) { return Status::OK(); }

Env* Env::Default() {
  static PosixEnv* env = new PosixEnv();  // never destroyed: stores may outlive static destruction
  return env;
}

}  // namespace contentstore
