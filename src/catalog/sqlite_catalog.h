// The SQLite engine behind catalog::Catalog: ROOT/catalog.db in WAL mode,
// one connection per store, its queries from queries/sqlite/ and its schema
// from migrations/.
//
// Opening sets WAL mode, the busy handler (it waits up to
// Options::busy_timeout_ms for another process's write transaction, polling
// fast at first), a PCRE2 regexp() for filters, and brings the schema to the
// current version: a fresh catalog runs every migration, an older one the
// pending ones, all in one transaction; a newer one is refused untouched. A
// read-only open changes nothing: it refuses a catalog that needs migrating.
//
// With a non-default Env the connection goes through a VFS over that Env
// (env_vfs.h): the Env sees every read, write, sync and truncation of the
// catalog's files, and SQLite's 'now' is the Env's clock.
//
// Errors cross into Status here, and only here: SQLITE_BUSY and
// SQLITE_LOCKED are Unavailable, a primary-key or unique violation
// AlreadyExists, a damaged or foreign file IOError naming the catalog, a full
// disk IOError saying so.
//
// Thread-safety: thread-safe (one mutex around the connection).

#ifndef CONTENTSTORE_SRC_CATALOG_SQLITE_CATALOG_H_
#define CONTENTSTORE_SRC_CATALOG_SQLITE_CATALOG_H_

#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "contentstore/env.h"
#include "contentstore/options.h"
#include "contentstore/status.h"

namespace contentstore::catalog {

// NotFound if the file does not exist and !options.create_if_missing (or
// options.read_only).
Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& path,
                                                   const Options& options, Env& env);

// The schema version a fresh catalog gets (the last migration's number).
int LatestSqliteSchemaVersion();

// Milliseconds the busy handlers of this process waited in total; for tests.
int64_t CatalogBusyWaitMillis();

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_SQLITE_CATALOG_H_
