#include "catalog/sqlite_catalog.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <sys/stat.h>

#include <SQLiteCpp/Database.h>
#include <SQLiteCpp/Exception.h>

#include <algorithm>
#include <cctype>
#include <array>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <thread>
#include <unordered_map>
#include <vector>

#include <fmt/format.h>

#include "catalog/env_vfs.h"
#include "catalog/sqlite_sql.h"
#include "catalog/wal_index_watch.h"
#include "env/errno_status.h"
#include "env/thread_name.h"
#include "env/unique_fd.h"
#include "filter/regexp.h"
#include "util/group_sync.h"

namespace contentstore::catalog {
namespace {

std::atomic<int64_t> g_busy_wait_ns{0};

// Holding a read snapshot between reads needs a keeper thread (see Read).
// ThreadSanitizer kills a forked child of a threaded process that starts a
// thread, which the crash tests do, so its builds read without holding.
#if defined(__SANITIZE_THREAD__)
constexpr bool kHoldSnapshots = false;
#else
constexpr bool kHoldSnapshots = true;
#endif

[[noreturn]] void ThrowSqlite(sqlite3* db, int rc) { throw SQLite::Exception(db, rc); }

// One prepared statement, bound and read by name.
class SqliteStatement final : public Statement {
 public:
  SqliteStatement(sqlite3* db, std::string_view sql) : db_(db) {
    const char* tail = nullptr;
    const int rc = sqlite3_prepare_v3(db, sql.data(), static_cast<int>(sql.size()),
                                      SQLITE_PREPARE_PERSISTENT, &stmt_, &tail);
    if (rc != SQLITE_OK) ThrowSqlite(db, rc);
    // A second statement would be silently ignored: refuse it.
    for (; tail != nullptr && tail < sql.data() + sql.size(); ++tail) {
      if (!std::isspace(static_cast<unsigned char>(*tail))) {
        sqlite3_finalize(stmt_);
        throw std::logic_error(fmt::format("query holds more than one statement: {}",
                                           std::string(sql.substr(0, 80))));
      }
    }
    const int columns = sqlite3_column_count(stmt_);
    for (int i = 0; i < columns; ++i) columns_.emplace_back(sqlite3_column_name(stmt_, i));
  }
  ~SqliteStatement() override { sqlite3_finalize(stmt_); }

  void Bind(const char* name, int64_t value) override {
    Check(sqlite3_bind_int64(stmt_, Parameter(name), value));
  }
  void Bind(const char* name, std::string_view text) override {
    BindIndex(Parameter(name), text);
  }
  void BindBlob(const char* name, std::string_view bytes) override {
    Check(sqlite3_bind_blob64(stmt_, Parameter(name), bytes.data(), bytes.size(),
                              SQLITE_TRANSIENT));
  }
  void BindNull(const char* name) override { Check(sqlite3_bind_null(stmt_, Parameter(name))); }
  void BindIndex(int index, int64_t value) override {
    Check(sqlite3_bind_int64(stmt_, index, value));
  }
  void BindIndex(int index, std::string_view text) override {
    // Copied: the caller's text may be a temporary.
    Check(sqlite3_bind_text64(stmt_, index, text.data(), text.size(), SQLITE_TRANSIENT,
                              SQLITE_UTF8));
  }

  bool Step() override {
    const int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc == SQLITE_DONE) return false;
    ThrowSqlite(db_, rc);
  }
  void Run() override {
    while (Step()) {
    }
  }

  bool IsNull(const char* column) override {
    return sqlite3_column_type(stmt_, Column(column)) == SQLITE_NULL;
  }
  int64_t Int64(const char* column) override {
    return sqlite3_column_int64(stmt_, Column(column));
  }
  std::string Text(const char* column) override {
    const int i = Column(column);
    const auto* p = static_cast<const char*>(sqlite3_column_blob(stmt_, i));
    return p == nullptr ? std::string() : std::string(p, sqlite3_column_bytes(stmt_, i));
  }

