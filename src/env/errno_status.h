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

// What a full disk says in a message: strerror(ENOSPC). The catalog's
// SQLITE_FULL says it too.
inline constexpr std::string_view kNoSpaceText = "No space left on device";

// True when `status` failed because the disk (or a quota) is full.
bool IsNoSpace(const Status& status);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_ENV_ERRNO_STATUS_H_
