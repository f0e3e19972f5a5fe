// IngestContext: what the code that handles ingests needs (the writer and
// its commit, abort, recovery, the collector's expiry of stale ingests), as
// references to the store's parts, so none of it needs the whole store
// (LevelDB's DBImpl hands its collaborators narrow pieces the same way).
//
// Thread-safety: the parts are thread-safe; the struct is a set of
// references that live as long as the store.

#ifndef CONTENTSTORE_SRC_STORE_INGEST_CONTEXT_H_
#define CONTENTSTORE_SRC_STORE_INGEST_CONTEXT_H_

#include "catalog/catalog.h"
#include "contentstore/env.h"
#include "contentstore/options.h"
#include "files/blob_tier.h"
#include "files/ingest_dirs.h"
#include "files/layout.h"

namespace contentstore {

struct IngestContext {
  Env& env;
  const Layout& layout;
  const Options& options;
  catalog::Catalog& catalog;
  BlobTier& blobs;
  IngestDirs& dirs;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_INGEST_CONTEXT_H_
