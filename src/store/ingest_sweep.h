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
// Thread-safety: safe while writers work in this and other processes.

#ifndef CONTENTSTORE_SRC_STORE_INGEST_SWEEP_H_
#define CONTENTSTORE_SRC_STORE_INGEST_SWEEP_H_

#include "contentstore/status.h"
#include "store/ingest_context.h"

namespace contentstore {

Status SweepOrphanIngestDirs(IngestContext& ctx);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_INGEST_SWEEP_H_
