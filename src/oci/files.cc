#include "oci/files.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "env/errno_status.h"

namespace contentstore::oci {

Result<size_t> ReadFull(int fd, std::span<std::byte> buf, std::string_view path) {
  size_t done = 0;
  while (done < buf.size()) {
    const ssize_t n = ::read(fd, buf.data() + done, buf.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("read", path, errno);
    }
    if (n == 0) break;
    done += static_cast<size_t>(n);
  }
  return done;
}

Result<std::string> ReadSmallFile(int fd, int64_t limit, std::string_view path) {
  std::string data;
  std::byte buf[64 << 10];
  for (;;) {
    auto got = ReadFull(fd, buf, path);
    if (!got.ok()) return got.status();
    data.append(reinterpret_cast<const char*>(buf), *got);
    if (static_cast<int64_t>(data.size()) > limit) {
      return Status::InvalidArgument(
          fmt::format("{} is larger than the {} bytes allowed", path, limit));
    }
    if (*got < sizeof buf) return data;
  }
}

Status WriteFull(int fd, std::span<const std::byte> data, std::string_view path) {
  size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd, data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("write", path, errno);
    }
    done += static_cast<size_t>(n);
  }
  return Status::OK();
}

Status WriteFull(int fd, std::string_view data, std::string_view path) {
  return WriteFull(fd, std::as_bytes(std::span<const char>(data.data(), data.size())), path);
}

Status SyncFd(int fd, std::string_view path) {
  if (::fsync(fd) != 0) return ErrnoStatus("fsync", path, errno);
  return Status::OK();
}

Status SyncDir(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open", path, errno);
  return SyncFd(fd.get(), path);
}

Status MakeDir(const std::string& path) {
  if (::mkdir(path.c_str(), 0755) == 0 || errno == EEXIST) {
    struct stat st;
    if (::stat(path.c_str(), &st) != 0) return ErrnoStatus("stat", path, errno);
    if (!S_ISDIR(st.st_mode)) {
      return Status::InvalidArgument(fmt::format("{} exists and is not a directory", path));
    }
    return Status::OK();
  }
  return ErrnoStatus("mkdir", path, errno);
}

std::string DirName(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status PublishFile(const std::string& path, std::string_view data) {
  const std::string tmp = fmt::format("{}.tmp-{}", path, ::getpid());
  {
    UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644));
    if (!fd.valid()) return ErrnoStatus("create", tmp, errno);
    Status s = WriteFull(fd.get(), data, tmp);
    if (s.ok()) s = SyncFd(fd.get(), tmp);
    if (!s.ok()) {
      ::unlink(tmp.c_str());
      return s;
    }
  }
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return ErrnoStatus("rename to", path, err);
  }
  return SyncDir(DirName(path));
}

}  // namespace contentstore::oci