 protected:
  void Reset() noexcept override {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK) ThrowSqlite(db_, rc);
  }
  int Parameter(const char* name) {
    const int index = sqlite3_bind_parameter_index(stmt_, name);
    if (index == 0) throw std::logic_error(fmt::format("query has no parameter {}", name));
    return index;
  }
  int Column(const char* name) {
    for (size_t i = 0; i < columns_.size(); ++i) {
      if (columns_[i] == name) return static_cast<int>(i);
    }
    throw std::logic_error(fmt::format("query has no column \"{}\"", name));
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_ = nullptr;
  std::vector<std::string> columns_;
};

// The connection's statement caches, handed to bodies as the Transaction.
class SqliteSession final : public Transaction {
 public:
  explicit SqliteSession(sqlite3* db) : db_(db) {}

  Query Prepare(QueryId id) override {
    auto& slot = named_[static_cast<size_t>(id)];
    if (!slot) slot = std::make_unique<SqliteStatement>(db_, sqlite::kQueries[static_cast<size_t>(id)]);
    return Query(*slot);
  }

  std::string_view Text(QueryId id) override { return sqlite::kQueries[static_cast<size_t>(id)]; }

  Query PrepareText(const std::string& sql) override {
    auto it = dynamic_.find(sql);
    if (it == dynamic_.end()) {
      it = dynamic_.emplace(sql, std::make_unique<SqliteStatement>(db_, sql)).first;
    }
    return Query(*it->second);
  }

  void RunScript(ScriptId id) override { Exec(sqlite::kScripts[static_cast<size_t>(id)]); }

  int64_t Changes() override { return sqlite3_changes64(db_); }

  void Exec(std::string_view sql) {
    const std::string text(sql);
    char* error = nullptr;
    const int rc = sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &error);
    sqlite3_free(error);
    if (rc != SQLITE_OK) ThrowSqlite(db_, rc);
  }

  // Compiled filters would pile up in a long-running process: past this
  // many, the dynamic cache is emptied before the next transaction (never
  // while a Query is alive).
  static constexpr size_t kMaxDynamicStatements = 256;
  void TrimCache() {
    if (dynamic_.size() > kMaxDynamicStatements) dynamic_.clear();
  }

 private:
  sqlite3* db_;
  std::array<std::unique_ptr<SqliteStatement>, kQueryCount> named_;
  std::unordered_map<std::string, std::unique_ptr<SqliteStatement>> dynamic_;
};

class SqliteCatalog final : public Catalog {
 public:
  SqliteCatalog(std::string path, const Options& options, Env& env)
      : path_(std::move(path)), options_(options), env_(env) {}

  ~SqliteCatalog() override {
    std::unique_lock lock(mu_);
    stopping_ = true;
    keeper_wake_.notify_all();
    if (keeper_.joinable()) {
      lock.unlock();
      keeper_.join();
      lock.lock();
    }
    EndHeldSnapshot();
    session_.reset();  // statements before the connection
    db_.reset();
  }

  Status Open(bool existed);

  using Catalog::Write;
  Status Write(Sync sync, const Body& body, WriteTiming* timing) override {
    if (options_.read_only) {
      return Status::FailedPrecondition(
          fmt::format("catalog {} is open read-only", path_));
    }
    if (Status s = RunInTransaction("BEGIN IMMEDIATE", body, timing); !s.ok()) return s;
    if (sync == Sync::kFull) return SyncWal();
    return Status::OK();
  }

