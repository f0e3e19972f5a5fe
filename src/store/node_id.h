// A root's id among the nodes that share one catalog (Options::catalog_url):
// ROOT/node-id, 16 random hex digits made at the first writable open. An
// ingest row names the node whose ingest directory holds its local bytes
// (ingests.staged_on), so a writer on another node that finds the same
// directory name locally (the id is the ref's hash) knows those local bytes
// are not the ones the row vouches for.
//
// Thread-safety: a function of its arguments.

#ifndef CONTENTSTORE_SRC_STORE_NODE_ID_H_
#define CONTENTSTORE_SRC_STORE_NODE_ID_H_

#include <string>

#include "contentstore/env.h"
#include "contentstore/status.h"
#include "files/layout.h"

namespace contentstore {

// ROOT/node-id's id; made (durably when `sync`) when missing, unless
// `read_only`, which then returns "".
Result<std::string> LoadNodeId(Env& env, const Layout& layout, bool sync, bool read_only);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_NODE_ID_H_
