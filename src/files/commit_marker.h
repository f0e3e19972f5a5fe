// The commit marker: what a commit is about to publish, recorded on the
// ingest directory before the data is renamed into blobs/, so recovery can
// find the file if the writer dies before the catalog knows it
// (store/recovery.h).
//
// The marker is the directory's extended attribute user.contentstore.commit,
// holding "<alg>/<hex>:<id>" (the ingest's own id: a directory outlives its
// ingest as a spare, ingest_dirs.h, and a marker that survived a crash its
// clearing did not is recognisably another ingest's): setting it changes
// the directory's inode and allocates nothing, and it goes with the
// directory. Where the file system has no user extended attributes, it is a
// symlink ingest/<id>/commit with the same target instead. Either way it is
// ordered before the rename by the file system's metadata journal, and made
// durable with the rename by the fsync of blobs/<alg>/.
//
// Thread-safety: the caller holds the ingest directory's flock.

#ifndef CONTENTSTORE_SRC_FILES_COMMIT_MARKER_H_
#define CONTENTSTORE_SRC_FILES_COMMIT_MARKER_H_

#include <optional>
#include <string>

#include "contentstore/env.h"
#include "contentstore/status.h"

namespace contentstore {

inline constexpr char kCommitMarkerXattr[] = "user.contentstore.commit";

// "<blob relative path>:<ingest id>".
std::string CommitMarkerValue(const std::string& blob_relative_path, const std::string& id);
// The blob relative path of a marker, if it is ingest `id`'s (or names no
// ingest, as markers written before December 2026 did); nullopt for
// another's.
std::optional<std::string> CommitMarkerTarget(const std::string& value, const std::string& id);

Status WriteCommitMarker(Env& env, int dir_fd, const std::string& dir_path,
                         const std::string& target);
// nullopt when there is no marker.
Result<std::optional<std::string>> ReadCommitMarker(Env& env, int dir_fd,
                                                    const std::string& dir_path);
// Removing a marker that is not there is fine.
Status ClearCommitMarker(Env& env, int dir_fd, const std::string& dir_path);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_COMMIT_MARKER_H_
