// Small files at ROOT (oci-layout, index.json, blobs-location): read whole,
// and replaced the safe way: a temporary file, written, fsynced, renamed
// over the old one, ROOT fsynced. A crash leaves the old file or the new
// one, never a torn one (and maybe the temporary file, which the next
// replacement truncates).
//
// Thread-safety: functions of their arguments; callers serialize writers of
// one temporary name.

#ifndef CONTENTSTORE_SRC_FILES_ROOT_FILES_H_
#define CONTENTSTORE_SRC_FILES_ROOT_FILES_H_

#include <string>
#include <string_view>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "files/layout.h"

namespace contentstore {

// ROOT/`name`'s bytes; NotFound when there is none.
Result<std::string> ReadRootFile(Env& env, const Layout& layout, std::string_view name);

// Replaces ROOT/`name` with `contents` through ROOT/`temp`; `sync`: fsync
// the file and ROOT (Options::sync). `crash_point` names the crash-test
// hook between the write and the rename (env/crash_point.h).
Status ReplaceRootFile(Env& env, const Layout& layout, bool sync, std::string_view name,
                       std::string_view temp, std::string_view contents,
                       const char* crash_point);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_ROOT_FILES_H_
