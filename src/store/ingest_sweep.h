// What a killed writer can leave under ROOT/ingest/: a directory that no
// ingest row names (it died after deleting the row and before removing the
// directory, or after making the directory and before adding the row).
// Nothing can resume such a directory; SweepOrphanIngestDirs removes every
// one that no writer holds. It needs no grace period: a writer holds its
// directory's flock from just after mkdir until it is done; a writer that
// meets the sweep's momentary flock waits it out; and a writer whose fresh
// directory is removed in the instant before its flock notices (the
// directory it locked is no longer the one of that name) and makes another.
//
// Runs at each writable Store::Open and each collection.
//
// In a tier that takes ingests as they are written (files/ingest_uploads.h),
// an ingest's upload goes once its row has gone (DiscardIngestUpload). A
// writer killed between starting an upload and naming it in its row, or a
// discard that failed, leaves an upload no row names:
// SweepLeftoverUploads removes those older than a cutoff (a live writer
// names its upload within one request of starting it); the collector runs
// it with its grace period.
//
// Thread-safety: safe while writers work in this and other processes.

#ifndef CONTENTSTORE_SRC_STORE_INGEST_SWEEP_H_
#define CONTENTSTORE_SRC_STORE_INGEST_SWEEP_H_

#include <optional>
#include <string>
#include <vector>

#include "contentstore/status.h"
#include "files/ingest_uploads.h"
#include "store/ingest_context.h"

namespace contentstore {

Status SweepOrphanIngestDirs(IngestContext& ctx);

// After ingest `id`'s row was deleted: its upload, if any, goes from the
// tier. Quietly: a failure leaves a leftover for SweepLeftoverUploads.
void DiscardIngestUpload(IngestContext& ctx, const std::string& id,
                         const std::optional<std::string>& upload_id);

// The uploads in the blob tier that no ingest row names (none for a tier
// without uploads).
Result<std::vector<IngestUploads::StartedUpload>> UploadsNoIngestNames(IngestContext& ctx);

// Removes the uploads no ingest row names that started before `cutoff` (ns
// since the epoch); returns how many.
Result<int> SweepLeftoverUploads(IngestContext& ctx, int64_t cutoff);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_INGEST_SWEEP_H_
