#include "env/errno_status.h"

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace contentstore {

Status ErrnoStatus(std::string_view op, std::string_view path, int err) {
  std::string msg = fmt::format("{} {}: {}", op, path, std::strerror(err));
  switch (err) {
    case ENOENT: return Status::NotFound(std::move(msg));
    case EEXIST: return Status::AlreadyExists(std::move(msg));
    case EWOULDBLOCK: return Status::Unavailable(std::move(msg));
    default: return Status::IOError(std::move(msg));
  }
}

}  // namespace contentstore
