// IngestContext: what the code that handles ingests needs (the writer and
// its commit, abort, recovery, the collector's expiry of stale ingests), as
// references to the store's parts, so none of it needs the whole store
// (LevelDB's DBImpl hands its collaborators narrow pieces the same way).
//
// Thread-safety: the parts are thread-safe; the struct is a set of
// references that live as long as the store.

#ifndef CONTENTSTORE_SRC_STORE_INGEST_CONTEXT_H_
#define CONTENTSTORE_SRC_STORE_INGEST_CONTEXT_H_

#include <signal.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "catalog/catalog.h"
#include "contentstore/env.h"
#include "contentstore/options.h"
#include "files/blob_tier.h"
#include "files/ingest_dirs.h"
#include "files/layout.h"
#include "util/text.h"

namespace contentstore {

struct IngestContext {
  Env& env;
  const Layout& layout;
  const Options& options;
  catalog::Catalog& catalog;
  BlobTier& blobs;
  IngestDirs& dirs;
  // This root's id among the nodes sharing a catalog (ROOT/node-id), which
  // an ingest row names as the node holding its local bytes; empty when the
  // catalog is this root's own.
  std::string node_id;
};

// Whether this node staged an ingest's local bytes (its row's staged_on):
// only then does the row's checkpoint vouch for a local data file of that
// ingest. Always, when the catalog is this root's own (both are empty).
inline bool StagedHere(const IngestContext& ctx, const std::optional<std::string>& staged_on) {
  return staged_on.value_or("") == ctx.node_id;
}

// Whether `pid` names no process on this machine (any more): a row's lock
// holder found gone. Only a hint where the flock decides; a pid recorded on
// another node sharing the catalog means nothing here.
inline bool ProcessIsGone(int64_t pid) {
  return ::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH;
}

// Ref `ref`'s lock across the nodes sharing the catalog (null when it is
// not shared); Unavailable while a writer on another node holds the ref.
// Whoever removes an ingest (abort, the collector, recovery) holds it too,
// as its writer does (store/ingest_writer.h).
inline Result<std::unique_ptr<catalog::NameLock>> LockRefAcrossNodes(IngestContext& ctx,
                                                                     const std::string& ref) {
  auto lock = ctx.catalog.TryLockName("ref " + ref);
  if (!lock.ok() && lock.status().IsUnavailable()) {
    return Status::Unavailable(
        fmt::format("ref \"{}\" is locked by a writer on another node", Printable(ref)));
  }
  return lock;
}

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_INGEST_CONTEXT_H_
