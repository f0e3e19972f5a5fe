// Catalog: the store's SQLite connection (ROOT/catalog.db, WAL mode).
//
// All SQL runs through Catalog::Read and Catalog::Write, which hold the
// connection's mutex, and translate SQLite's exceptions into Status at this one
// boundary (SQLITE_BUSY -> Unavailable, constraint violations -> AlreadyExists,
// a corrupt or non-database file -> IOError naming the catalog). Write
// transactions are BEGIN IMMEDIATE: they take SQLite's write lock up front,
// so two processes never both start writing and then fail at COMMIT.
//
// Keep write transactions to a few statements: no file I/O that waits on the
// disk (fsync), no hashing and no waiting for ref locks inside them, so one
// slow writer never stalls the others (containerd#8790).
//
// Thread-safety: Catalog is thread-safe; a Session is valid only inside the
// Read/Write call that handed it out.

#ifndef CONTENTSTORE_SRC_CATALOG_H_
#define CONTENTSTORE_SRC_CATALOG_H_

#include <sqlite3.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Statement.h>

#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>

#include "contentstore/options.h"
#include "contentstore/status.h"
#include "util/group_sync.h"
#include "env/posix.h"

namespace contentstore {

// A prepared statement from the session's cache, reset when it goes out of
// scope so it never holds a read snapshot open.
class Query {
 public:
  explicit Query(SQLite::Statement& stmt) : stmt_(&stmt) {}
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;
  ~Query() {
    stmt_->tryReset();
    try {
      stmt_->clearBindings();
    } catch (...) {  // sqlite3_clear_bindings cannot fail; SQLiteCpp still declares a throw
    }
  }
  SQLite::Statement* operator->() { return stmt_; }
  SQLite::Statement& operator*() { return *stmt_; }

 private:
  SQLite::Statement* stmt_;
};

class Session {
 public:
  // A cached prepared statement for `sql` (prepared on first use).
  Query Prepare(std::string_view sql);
  // Statements of dynamic SQL (compiled filters) would pile up in a
  // long-running process: past this many, the cache is emptied before the
  // next Read/Write (never while a Query is alive).
  static constexpr size_t kMaxCachedStatements = 256;
  // Rows changed by the last INSERT, UPDATE or DELETE.
  int Changes() const { return sqlite3_changes(db_.getHandle()); }
  SQLite::Database& db() { return db_; }

 private:
  friend class Catalog;
  explicit Session(SQLite::Database& db) : db_(db) {}
  void TrimCache() {
    if (cache_.size() > kMaxCachedStatements) cache_.clear();
  }

  // Looked up by string_view without building a std::string per call.
  struct Hash {
    using is_transparent = void;
    size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
  };
  SQLite::Database& db_;
  std::unordered_map<std::string, std::unique_ptr<SQLite::Statement>, Hash, std::equal_to<>>
      cache_;
};

class Catalog {
 public:
  // How durable a write transaction is when Write() returns.
  enum class Sync {
    // Survives a process crash; after a power loss it may be missing until a
    // later kFull commit or SyncWal() (WAL mode, synchronous=NORMAL).
    kNormal,
    // Survives a power loss, unless the store was opened with
    // Options::sync = false. The transaction commits like kNormal, then the
    // WAL is fdatasync'ed after the catalog lock is released, shared with
    // every other thread that needs it (group commit): another process's
    // transaction never waits for our fsync. A later transaction's frames
    // follow ours in the WAL, so whatever syncs them syncs ours too.
    kFull,
  };

  // Opens or creates the catalog, sets WAL mode and the busy handler, and
  // brings the schema to the current version (see catalog_schema.cc).
  // NotFound if the file is missing and !options.create_if_missing.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path, const Options& options);
  ~Catalog();

  using Body = std::function<Status(Session&)>;
  // Runs `body` in BEGIN IMMEDIATE ... COMMIT. A non-OK status from `body`
  // (or an exception inside it) rolls back and is returned.
  Status Write(Sync sync, const Body& body);
  // Runs `body` outside any explicit transaction (each statement sees a
  // consistent snapshot of its own).
  Status Read(const Body& body);

  // Makes every transaction committed so far durable: fdatasync of the WAL,
  // grouped with other threads' (group_sync.h).
  Status SyncWal();

  const std::string& path() const { return path_; }
  // The schema version of this catalog (PRAGMA user_version).
  int schema_version();

 private:
  Catalog(std::string path, const Options& options);
  Status Init(bool existed);
  Status Migrate();
  Status SyncWalNow();
  Status Translate(const std::exception& e) const;

  const std::string path_;
  const Options options_;
  std::mutex mu_;
  std::unique_ptr<SQLite::Database> db_;  // declared before session_: statements die first
  std::unique_ptr<Session> session_;
  GroupSync wal_sync_;
  posix::UniqueFd wal_fd_;  // opened lazily by SyncWalNow, which GroupSync runs alone
  // Busy handler state: when the current wait for a lock began.
  int64_t busy_since_ns_ = 0;
  friend int BusyHandler(void* self, int attempt);
};

// Milliseconds the busy handler waited in total (all catalogs); for tests.
int64_t CatalogBusyWaitMillis();

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_CATALOG_H_
