// Standard output that remembers how it broke, and best-effort standard error
// (see streams.h).

#include "streams.h"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

namespace contentstore::cli {
namespace {

int g_failed_errno = 0;  // the errno of the first failed write, 0 while all is well

Status Failure() {
  return Status::IOError(std::string("writing to standard output: ") +
                         std::strerror(g_failed_errno));
}

}  // namespace

Status WriteOut(std::span<const std::byte> bytes) {
  if (g_failed_errno != 0) return Failure();
  if (bytes.empty()) return Status::OK();
  errno = 0;
  if (std::fwrite(bytes.data(), 1, bytes.size(), stdout) != bytes.size()) {
    g_failed_errno = errno != 0 ? errno : EIO;
    return Failure();
  }
  return Status::OK();
}

Status WriteOut(std::string_view text) {
  return WriteOut(std::as_bytes(std::span<const char>(text.data(), text.size())));
}

Status FlushOut() {
  if (g_failed_errno != 0) return Failure();
  errno = 0;
  if (std::fflush(stdout) != 0) {
    g_failed_errno = errno != 0 ? errno : EIO;
    return Failure();
  }
  return Status::OK();
}

bool IsClosedByReader(const Status& status) {
  return g_failed_errno == EPIPE && status.code() == Code::kIOError &&
         status.message() == Failure().message();
}

void WriteErr(std::string_view text) {
  // stderr is unbuffered: this is one write(2), so lines from processes
  // sharing the terminal do not interleave mid-line.
  (void)std::fwrite(text.data(), 1, text.size(), stderr);
}

}  // namespace contentstore::cli
