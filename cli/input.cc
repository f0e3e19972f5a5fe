// Reading and skipping ingest input (see input.h).

#include "input.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "output.h"

namespace contentstore::cli {
namespace {

Status ErrnoStatus(std::string_view what, const std::string& name, int err) {
  return Status::IOError(fmt::format("{} {}: {}", what, Escaped(name), std::strerror(err)));
}

}  // namespace

Result<Input> Input::Open(const std::string& path) {
  if (path.empty() || path == "-") return Input(STDIN_FILENO, false, "standard input");
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return ErrnoStatus("opening", path, errno);
  Input input(fd, true, path);
  struct stat st {};
  if (::fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(fmt::format("{} is a directory", Escaped(path)));
  }
  return input;
}

Input::Input(Input&& other) noexcept
    : fd_(other.fd_), owned_(other.owned_), name_(std::move(other.name_)) {
  other.owned_ = false;
}

Input::~Input() {
  if (owned_) ::close(fd_);
}

Result<size_t> Input::Read(std::span<std::byte> buf) {
  size_t got = 0;
  while (got < buf.size()) {
    const ssize_t n = ::read(fd_, buf.data() + got, buf.size() - got);
    if (n < 0) {
      if (errno == EINTR) continue;
      return ErrnoStatus("reading", name_, errno);
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  return got;
}

Status Input::Skip(int64_t count, std::span<std::byte> scratch) {
  if (count <= 0) return Status::OK();
  auto too_short = [&](int64_t available) {
    return Status::FailedPrecondition(fmt::format(
        "{} has {} bytes where the resumed ingest already holds {}: it is not the same data",
        Escaped(name_), available, count));
  };
  struct stat st {};
  if (::fstat(fd_, &st) == 0 && S_ISREG(st.st_mode)) {
    const off_t here = ::lseek(fd_, 0, SEEK_CUR);
    if (here >= 0) {
      const int64_t available = std::max<int64_t>(0, st.st_size - here);
      if (available < count) return too_short(available);
      if (::lseek(fd_, static_cast<off_t>(count), SEEK_CUR) < 0) {
        return ErrnoStatus("seeking in", name_, errno);
      }
      return Status::OK();
    }
    // Not seekable after all: fall through and read.
  }
  int64_t skipped = 0;
  while (skipped < count) {
    const size_t want = static_cast<size_t>(
        std::min<int64_t>(count - skipped, static_cast<int64_t>(scratch.size())));
    auto got = Read(scratch.first(want));
    if (!got.ok()) return got.status();
    if (*got == 0) return too_short(skipped);
    skipped += static_cast<int64_t>(*got);
  }
  return Status::OK();
}

}  // namespace contentstore::cli
