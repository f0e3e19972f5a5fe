// ROOT/lost+found/: where fsck --repair moves what the store did not put
// where it found it (a directory or symlink at a blob's path, a stray entry
// in blobs/, trash/, ingest/ or batches/), so a person can look at it and
// nothing is deleted on a guess.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_LOST_FOUND_H_
#define CONTENTSTORE_SRC_FILES_LOST_FOUND_H_

#include <string>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "files/layout.h"

namespace contentstore {

// Moves `path` (under the root) into lost+found as "<path with / as ->.<ns>"
// and returns its new path.
Result<std::string> MoveToLostFound(Env& env, const Layout& layout, const std::string& path);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_LOST_FOUND_H_
