// IngestDirs: the directories of ingests in progress, ROOT/ingest/<id>/,
// each holding the upload's data file and, while a commit is under way, its
// commit marker (commit_marker.h).
//
// A directory is also its ingest's kernel lock: a writer holds an flock on
// it for as long as it is open, so the kernel, not the catalog, decides who
// holds a ref, and a dead holder's lock is gone with its process.
//
// Spares. Making and removing a directory per ingest was the costliest
// metadata work of a small commit on ext4 without a journal (400-510 us of
// a commit, BENCHMARKS.md; nothing measurable on a journaled ext4). So an
// ended ingest's directory, emptied, is renamed to
// ingest/.spare-<instance>-<n> and kept, still flocked through the same
// descriptor, and the next new ingest renames it to its own name (no
// replace) instead of making one. A spare holds no files; the marker
// attribute of its last commit is cleared when it is taken. It is locked
// for as long as its process lives: housekeeping in other processes leaves
// it alone, and a dead process's spares are orphans the sweep removes. At
// most kMaxSpares are kept; the destructor removes them.
//
// So a directory's name is not its identity for life: opened under one
// name, it may be a spare or another ingest's by the time its flock is
// taken. Whoever locks a directory it opened by name checks the name after
// locking (OpenLocked does); once locked, the name stays, since only the
// lock holder renames an ingest directory. A forked child does not use or
// remove its parent's spares (the descriptors, and their locks, are shared).
// Spares need renameat2(RENAME_NOREPLACE); without it, directories are
// removed as before.
//
// Thread-safety: thread-safe; a locked directory belongs to its holder.

#ifndef CONTENTSTORE_SRC_FILES_INGEST_DIRS_H_
#define CONTENTSTORE_SRC_FILES_INGEST_DIRS_H_

#include <sys/types.h>

#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "env/unique_fd.h"
#include "files/blob_tier.h"
#include "files/layout.h"

namespace contentstore {

class IngestDirs {
 public:
  // Spares kept at most: about one per committer running at once.
  static constexpr size_t kMaxSpares = 16;

  IngestDirs(Env& env, const Layout& layout);
  ~IngestDirs();
  IngestDirs(const IngestDirs&) = delete;
  IngestDirs& operator=(const IngestDirs&) = delete;
  // Opens ROOT/ingest, which must exist.
  Status Open();

  std::string PathOf(const std::string& id) const { return layout_.ingest_dir(id); }
  // ingest/<id>/data as a file to publish.
  LocalFile DataFile(const std::string& id, int dir_fd) const;

  // A spare's name (ingest/.spare-*), never an ingest's (those are hex).
  static bool IsSpare(std::string_view name);

  // Makes ingest/<id>/ if needed (from a spare when there is one), opens it
  // and takes its flock, waiting out housekeeping's momentary holds (about
  // 50 ms at most). Unavailable while another writer holds it. A directory
  // removed, or made a spare, between the open and the lock (a commit or
  // abort finishing) is opened again, a few times, then Unavailable.
  Result<UniqueFd> CreateAndLock(const std::string& id);
  // Opens an existing directory without locking it; NotFound when absent.
  Result<UniqueFd> OpenExisting(const std::string& id);
  // Opens ingest/<id>/ and takes its flock without waiting: Unavailable
  // while someone else holds it; NotFound when absent, or when the directory
  // left that name between the open and the lock (the lock is not kept).
  Result<UniqueFd> OpenLocked(const std::string& id);
  // Removes the data file, the marker and the directory; missing pieces are
  // fine. REQUIRES: the caller holds the flock (or no writer can exist).
  Status Remove(const std::string& id, int dir_fd);
  // As Remove, for an ingest that ended here, through the descriptor that
  // holds its flock: the emptied directory becomes a spare (above) when
  // there is room and everything goes well, else it is removed.
  void Retire(const std::string& id, UniqueFd dir_fd);
  // Names of all ingest directories, spares included (IsSpare).
  Result<std::vector<std::string>> List();
  // Spares held now (for tests).
  size_t spare_count();

 private:
  struct Spare {
    std::string name;
    UniqueFd fd;  // holds the flock
  };
  Status LockBriefly(const std::string& id, int dir_fd, bool* moved);
  // Whether ingest/<id> is still the directory dir_fd has open (false when
  // the name is gone).
  Result<bool> StillNamed(const std::string& id, int dir_fd);
  // Whether spares may be used: not in a forked child of their owner.
  bool SparesAreOurs() const;
  // ingest/<id> from a spare; NotFound when none could be used.
  Result<UniqueFd> TakeSpare(const std::string& id);
  Status Empty(const std::string& dir, int dir_fd);

  Env& env_;
  const Layout& layout_;
  UniqueFd root_fd_;
  const std::string spare_prefix_;  // ".spare-<random>-", this instance's
  const pid_t owner_pid_;

  std::mutex mu_;
  std::vector<Spare> spares_;  // guarded by mu_
  uint64_t spares_made_ = 0;   // guarded by mu_
  size_t spares_pending_ = 0;  // guarded by mu_: retirements under way
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_INGEST_DIRS_H_
