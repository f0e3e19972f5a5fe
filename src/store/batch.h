// Store::put_blobs: many small blobs committed with one directory fsync, one
// catalog transaction and one WAL sync (protocol in batch.cc), and the
// recovery of batches whose process died half way.
//
// Thread-safety: thread-safe; each call stages in a directory of its own.

#ifndef CONTENTSTORE_SRC_STORE_BATCH_H_
#define CONTENTSTORE_SRC_STORE_BATCH_H_

#include <span>
#include <vector>

#include "contentstore/status.h"
#include "contentstore/types.h"
#include "files/layout.h"
#include "store/ingest_context.h"

namespace contentstore {

Result<std::vector<Status>> PutBlobs(IngestContext& ctx, const Layout& layout,
                                     std::span<const BlobInput> blobs, const PutOptions& options);

// Undoes what put_blobs calls that died left in batches/ (a writable open).
Status RecoverBatches(IngestContext& ctx, const Layout& layout);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_BATCH_H_
