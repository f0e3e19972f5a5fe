// ROOT/lost+found/: where fsck --repair moves what the store did not put
// where it found it (a directory or symlink at a blob's path, a stray entry
// in blobs/, trash/, ingest/ or batches/), so a person can look at it and
// nothing is deleted on a guess.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_LOST_FOUND_H_
#define CONTENTSTORE_SRC_FILES_LOST_FOUND_H_

#include <cstdint>
#include <string>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "files/layout.h"

namespace contentstore {

// The name something at `relative` (a path under the root, or a key under
// a bucket's prefix) gets in lost+found: "blobs/sha256/<hex>" becomes
// "blobs-sha256-<hex>.<now_ns>", unique, and it says where it came from.
std::string LostFoundName(std::string relative, int64_t now_ns);

// Moves `path` (under the root) into lost+found as LostFoundName says and
// returns its new path.
Result<std::string> MoveToLostFound(Env& env, const Layout& layout, const std::string& path);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_LOST_FOUND_H_
