// Which blob tier a store's committed bytes live in, and the record that
// keeps a root on it.
//
// Options::blobs empty means ROOT/blobs/ (LocalBlobFiles). An s3:// URL
// means an S3 bucket (s3/s3_blob_tier.h). A root that keeps its blobs in a
// bucket says so in ROOT/blobs-location (the URL, which never holds
// credentials), written when a writable open first names the bucket, so
// later opens need not repeat it and cannot silently fall back to an empty
// ROOT/blobs/ (where gc and fsck would see every blob missing):
//   - no record, no URL: local;
//   - a record, no URL: the recorded bucket;
//   - a record and a URL: the same bucket and prefix are required (the
//     endpoint and region may differ: another node reaches the same bucket
//     by another address), InvalidArgument otherwise;
//   - no record, a URL: recorded, unless the root has local blobs: a
//     catalog of its own (SQLite) with blob rows, or files in ROOT/blobs/
//     (with a shared catalog, whose rows other nodes committed to the
//     bucket). Moving a store's blobs between tiers is not supported
//     (FailedPrecondition); a read-only open cannot record, so it refuses
//     too.
// A shared catalog (PostgreSQL) records the bucket and prefix too
// (store_settings 'blobs', by the first node that opens it with a bucket):
// a node naming another bucket or prefix is refused (InvalidArgument), and
// so is a node without one (FailedPrecondition), which would otherwise see
// every blob missing.
//
// Thread-safety: a function of its arguments.

#ifndef CONTENTSTORE_SRC_STORE_BLOB_TIER_CHOICE_H_
#define CONTENTSTORE_SRC_STORE_BLOB_TIER_CHOICE_H_

#include <memory>

#include "catalog/catalog.h"
#include "contentstore/env.h"
#include "contentstore/options.h"
#include "files/blob_tier.h"
#include "files/layout.h"

namespace contentstore {

Result<std::unique_ptr<BlobTier>> OpenBlobTier(Env& env, const Layout& layout,
                                               const Options& options,
                                               catalog::Catalog& catalog);

// Whether ROOT/blobs-location exists (a catalog lost from such a root must
// not be replaced by an empty one either).
Result<bool> HasBlobLocationRecord(Env& env, const Layout& layout);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_BLOB_TIER_CHOICE_H_
