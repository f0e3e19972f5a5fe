// errno to Status, in one place (LevelDB's PosixError): ENOENT is NotFound,
// EEXIST AlreadyExists, EWOULDBLOCK Unavailable, everything else IOError;
// the message is "<op> <path>: <strerror>".
//
// Thread-safety: pure function.

#ifndef CONTENTSTORE_SRC_ENV_ERRNO_STATUS_H_
#define CONTENTSTORE_SRC_ENV_ERRNO_STATUS_H_

#include <string_view>

#include "contentstore/status.h"

namespace contentstore {

Status ErrnoStatus(std::string_view op, std::string_view path, int err);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_ENV_ERRNO_STATUS_H_
