// The PostgreSQL engine behind catalog::Catalog: the catalog's tables in one
// schema of a PostgreSQL (15) database, reached through one libpq
// connection, its queries from queries/postgres/ and its schema from
// migrations/postgres/.
//
// The URL is libpq's (postgresql://user:password@host:port/db?...); the
// tables go in the connection's current schema, the first existing one on
// its search_path, which the URL can set: ...?options=-csearch_path%3Dname.
// Several stores share a database in different schemas; each test uses a
// schema of its own.
//
// Transactions:
//   Write   BEGIN ISOLATION LEVEL READ COMMITTED, then the catalog's write
//           lock, pg_advisory_xact_lock on a key derived from the schema:
//           one writer at a time per catalog, as SQLite's BEGIN IMMEDIATE.
//           Why not SERIALIZABLE: the store's protocols were written for one
//           writer at a time and lean on it beyond what serializability
//           gives. gc_revivals.seq must follow commit order (a collector
//           reads "everything logged after seq N"; sequence numbers are
//           handed out at INSERT, so under concurrent writers a smaller seq
//           could commit after a larger one was read), image_index's
//           generation is one hot row, and bodies are not written to be run
//           twice, which SERIALIZABLE's retries would do routinely. Under the
//           lock, each statement of a READ COMMITTED transaction sees every
//           earlier commit, so a body reads what it then writes, as in
//           SQLite. Writers of different catalogs (schemas) do not wait for
//           each other. Lifting the lock for chosen bodies is future work
//           (see POSTGRES.md).
//   Read    BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY: one snapshot for
//           every statement of the body; takes no lock, never waits for a
//           writer. (It may write the connection's temporary tables, which
//           the collector's mark does.)
// A transaction that fails with serialization_failure (40001) or
// deadlock_detected (40P01) (only possible here through a session outside
// the library that locks rows the other way round) is rolled back and run
// again, up to kMaxAttempts times, with a short growing pause; the body must
// then only assign, never accumulate, what it captures. A lost connection
// is re-established on the next call (temporary tables and prepared
// statements are made again); the call that saw it fails Unavailable, as
// whether its COMMIT landed is unknown.
//
// Durability (Sync): a PostgreSQL COMMIT returns once the server has made
// it durable as its synchronous_commit setting says (on, by default: flushed
// WAL, and on the standby with synchronous replication). kNormal and kFull
// are therefore the same and SyncWal() has nothing to do; Options::sync does
// not change the server's setting.
//
// Statements: the row classes' named parameters (:name) and compiled
// filters' numbered ones (?NNN) become $n once per statement text; each is
// prepared on first use and kept (PQprepare) for the connection's lifetime
// (compiled filters in a bounded cache, as in SQLite). Results come in
// PostgreSQL's text format: Int64 reads an integer (or a boolean as 0/1),
// Text a string or the bytes of a bytea.
//
// Opening connects, creates the connection's temporary tables
// (migrations/postgres/session.sql) and brings the schema to the current
// version under pg_advisory_xact_lock (two processes opening a new catalog
// at once: one migrates, the other waits and finds it done): a new schema
// runs every migration in one transaction; an older one the pending ones;
// a newer one (schema_version.version above what this library knows) is
// refused untouched, as is a schema with tables but no schema_version. A
// read-only open changes nothing and refuses a catalog needing migration.
// Options::busy_timeout_ms bounds every lock wait (lock_timeout): a write
// waiting longer for another writer fails Unavailable.
//
// Errors cross into Status here (TranslatePostgresError): unique_violation
// AlreadyExists; lock or statement timeouts, exhausted retries, a lost or
// refused connection Unavailable; disk_full IOError saying so; a bad regular
// expression in a filter InvalidArgument; other constraint violations
// Internal; the rest IOError naming the catalog (the URL without its
// password).
//
// Thread-safety: thread-safe (one mutex around the connection).

#ifndef CONTENTSTORE_SRC_CATALOG_POSTGRES_CATALOG_H_
#define CONTENTSTORE_SRC_CATALOG_POSTGRES_CATALOG_H_

#include <memory>
#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "contentstore/env.h"
#include "contentstore/options.h"
#include "contentstore/status.h"

namespace contentstore::catalog {

// True for the URLs OpenPostgresCatalog takes (postgresql:// or
// postgres://).
bool IsPostgresUrl(std::string_view url);

// `url` with any password replaced by "***", for messages.
std::string RedactPostgresUrl(std::string_view url);

// Connects to the catalog at `url` (see above). Unavailable when the server
// cannot be reached; NotFound when the schema has no catalog and
// !options.create_if_missing (or options.read_only).
Result<std::unique_ptr<Catalog>> OpenPostgresCatalog(const std::string& url, const Options& options,
                                                     Env& env);

// The schema version a new catalog gets (the last migration's number).
int LatestPostgresSchemaVersion();

// The Status a PostgreSQL error with `sqlstate` and `message` becomes
// (exposed for tests of the mapping).
Status TranslatePostgresError(std::string_view sqlstate, std::string_view message,
                              const std::string& where, int busy_timeout_ms);

// How many times a transaction that hit a serialization failure or a
// deadlock is run in all.
inline constexpr int kPostgresMaxAttempts = 5;

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_POSTGRES_CATALOG_H_
