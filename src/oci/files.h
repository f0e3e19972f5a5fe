// The few POSIX file steps the layout readers and writers share: whole
// small files read with a limit, full writes, fsync of a file and of a
// directory, a file published by temp + fsync + rename + directory fsync.
// Errors go through ErrnoStatus (env/errno_status.h) with the path.
//
// Thread-safety: pure functions of their arguments.

#ifndef CONTENTSTORE_SRC_OCI_FILES_H_
#define CONTENTSTORE_SRC_OCI_FILES_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "contentstore/status.h"
#include "env/unique_fd.h"

namespace contentstore::oci {

// All of `fd` (at most `limit` bytes: more is InvalidArgument naming `path`).
Result<std::string> ReadSmallFile(int fd, int64_t limit, std::string_view path);
// Up to buf.size() bytes; fewer only at the end of the file.
Result<size_t> ReadFull(int fd, std::span<std::byte> buf, std::string_view path);
Status WriteFull(int fd, std::span<const std::byte> data, std::string_view path);
Status WriteFull(int fd, std::string_view data, std::string_view path);
Status SyncFd(int fd, std::string_view path);
Status SyncDir(const std::string& path);
// mkdir that is OK when the directory exists.
Status MakeDir(const std::string& path);
// Writes `data` to `path` durably: a temporary file beside it, fsync,
// rename over `path`, fsync of the directory. A crash leaves the old file
// or the new one, and maybe a temporary file named "<path>.tmp-<pid>".
Status PublishFile(const std::string& path, std::string_view data);
// The directory part of `path` ("." when it has none).
std::string DirName(const std::string& path);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_FILES_H_
