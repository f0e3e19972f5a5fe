// The catalog as the rest of the store sees it: transactions that run named
// queries, whatever SQL engine is underneath.
//
// Nothing outside src/catalog/ holds SQL text or reads a column by position.
// Feature code calls the typed row classes (blob_rows.h, ingest_rows.h,
// lease_rows.h, gc_rows.h, deletion_queue.h, catalog_check.h); they name
// their queries by QueryId, bind parameters by name (":digest") and read
// columns by name. The text of each named query comes from the engine's
// dialect (queries/<dialect>/*.sql, compiled in as queries.h), so a second
// engine supplies its own text for the same names and the row classes stay
// as they are.
//
// Errors: the engine throws from inside a body (a constraint, a busy
// database, a damaged file); Read and Write catch it and return a Status
// (each engine maps its errors in one place: sqlite_catalog.cc,
// postgres_catalog.cc), after rolling back. Bodies return Status for their
// own refusals, which also roll back.
//
// Thread-safety: a Catalog is thread-safe (calls are serialized on one
// connection); a Transaction and its Queries are valid only inside the Read
// or Write call that handed them out.

#ifndef CONTENTSTORE_SRC_CATALOG_CATALOG_H_
#define CONTENTSTORE_SRC_CATALOG_CATALOG_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "catalog/queries.h"
#include "contentstore/status.h"

namespace contentstore::catalog {

// One prepared statement. Parameters are bound by name, columns read by
// name; a parameter left unbound is NULL.
class Statement {
 public:
  virtual ~Statement() = default;

  virtual void Bind(const char* name, int64_t value) = 0;
  virtual void Bind(const char* name, std::string_view text) = 0;
  virtual void BindBlob(const char* name, std::string_view bytes) = 0;
  virtual void BindNull(const char* name) = 0;
  void Bind(const char* name, const std::string& text) { Bind(name, std::string_view(text)); }
  void Bind(const char* name, const char* text) { Bind(name, std::string_view(text)); }
  void Bind(const char* name, const std::optional<int64_t>& value) {
    value ? Bind(name, *value) : BindNull(name);
  }
  void Bind(const char* name, const std::optional<std::string>& text) {
    text ? Bind(name, std::string_view(*text)) : BindNull(name);
  }
  // Parameters numbered by position (?NNN), for compiled filters.
  virtual void BindIndex(int index, int64_t value) = 0;
  virtual void BindIndex(int index, std::string_view text) = 0;

  // The next row; false when there is none.
  virtual bool Step() = 0;
  // Runs a statement that returns no rows.
  virtual void Run() = 0;

  virtual bool IsNull(const char* column) = 0;
  virtual int64_t Int64(const char* column) = 0;
  virtual std::string Text(const char* column) = 0;
  std::optional<int64_t> OptionalInt64(const char* column) {
    return IsNull(column) ? std::nullopt : std::optional<int64_t>(Int64(column));
  }
  std::optional<std::string> OptionalText(const char* column) {
    return IsNull(column) ? std::nullopt : std::optional<std::string>(Text(column));
  }

 protected:
  friend class Query;
  // Back to the start with no bindings: never leaves a read snapshot open.
  virtual void Reset() noexcept = 0;
};

// A statement from the transaction's cache, reset when it leaves scope.
class Query {
 public:
  explicit Query(Statement& statement) : statement_(&statement) {}
  Query(Query&& other) noexcept : statement_(other.statement_) { other.statement_ = nullptr; }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  Query& operator=(Query&&) = delete;
  ~Query() {
    if (statement_ != nullptr) statement_->Reset();
  }
  Statement* operator->() { return statement_; }
  Statement& operator*() { return *statement_; }

 private:
  Statement* statement_;
};

// The SQL a Transaction's text is written in (filtered_query.h compiles
// filters for it).
enum class Dialect { kSqlite, kPostgres };

class Transaction {
 public:
  virtual ~Transaction() = default;
  // The engine's SQL dialect.
  virtual Dialect dialect() const { return Dialect::kSqlite; }
  // A named query of the engine's dialect.
  virtual Query Prepare(QueryId id) = 0;
  // The dialect's text of a named query.
  virtual std::string_view Text(QueryId id) = 0;
  // SQL built at run time from a named query's text (a compiled filter, see
  // filtered_query.h). Cached, with a bound on how many are kept.
  virtual Query PrepareText(const std::string& sql) = 0;
  // A named script: several statements run in order, no rows returned.
  virtual void RunScript(ScriptId id) = 0;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  virtual int64_t Changes() = 0;
};

// How durable a write transaction is when Write() returns.
enum class Sync {
  // Survives a process crash; after a power loss it may be missing until a
  // later kFull commit or SyncWal().
  kNormal,
  // Survives a power loss (unless Options::sync is false). The commit itself
  // is as kNormal; the log is made durable after the write lock is released,
  // shared with every thread that needs it (group commit), so another
  // process's transaction never waits for our fsync.
  kFull,
};

// A lock that Catalog::TryLockName handed out; released when destroyed.
class NameLock {
 public:
  virtual ~NameLock() = default;
};

// How long a write transaction held the catalog's write lock: from the
// moment it had the lock to the end of its COMMIT. What follows the COMMIT
// outside the lock (a WAL checkpoint, a kFull sync) is not counted: other
// writers do not wait for it.
struct WriteTiming {
  std::chrono::nanoseconds locked{0};
};

class Catalog {
 public:
  virtual ~Catalog() = default;

  // Locks `name` against every other process, on any machine, that shares
  // this catalog, until the returned object dies or this process does;
  // Unavailable when another holds it. Within one process it does not
  // exclude (callers hold a local lock first). Null when the engine needs no such
  // lock: a SQLite catalog lives on one machine, where the caller's own file
  // locks already exclude.
  virtual Result<std::unique_ptr<NameLock>> TryLockName(std::string_view name) {
    (void)name;
    return std::unique_ptr<NameLock>();
  }

  using Body = std::function<Status(Transaction&)>;
  // Runs `body` in a write transaction that takes the write lock up front
  // (BEGIN IMMEDIATE). A non-OK status or an exception rolls back.
  Status Write(Sync sync, const Body& body) { return Write(sync, body, nullptr); }
  // The same, and when `timing` is given, how long the lock was held: a
  // caller that sizes its transactions by their hold (the collector) sees
  // the COMMIT's writes too.
  virtual Status Write(Sync sync, const Body& body, WriteTiming* timing) = 0;
  // Runs `body` in a read transaction: one consistent snapshot for all its
  // statements.
  virtual Status Read(const Body& body) = 0;
  // Makes every transaction committed so far durable (group commit).
  virtual Status SyncWal() = 0;

  // The catalog's location, for messages.
  virtual const std::string& path() const = 0;
  // The schema version the catalog is at.
  virtual Result<int> SchemaVersion() = 0;
  // True when the catalog was opened read-only.
  virtual bool read_only() const = 0;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_CATALOG_H_
