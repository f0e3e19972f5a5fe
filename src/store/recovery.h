// Recovery of ingests whose writer died in the middle of a commit.
//
// commit() leaves a marker, ingest/<id>/commit -> "<alg>/<hex>", before it
// renames the data into blobs/, and removes the ingest row in the same
// catalog transaction that inserts the blob row. A writer that died between
// the rename and that transaction leaves a blob file without a row and an
// ingest without data. RecoverIngestDir rolls such a commit back: the file goes
// back to ingest/<id>/data and the ingest is resumable again, exactly as
// before commit() was called. If meanwhile the same digest was committed by
// someone else, the ingest is simply removed, as an AlreadyExists commit
// would have done.
//
// Thread-safety: the caller holds the ingest directory's flock.

#ifndef CONTENTSTORE_SRC_RECOVERY_H_
#define CONTENTSTORE_SRC_RECOVERY_H_

#include <string>

#include "contentstore/status.h"

namespace contentstore {

class StoreImpl;

enum class IngestRecovery {
  kNothingToDo,  // no marker
  kCleaned,      // marker removed; the data was still in place
  kRolledBack,   // the blob file went back to ingest/<id>/data
  kRemoved,      // the digest was committed meanwhile: ingest row and directory removed
};

// REQUIRES: `dir_fd` is ingest/<id>/ of `ref`, flock'ed by the caller.
Result<IngestRecovery> RecoverIngestDir(StoreImpl& store, const std::string& ref,
                                        const std::string& id, int dir_fd);

// Removes the files of an ingest directory (data, commit marker) and the
// directory itself. Missing pieces are fine.
Status RemoveIngestFiles(StoreImpl& store, const std::string& id, int dir_fd);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_RECOVERY_H_
