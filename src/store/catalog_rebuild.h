// The parts of Store::RebuildCatalog (`contentstore fsck --rebuild-catalog`)
// StoreImpl::RebuildCatalog runs on a store it opened with a fresh catalog:
// setting the old catalog and the uploads in progress aside, giving every
// blob file that hashes to its name a row, and reading labels and leases
// back from the old catalog into the new one.
//
// Nothing here deletes: the old catalog becomes catalog.db.damaged-<time>,
// uploads go to lost+found/, and blobs whose labels cannot be read are held
// by a lease rather than left for the next collection.
//
// Thread-safety: the caller holds the store to itself (an exclusive flock on
// the root directory, which every Store::Open shares).

#ifndef CONTENTSTORE_SRC_STORE_CATALOG_REBUILD_H_
#define CONTENTSTORE_SRC_STORE_CATALOG_REBUILD_H_

#include <string>
#include <vector>

#include "catalog/catalog.h"
#include "contentstore/env.h"
#include "contentstore/fsck.h"
#include "contentstore/options.h"
#include "files/blob_tier.h"
#include "files/layout.h"

namespace contentstore {

// Renames ROOT/catalog.db and its -wal and -shm to catalog.db.damaged-<UTC
// time>...; returns the new name of catalog.db, or "" if there was none.
Result<std::string> SetAsideCatalog(Env& env, const Layout& layout);

// Moves every ROOT/ingest/<id> to lost+found/; returns where they went.
Result<std::vector<std::string>> SetAsideIngests(Env& env, const Layout& layout);

// Gives every file of `blobs` whose bytes hash to its name a row in `fresh`
// (as old as the file), a page per transaction; moves what is not such a
// file to lost+found and reports it.
Status AdoptBlobFiles(BlobTier& blobs, catalog::Catalog& fresh, Env& env,
                      RebuildReport& report);

// Copies into `fresh` the labels of every blob it holds and the leases, as
// far as `damaged` (a path, possibly "") can be read; holds the blobs whose
// labels could not be read with a new lease. Fills the report's salvage
// fields.
// `index_json`: what ROOT/index.json held before the rebuild (empty if
// nothing), where image names come from when the old catalog cannot give
// them.
Status SalvageCatalog(catalog::Catalog& fresh, const std::string& damaged,
                      const std::string& index_json, Env& env, RebuildReport& report);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_CATALOG_REBUILD_H_