  // A read keeps its transaction open afterwards and the next read reuses
  // it while no commit has become visible since (WalIndexWatch): no
  // fcntl() or fstat() then. Every Read still sees everything committed
  // before it began, as a fresh transaction would. The snapshot goes at the
  // first sign of a commit, before any write of this connection, and after
  // kSnapshotIdle without reads, so it never keeps the WAL from being reset
  // for long.
  Status Read(const Body& body) override {
    std::unique_lock lock(mu_);
    if (held_.open) {
      std::optional<WalIndexWatch::Header> now = watch_->Read();
      if (now && *now == held_.header) return RunInHeldSnapshot(body);
      EndHeldSnapshot();
    }
    // Read before BEGIN: a commit in between makes the snapshot newer than
    // the header, which can only end it early, never keep it too long.
    std::optional<WalIndexWatch::Header> header;
    if (watch_) header = watch_->Read();
    return RunLocked("BEGIN", body, header);
  }

  Status SyncWal() override {
    if (!options_.sync || options_.read_only) return Status::OK();
    return wal_sync_.Sync([this] { return SyncWalNow(); });
  }

  const std::string& path() const override { return path_; }
  bool read_only() const override { return options_.read_only; }

  Result<int> SchemaVersion() override {
    int version = -1;
    Status s = Read([&](Transaction&) {
      version = static_cast<int>(db_->execAndGet("PRAGMA user_version").getInt());
      return Status::OK();
    });
    if (!s.ok()) return s;
    return version;
  }

 private:
  friend int BusyHandler(void* self, int attempt);

  Status RunInTransaction(const char* begin, const Body& body, WriteTiming* timing) {
    std::lock_guard lock(mu_);
    EndHeldSnapshot();
    return RunLocked(begin, body, std::nullopt, timing);
  }

  // Runs `body` in a transaction opened with `begin`; with `hold`, a
  // successful read keeps its transaction open as the held snapshot of
  // that header instead of committing it; with `timing`, notes how long the
  // transaction ran, to the end of its COMMIT (WalCommitted). REQUIRES: mu_
  // held, no snapshot held.
  Status RunLocked(const char* begin, const Body& body,
                   const std::optional<WalIndexWatch::Header>& hold,
                   WriteTiming* timing = nullptr) {
    session_->TrimCache();
    bool open = false;
    try {
      session_->Exec(begin);
      open = true;
      const int64_t began_ns = env_.MonotonicNanos();
      Status s = body(*session_);
      if (s.ok() && hold) {
        Hold(*hold);
        return s;
      }
      // A failed COMMIT leaves the transaction open: the catch rolls it back.
      commit_end_ns_ = 0;
      session_->Exec(s.ok() ? "COMMIT" : "ROLLBACK");
      if (timing != nullptr) {
        const int64_t end_ns = commit_end_ns_ != 0 ? commit_end_ns_ : env_.MonotonicNanos();
        timing->locked = std::chrono::nanoseconds(end_ns - began_ns);
      }
      return s;
    } catch (const std::exception& e) {
      if (open) db_->tryExec("ROLLBACK");
      return Translate(e);
    }
  }

  // REQUIRES: mu_ held, for these four.
  Status RunInHeldSnapshot(const Body& body) {
    held_.last_use = std::chrono::steady_clock::now();
    try {
      Status s = body(*session_);
      if (!s.ok()) EndHeldSnapshot();
      return s;
    } catch (const std::exception& e) {
      EndHeldSnapshot();
      return Translate(e);
    }
  }
  void Hold(const WalIndexWatch::Header& header) {
    held_.open = true;
    held_.header = header;
    held_.last_use = std::chrono::steady_clock::now();
    if (!keeper_.joinable()) {
      keeper_ = std::thread([this] {
        NameThisThread("snapshots");
        ReleaseIdleSnapshots();
      });
    }
    keeper_wake_.notify_all();
  }
  void EndHeldSnapshot() noexcept {
    if (!held_.open) return;
    held_.open = false;
    // A read transaction: COMMIT only gives up the read lock.
    if (db_->tryExec("COMMIT") != SQLITE_OK) db_->tryExec("ROLLBACK");
  }
  // The keeper thread: ends the held snapshot once no read has used it for
  // kSnapshotIdle, so an idle store does not pin the WAL.
  void ReleaseIdleSnapshots() {
    std::unique_lock lock(mu_);
    while (!stopping_) {
      if (!held_.open) {
        keeper_wake_.wait(lock);
        continue;
      }
      const auto deadline = held_.last_use + kSnapshotIdle;
      if (std::chrono::steady_clock::now() >= deadline) {
        EndHeldSnapshot();
        continue;
      }
      keeper_wake_.wait_until(lock, deadline);
    }
  }

