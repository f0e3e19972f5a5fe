#include "catalog/catalog.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <SQLiteCpp/Exception.h>

#include <algorithm>
#include <atomic>
#include <thread>

#include <fmt/format.h>

#include "util/clock.h"
#include "filter/regexp.h"

namespace contentstore {
namespace {
std::atomic<int64_t> g_busy_wait_ns{0};
}  // namespace

int64_t CatalogBusyWaitMillis() { return g_busy_wait_ns.load() / 1000000; }

// SQLite's default busy handler sleeps 1, 2, 5, 10 ... 100 ms between tries,
// which wastes most of a millisecond-long wait for another process's short
// transaction. Poll faster at first and back off to 2 ms, until the timeout.
int BusyHandler(void* self, int attempt) {
  auto* catalog = static_cast<Catalog*>(self);
  const int64_t now = MonotonicNanos();
  if (attempt == 0) catalog->busy_since_ns_ = now;
  const int64_t waited = now - catalog->busy_since_ns_;
  if (waited >= int64_t{catalog->options_.busy_timeout_ms} * 1000000) return 0;
  const int64_t sleep_us = std::min<int64_t>(int64_t{20} << std::min(attempt, 7), 2000);
  std::this_thread::sleep_for(std::chrono::microseconds(sleep_us));
  g_busy_wait_ns.fetch_add(MonotonicNanos() - now, std::memory_order_relaxed);
  return 1;
}

Query Session::Prepare(std::string_view sql) {
  auto it = cache_.find(sql);
  if (it == cache_.end()) {
    auto stmt = std::make_unique<SQLite::Statement>(db_, std::string(sql));
    it = cache_.emplace(std::string(sql), std::move(stmt)).first;
  }
  return Query(*it->second);
}

Catalog::Catalog(std::string path, const Options& options)
    : path_(std::move(path)), options_(options) {}

Catalog::~Catalog() {
  std::lock_guard lock(mu_);
  session_.reset();
  db_.reset();
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path, const Options& options) {
  struct stat st {};
  const bool existed = ::stat(path.c_str(), &st) == 0;
  if (!existed && !options.create_if_missing) {
    return Status::NotFound(fmt::format("catalog {} does not exist", path));
  }
  std::unique_ptr<Catalog> catalog(new Catalog(path, options));
  if (Status s = catalog->Init(existed); !s.ok()) return s;
  return catalog;
}

Status Catalog::Translate(const std::exception& e) const {
  const auto* sqlite_error = dynamic_cast<const SQLite::Exception*>(&e);
  if (sqlite_error == nullptr) {
    return Status::Internal(fmt::format("catalog {}: {}", path_, e.what()));
  }
  const int code = sqlite_error->getErrorCode();
  const int extended = sqlite_error->getExtendedErrorCode();
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
      return Status::IOError(fmt::format("{} (the catalog is damaged; see fsck)", msg));
    default:
      return Status::IOError(std::move(msg));
  }
}

Status Catalog::Init(bool existed) {
  try {
    db_ = std::make_unique<SQLite::Database>(
        path_, SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE | SQLite::OPEN_NOMUTEX);
    sqlite3_busy_handler(db_->getHandle(), &BusyHandler, this);
    if (Status s = RegisterRegexpFunction(db_->getHandle()); !s.ok()) return s;
    // Reading the header first turns "not a database" into a clear error
    // before anything is written to the file.
    if (existed) db_->exec("SELECT count(*) FROM sqlite_schema");
    db_->exec("PRAGMA journal_mode = WAL");
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
    // Commits never fsync under the catalog lock: kFull writes sync the WAL
    // afterwards (see Catalog::Sync).
    db_->exec(options_.sync ? "PRAGMA synchronous = NORMAL" : "PRAGMA synchronous = OFF");
    session_.reset(new Session(*db_));
  } catch (const std::exception& e) {
    return Translate(e);
  }
  return Migrate();
}

Status Catalog::Write(Sync sync, const Body& body) {
  {
    std::lock_guard lock(mu_);
    session_->TrimCache();
    bool open = false;
    try {
      session_->Prepare("BEGIN IMMEDIATE")->exec();
      open = true;
      Status s = body(*session_);
      if (!s.ok()) {
        open = false;
        session_->Prepare("ROLLBACK")->exec();
        return s;
      }
      session_->Prepare("COMMIT")->exec();
    } catch (const std::exception& e) {
      if (open) db_->tryExec("ROLLBACK");
      return Translate(e);
    }
  }
  if (sync == Sync::kFull) return SyncWal();
  return Status::OK();
}

Status Catalog::Read(const Body& body) {
  std::lock_guard lock(mu_);
  session_->TrimCache();
  try {
    return body(*session_);
  } catch (const std::exception& e) {
    return Translate(e);
  }
}

Status Catalog::SyncWal() {
  if (!options_.sync) return Status::OK();
  return wal_sync_.Sync([this] { return SyncWalNow(); });
}

Status Catalog::SyncWalNow() {
  if (!wal_fd_.valid()) {
    auto fd = posix::Open(path_ + "-wal", O_RDONLY);
    if (fd.status().IsNotFound()) return Status::OK();  // nothing written in WAL mode yet
    if (!fd.ok()) return fd.status();
    wal_fd_ = std::move(*fd);
  }
  return posix::SyncData(wal_fd_.get(), path_ + "-wal");
}

int Catalog::schema_version() {
  int version = -1;
  (void)Read([&](Session& s) {
    auto q = s.Prepare("PRAGMA user_version");
    if (q->executeStep()) version = q->getColumn(0).getInt();
    return Status::OK();
  });
  return version;
}

}  // namespace contentstore
