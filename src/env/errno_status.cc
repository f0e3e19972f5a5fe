#include "env/errno_status.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace contentstore {

Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  // A quota is a full disk to whoever holds it; one text lets IsNoSpace
  // (and a reader) tell both.
  std::string msg = err == EDQUOT ? fmt::format("{} {}: {} (disk quota exceeded)", op, path,
                                                kNoSpaceText)
                                  : fmt::format("{} {}: {}", op, path, std::strerror(err));
  switch (err) {
    case ENOENT: return Status::NotFound(std::move(msg));
    case EEXIST: return Status::AlreadyExists(std::move(msg));
    case EWOULDBLOCK: return Status::Unavailable(std::move(msg));
    default: return Status::IOError(std::move(msg));
  }
}

bool IsNoSpace(const Status& status) {
  return status.IsIOError() && status.message().find(kNoSpaceText) != std::string::npos;
}

}  // namespace contentstore