  // SQLite calls this after each COMMIT of this connection that wrote to the
  // WAL, once the write lock is given up, with the WAL's length in frames.
  // It stands in for SQLite's own autocheckpoint, with the same rule (a
  // passive checkpoint once the WAL holds kAutoCheckpointFrames), so that
  // the COMMIT's end is noted before the checkpoint copies pages
  // (WriteTiming).
  static int WalCommitted(void* self, sqlite3* db, const char* name, int frames);
  static constexpr int kAutoCheckpointFrames = 1000;  // SQLite's default

  Status Migrate();
  Status SyncWalNow();
  Status Translate(const std::exception& e) const;

  const std::string path_;
  const Options options_;
  Env& env_;
  std::shared_ptr<EnvVfs> vfs_;  // before db_: the connection must close first
  std::mutex mu_;
  std::unique_ptr<SQLite::Database> db_;  // declared before session_: statements die first
  std::unique_ptr<SqliteSession> session_;
  std::optional<WalIndexWatch> watch_;  // unset: every Read is a fresh transaction

  // A read transaction left open by the last Read (see Read).
  static constexpr std::chrono::milliseconds kSnapshotIdle{20};
  struct HeldSnapshot {
    bool open = false;
    WalIndexWatch::Header header{};
    std::chrono::steady_clock::time_point last_use;
  } held_;
  std::thread keeper_;  // started by the first Hold
  std::condition_variable keeper_wake_;
  bool stopping_ = false;

  GroupSync wal_sync_;
  UniqueFd wal_fd_;  // opened lazily by SyncWalNow, which GroupSync runs alone
  int64_t busy_since_ns_ = 0;  // when the current wait for a lock began
  int64_t commit_end_ns_ = 0;  // set by WalCommitted; REQUIRES: mu_ held
};

int SqliteCatalog::WalCommitted(void* self, sqlite3* db, const char* name, int frames) {
  auto* catalog = static_cast<SqliteCatalog*>(self);
  catalog->commit_end_ns_ = catalog->env_.MonotonicNanos();
  if (frames >= kAutoCheckpointFrames) {
    // As SQLite's own: a busy or failed checkpoint is tried again after the
    // next commit, and the commit itself stands.
    (void)sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
  }
  return SQLITE_OK;
}

// SQLite's default busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries,
// which wastes most of a millisecond-long wait for another process's short
// transaction. Poll faster at first and back off to 2 ms, until the timeout.
int BusyHandler(void* self, int attempt) {
  auto* catalog = static_cast<SqliteCatalog*>(self);
  Env& env = catalog->env_;
  const int64_t now = env.MonotonicNanos();
  if (attempt == 0) catalog->busy_since_ns_ = now;
  const int64_t waited = now - catalog->busy_since_ns_;
  if (waited >= int64_t{catalog->options_.busy_timeout_ms} * 1000000) return 0;
  env.SleepForMicros(std::min<int64_t>(int64_t{20} << std::min(attempt, 7), 2000));
  g_busy_wait_ns.fetch_add(env.MonotonicNanos() - now, std::memory_order_relaxed);
  return 1;
}

