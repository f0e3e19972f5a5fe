// IngestDirs: the directories of ingests in progress, ROOT/ingest/<id>/,
// each holding the upload's data file and, while a commit is under way, its
// commit marker (commit_marker.h).
//
// A directory is also its ingest's kernel lock: a writer holds an flock on
// it for as long as it is open, so the kernel, not the catalog, decides who
// holds a ref, and a dead holder's lock is gone with its process.
//
// Thread-safety: thread-safe; a locked directory belongs to its holder.

#ifndef CONTENTSTORE_SRC_FILES_INGEST_DIRS_H_
#define CONTENTSTORE_SRC_FILES_INGEST_DIRS_H_

#include <string>
#include <vector>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "env/unique_fd.h"
#include "files/blob_tier.h"
#include "files/layout.h"

namespace contentstore {

class IngestDirs {
 public:
  IngestDirs(Env& env, const Layout& layout);
  // Opens ROOT/ingest, which must exist.
  Status Open();

  std::string PathOf(const std::string& id) const { return layout_.ingest_dir(id); }
  // ingest/<id>/data as a file to publish.
  LocalFile DataFile(const std::string& id, int dir_fd) const;

  // Makes ingest/<id>/ if needed, opens it and takes its flock, waiting
  // out housekeeping's momentary holds (about 50 ms at most). Unavailable
  // while another writer holds it. A directory removed
  // and made again between the open and the lock (a commit or abort
  // finishing) is opened again, a few times, then Unavailable.
  Result<UniqueFd> CreateAndLock(const std::string& id);
  // Opens an existing directory without locking it; NotFound when absent.
  Result<UniqueFd> OpenExisting(const std::string& id);
  // The flock, without waiting: Unavailable while someone else holds it.
  Status TryLock(const std::string& id, int dir_fd);
  // Removes the data file, the marker and the directory; missing pieces are
  // fine. REQUIRES: the caller holds the flock (or no writer can exist).
  Status Remove(const std::string& id, int dir_fd);
  // Names of all ingest directories.
  Result<std::vector<std::string>> List();

 private:
  Status LockBriefly(int dir_fd, const std::string& path);

  Env& env_;
  const Layout& layout_;
  UniqueFd root_fd_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_INGEST_DIRS_H_
