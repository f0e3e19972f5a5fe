// Recovery of ingests whose writer died in the middle of a commit.
//
// commit() marks the ingest directory with "<alg>/<hex>" (commit_marker.h)
// before it publishes the data into the blob tier, and removes the ingest
// row in the same catalog transaction that inserts the blob row. A writer
// that died between the two leaves a blob file without a row and an ingest
// without data. RecoverIngestDir rolls such a commit back: the file goes back
// to ingest/<id>/data and the ingest is resumable again, exactly as before
// commit() was called. If meanwhile the same digest was committed by someone
// else, the ingest is simply removed, as an AlreadyExists commit would have
// done.
//
// RecoverLockedIngests runs at a writable open: it does that for every ingest
// whose recorded holder is dead, and clears the dead holder's lock.
//
// Thread-safety: RecoverIngestDir's caller holds the directory's flock.

#ifndef CONTENTSTORE_SRC_STORE_RECOVERY_H_
#define CONTENTSTORE_SRC_STORE_RECOVERY_H_

#include <string>

#include "contentstore/status.h"
#include "store/ingest_context.h"

namespace contentstore {

enum class IngestRecovery {
  kNothingToDo,  // no marker
  kCleaned,      // marker removed; the data was still in place
  kRolledBack,   // the blob file went back to ingest/<id>/data
  kRemoved,      // the digest was committed meanwhile: ingest row and directory removed
};

// REQUIRES: `dir_fd` is ingest/<id>/ of `ref`, flock'ed by the caller.
Result<IngestRecovery> RecoverIngestDir(IngestContext& ctx, const std::string& ref,
                                        const std::string& id, int dir_fd);

Status RecoverLockedIngests(IngestContext& ctx);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_RECOVERY_H_