Status SqliteCatalog::Translate(const std::exception& e) const {
  const auto* sqlite_error = dynamic_cast<const SQLite::Exception*>(&e);
  if (sqlite_error == nullptr) {
    return Status::Internal(fmt::format("catalog {}: {}", path_, e.what()));
  }
  const int code = sqlite_error->getErrorCode();
  const int extended = sqlite_error->getExtendedErrorCode();
  // regexp() failing a statement because of its arguments (a filter's regex
  // too costly for some value) is the caller's error, not the catalog's.
  if (code == SQLITE_ERROR) {
    if (std::optional<Status> s = RegexpErrorStatus(e.what())) return *std::move(s);
  }
  std::string msg = fmt::format("catalog {}: {}", path_, e.what());
  switch (code) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      return Status::Unavailable(fmt::format(
          "{} (another process held the catalog for more than {} ms)", msg,
          options_.busy_timeout_ms));
    case SQLITE_CONSTRAINT:
      if (extended == SQLITE_CONSTRAINT_PRIMARYKEY || extended == SQLITE_CONSTRAINT_UNIQUE) {
        return Status::AlreadyExists(std::move(msg));
      }
      return Status::Internal(std::move(msg));
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::IOError(fmt::format(
          "{} (the catalog is damaged: `contentstore fsck --rebuild-catalog` rebuilds it from "
          "the blob files)",
          msg));
    case SQLITE_FULL:
      return Status::IOError(fmt::format("{} ({})", msg, kNoSpaceText));
    default:
      return Status::IOError(std::move(msg));
  }
}

Status SqliteCatalog::Open(bool existed) {
  try {
    const char* vfs_name = nullptr;
    if (&env_ != Env::Default()) {
      auto vfs = EnvVfs::For(&env_);
      if (!vfs.ok()) return vfs.status();
      vfs_ = std::move(*vfs);
      vfs_name = vfs_->name();
    }
    const int flags = options_.read_only
                          ? SQLite::OPEN_READONLY | SQLITE_OPEN_NOMUTEX
                          : SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    db_ = std::make_unique<SQLite::Database>(path_.c_str(), flags, 0, vfs_name);
    sqlite3* handle = db_->getHandle();
    sqlite3_busy_handler(handle, &BusyHandler, this);
    if (Status s = RegisterRegexpFunction(handle); !s.ok()) return s;
    // Reading the header first turns "not a database" into a clear error
    // before anything is written to the file.
    if (existed) db_->exec("SELECT count(*) FROM sqlite_schema");
    if (!options_.read_only) {
      db_->exec("PRAGMA journal_mode = WAL");
      // Keep catalog.db-wal and -shm when the last connection closes (the WAL
      // emptied to 0 bytes): a user who cannot write the store's directory
      // can open the catalog read-only only if they exist.
      int persist = 1;
      sqlite3_file_control(handle, "main", SQLITE_FCNTL_PERSIST_WAL, &persist);
      db_->exec("PRAGMA journal_size_limit = 67108864");
      sqlite3_wal_hook(handle, &SqliteCatalog::WalCommitted, this);
    }
    db_->exec("PRAGMA foreign_keys = ON");
    // Read pages through a memory map and keep more of them: a collection of
    // a million blobs walks the whole label index, and through pread and the
    // default 2,000-page cache it ran three times slower here. The map only
    // reserves address space; pages are the kernel's page cache.
    db_->exec("PRAGMA mmap_size = 1073741824");
    db_->exec("PRAGMA cache_size = -32768");
    // The collector's recursive mark keeps its visited set in temporary
    // b-trees; spilled to temp files they cost a third more time at a
    // million blobs.
    db_->exec("PRAGMA temp_store = MEMORY");
    // Debian builds SQLite with SECURE_DELETE, which zeroes every deleted
    // row's bytes, at the cost of writing pages a delete would not
    // otherwise touch. FAST zeroes only what it writes anyway.
    db_->exec("PRAGMA secure_delete = FAST");
    // Commits never fsync under the catalog lock: kFull writes sync the WAL
    // afterwards (see Sync).
    db_->exec(options_.sync ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF");
    session_ = std::make_unique<SqliteSession>(handle);
    // Only a WAL-mode catalog has a wal-index to watch (a read-only open
    // of a catalog left in another journal mode has none).
    if (kHoldSnapshots && db_->execAndGet("PRAGMA journal_mode").getString() == "wal") {
      watch_.emplace(handle);
    }
  } catch (const std::exception& e) {
    Status s = Translate(e);
    if (options_.read_only) {
      return s.WithContext(
          "opening the catalog read-only (a reader needs catalog.db-wal and catalog.db-shm to "
          "exist when it cannot create them: open the store once with write access, which "
          "keeps them)");
    }
    return s;
  }
  return Migrate();
}

Status SqliteCatalog::SyncWalNow() {
  if (!wal_fd_.valid()) {
    auto fd = OpenPath(env_, path_ + "-wal", O_RDONLY);
    if (fd.status().IsNotFound()) return Status::OK();  // nothing written in WAL mode yet
    if (!fd.ok()) return fd.status();
    wal_fd_ = std::move(*fd);
  }
  return env_.SyncData(wal_fd_.get(), path_ + "-wal");
}

Status TooNew(const std::string& path, int version) {
  return Status::IOError(fmt::format(
      "catalog {} has schema version {}, but this contentstore knows only up to {}: "
      "use a newer contentstore",
      path, version, LatestSqliteSchemaVersion()));
}

// A fresh catalog runs every migration; an older one the pending ones; all
// in one transaction with PRAGMA user_version, which SQLite rolls back with
// the rest if anything fails. A catalog newer than this library is refused
// before anything is written.
Status SqliteCatalog::Migrate() {
  const int latest = LatestSqliteSchemaVersion();
  auto current = SchemaVersion();
  if (!current.ok()) return current.status();
  int version = *current;
  if (version > latest) return TooNew(path_, version);
  if (version == latest) return Status::OK();
  if (options_.read_only) {
    return Status::FailedPrecondition(fmt::format(
        "catalog {} has schema version {} and needs migrating to {}, which a read-only "
        "open cannot do: open it once with write access",
        path_, version, latest));
  }
  std::lock_guard lock(mu_);
  EndHeldSnapshot();  // SchemaVersion's read
  try {
    session_->Exec("BEGIN IMMEDIATE");
    // Another process may have migrated between the check and the lock.
    version = db_->execAndGet("PRAGMA user_version").getInt();
    Status refused;
    if (version > latest) {
      refused = TooNew(path_, version);
    } else if (version == 0 && db_->execAndGet("SELECT count(*) FROM sqlite_schema").getInt() != 0) {
      refused = Status::IOError(fmt::format(
          "{} is an SQLite database but not a contentstore catalog (it has tables but no "
          "schema version)",
          path_));
    }
    if (!refused.ok()) {
      session_->Exec("ROLLBACK");
      return refused;
    }
    for (const sqlite::Migration& m : sqlite::kMigrations) {
      if (m.version > version) session_->Exec(m.text);
    }
    session_->Exec(fmt::format("PRAGMA user_version = {}", latest));
    session_->Exec("COMMIT");
  } catch (const std::exception& e) {
    db_->tryExec("ROLLBACK");
    return Translate(e);
  }
  return SyncWal();
}

}  // namespace

int LatestSqliteSchemaVersion() { return sqlite::kMigrations.back().version; }

int64_t CatalogBusyWaitMillis() { return g_busy_wait_ns.load() / 1000000; }

Result<std::unique_ptr<Catalog>> OpenSqliteCatalog(const std::string& path,
                                                   const Options& options, Env& env) {
  auto st = env.StatAt(AT_FDCWD, path, path);
  const bool existed = st.ok();
  if (!existed && !st.status().IsNotFound()) return st.status();
  if (!existed && (!options.create_if_missing || options.read_only)) {
    return Status::NotFound(fmt::format("catalog {} does not exist", path));
  }
  auto catalog = std::make_unique<SqliteCatalog>(path, options, env);
  if (Status s = catalog->Open(existed); !s.ok()) return s;
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace contentstore::catalog
