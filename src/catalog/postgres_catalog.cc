#include "catalog/postgres_catalog.h"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>
#include <array>
#include <cctype>
#include <charconv>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <unordered_map>
#include <vector>

#include "catalog/postgres_sql.h"
#include "env/errno_status.h"

namespace contentstore::catalog {
namespace {

// bytea's type oid (pg_type.h is a server header).
constexpr Oid kByteaOid = 17;

// An error the server (or libpq) reported, with its SQLSTATE.
class PgError : public std::runtime_error {
 public:
  PgError(std::string sqlstate, const std::string& message)
      : std::runtime_error(message), sqlstate_(std::move(sqlstate)) {}
  const std::string& sqlstate() const { return sqlstate_; }

 private:
  std::string sqlstate_;
};

struct ResultDeleter {
  void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

struct ConnDeleter {
  void operator()(PGconn* c) const { PQfinish(c); }
};
using ConnPtr = std::unique_ptr<PGconn, ConnDeleter>;

std::string TrimmedMessage(const char* text) {
  std::string msg = text == nullptr ? "" : text;
  while (!msg.empty() && std::isspace(static_cast<unsigned char>(msg.back()))) msg.pop_back();
  return msg;
}

// Throws unless `r` is a success. Without a result or a SQLSTATE the
// connection failed (08006).
ResultPtr Check(PGconn* conn, PGresult* raw) {
  ResultPtr r(raw);
  const ExecStatusType status = r ? PQresultStatus(r.get()) : PGRES_FATAL_ERROR;
  if (status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK) return r;
  const char* state = r ? PQresultErrorField(r.get(), PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = TrimmedMessage(r ? PQresultErrorMessage(r.get()) : PQerrorMessage(conn));
  if (msg.empty()) msg = TrimmedMessage(PQerrorMessage(conn));
  throw PgError(state != nullptr ? state : "08006", msg);
}

ResultPtr Exec(PGconn* conn, const std::string& sql) {
  return Check(conn, PQexec(conn, sql.c_str()));
}

// A statement's text with :name and ?NNN parameters numbered $n: named ones
// $1..$k in order of first appearance, ?NNN as $NNN (filtered_query.h puts
// a filter's parameters after the query's named ones). Quoted text,
// identifiers, comments and :: casts are left alone.
struct Translated {
  std::string sql;
  std::vector<std::string> names;  // ":digest", by $n - 1
  int params = 0;
};

bool IsIdentStart(char c) { return std::isalpha(static_cast<unsigned char>(c)) || c == '_'; }
bool IsIdentChar(char c) { return std::isalnum(static_cast<unsigned char>(c)) || c == '_'; }

Translated TranslateParameters(std::string_view sql) {
  Translated out;
  out.sql.reserve(sql.size());
  int max_positional = 0;
  int min_positional = 0;
  size_t i = 0;
  const auto copy_until = [&](std::string_view end) {
    const size_t stop = sql.find(end, i);
    const size_t next = stop == std::string_view::npos ? sql.size() : stop + end.size();
    out.sql.append(sql.substr(i, next - i));
    i = next;
  };
  while (i < sql.size()) {
    const char c = sql[i];
    if (c == '\'' || c == '"') {
      // To the closing quote; a doubled quote is part of the text.
      size_t j = i + 1;
      while (j < sql.size()) {
        if (sql[j] == c) {
          if (j + 1 < sql.size() && sql[j + 1] == c) {
            j += 2;
            continue;
          }
          break;
        }
        ++j;
      }
      const size_t next = std::min(j + 1, sql.size());
      out.sql.append(sql.substr(i, next - i));
      i = next;
    } else if (sql.compare(i, 2, "--") == 0) {
      copy_until("\n");
    } else if (sql.compare(i, 2, "/*") == 0) {
      out.sql.append("/*");
      i += 2;
      copy_until("*/");
    } else if (sql.compare(i, 2, "::") == 0) {
      out.sql.append("::");
      i += 2;
    } else if (c == ':' && i + 1 < sql.size() && IsIdentStart(sql[i + 1])) {
      size_t j = i + 1;
      while (j < sql.size() && IsIdentChar(sql[j])) ++j;
      const std::string name(sql.substr(i, j - i));
      auto it = std::find(out.names.begin(), out.names.end(), name);
      if (it == out.names.end()) it = out.names.insert(out.names.end(), name);
      out.sql += fmt::format("${}", it - out.names.begin() + 1);
      i = j;
    } else if (c == '?' && i + 1 < sql.size() &&
               std::isdigit(static_cast<unsigned char>(sql[i + 1]))) {
      size_t j = i + 1;
      while (j < sql.size() && std::isdigit(static_cast<unsigned char>(sql[j]))) ++j;
      int n = 0;
      std::from_chars(sql.data() + i + 1, sql.data() + j, n);
      max_positional = std::max(max_positional, n);
      min_positional = min_positional == 0 ? n : std::min(min_positional, n);
      out.sql += fmt::format("${}", n);
      i = j;
    } else {
      out.sql += c;
      ++i;
    }
  }
  const int named = static_cast<int>(out.names.size());
  if (min_positional != 0 && min_positional <= named) {
    throw std::logic_error(fmt::format("numbered parameter ?{} collides with the {} named ones",
                                       min_positional, named));
  }
  out.params = std::max(named, max_positional);
  return out;
}

class PgSession;

// One prepared statement of the connection, bound and read by name. Its
// result is fetched whole at the first Step (or Run).
class PgStatement final : public Statement {
 public:
  PgStatement(PgSession& session, std::string name, Translated translated);

  void Bind(const char* name, int64_t value) override {
    Set(Parameter(name), std::to_string(value), 0);
  }
  void Bind(const char* name, std::string_view text) override {
    Set(Parameter(name), std::string(text), 0);
  }
  void BindBlob(const char* name, std::string_view bytes) override {
    Set(Parameter(name), std::string(bytes), 1);  // binary: the bytes as they are
  }
  void BindNull(const char* name) override { values_[Parameter(name)].reset(); }
  void BindIndex(int index, int64_t value) override { Set(Index(index), std::to_string(value), 0); }
  void BindIndex(int index, std::string_view text) override {
    Set(Index(index), std::string(text), 0);
  }

  // As sqlite3_step: a statement stepped past its last row, or run, runs
  // again when stepped (or run) again.
  bool Step() override {
    if (!result_ || done_) Execute();
    ++row_;
    done_ = row_ >= PQntuples(result_.get());
    return !done_;
  }
  void Run() override { Execute(); }

  bool IsNull(const char* column) override {
    return PQgetisnull(result_.get(), Row(), Column(column)) != 0;
  }
  int64_t Int64(const char* column) override {
    const int c = Column(column);
    const char* v = PQgetvalue(result_.get(), Row(), c);
    const int len = PQgetlength(result_.get(), Row(), c);
    if (len == 1 && (*v == 't' || *v == 'f')) return *v == 't' ? 1 : 0;  // boolean
    int64_t n = 0;
    auto [end, ec] = std::from_chars(v, v + len, n);
    if (ec != std::errc() || end != v + len) {
      throw std::logic_error(fmt::format("column \"{}\" is not an integer: {}", column,
                                         std::string(v, static_cast<size_t>(len))));
    }
    return n;
  }
  std::string Text(const char* column) override {
    const int c = Column(column);
    const char* v = PQgetvalue(result_.get(), Row(), c);
    if (PQftype(result_.get(), c) == kByteaOid) {
      size_t size = 0;
      unsigned char* bytes = PQunescapeBytea(reinterpret_cast<const unsigned char*>(v), &size);
      if (bytes == nullptr) throw std::bad_alloc();
      std::string out(reinterpret_cast<const char*>(bytes), size);
      PQfreemem(bytes);
      return out;
    }
    return std::string(v, static_cast<size_t>(PQgetlength(result_.get(), Row(), c)));
  }

  const std::string& name() const { return name_; }

 protected:
  void Reset() noexcept override {
    result_.reset();
    row_ = -1;
    done_ = false;
    for (auto& v : values_) v.reset();
  }

 private:
  void Execute();
  void Set(size_t index, std::string value, int format) {
    values_[index] = std::move(value);
    formats_[index] = format;
  }
  size_t Parameter(const char* name) const {
    for (size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == name) return i;
    }
    throw std::logic_error(fmt::format("query has no parameter {}", name));
  }
  size_t Index(int index) const {
    if (index < 1 || index > static_cast<int>(values_.size())) {
      throw std::logic_error(fmt::format("query has no parameter ?{}", index));
    }
    return static_cast<size_t>(index - 1);
  }
  int Row() const {
    if (!result_ || row_ < 0 || row_ >= PQntuples(result_.get())) {
      throw std::logic_error("column read without a current row");
    }
    return row_;
  }
  int Column(const char* name) const {
    if (!result_) throw std::logic_error("column read before the statement ran");
    // Quoted: PQfnumber folds an unquoted name to lower case.
    const int c = PQfnumber(result_.get(), fmt::format("\"{}\"", name).c_str());
    if (c < 0) throw std::logic_error(fmt::format("query has no column \"{}\"", name));
    return c;
  }

  PgSession& session_;
  const std::string name_;
  const std::vector<std::string> names_;
  std::vector<std::optional<std::string>> values_;
  std::vector<int> formats_;
  ResultPtr result_;
  int row_ = -1;
  bool done_ = false;  // Step returned false
};

// The connection's statement caches, handed to bodies as the Transaction.
class PgSession final : public Transaction {
 public:
  explicit PgSession(PGconn* conn) : conn_(conn) {}

  Dialect dialect() const override { return Dialect::kPostgres; }

  Query Prepare(QueryId id) override {
    auto& slot = named_[static_cast<size_t>(id)];
    if (!slot) {
      slot = Make(fmt::format("cs_q{}", static_cast<int>(id)),
                  postgres::kQueries[static_cast<size_t>(id)]);
    }
    return Query(*slot);
  }

  std::string_view Text(QueryId id) override { return postgres::kQueries[static_cast<size_t>(id)]; }

  Query PrepareText(const std::string& sql) override {
    auto it = dynamic_.find(sql);
    if (it == dynamic_.end()) {
      it = dynamic_.emplace(sql, Make(fmt::format("cs_d{}", next_dynamic_++), sql)).first;
    }
    return Query(*it->second);
  }

  void RunScript(ScriptId id) override {
    Exec(conn_, std::string(postgres::kScripts[static_cast<size_t>(id)]));
    changes_ = 0;
  }

  int64_t Changes() override { return changes_; }

  PGconn* conn() const { return conn_; }

  // After a statement ran: its row count when it changed rows.
  void NoteResult(PGresult* r) {
    const std::string_view tag = PQcmdStatus(r);
    for (std::string_view verb : {"INSERT", "UPDATE", "DELETE", "MERGE"}) {
      if (tag.substr(0, verb.size()) == verb) {
        changes_ = std::atoll(PQcmdTuples(r));
        return;
      }
    }
  }

  // Compiled filters would pile up in a long-running process: past this
  // many the dynamic cache is emptied (and deallocated on the server)
  // before the next transaction, never while a Query is alive.
  static constexpr size_t kMaxDynamicStatements = 256;
  void TrimCache() {
    if (dynamic_.size() <= kMaxDynamicStatements) return;
    for (const auto& [sql, statement] : dynamic_) {
      Exec(conn_, fmt::format("DEALLOCATE {}", statement->name()));
    }
    dynamic_.clear();
  }

 private:
  std::unique_ptr<PgStatement> Make(std::string name, std::string_view sql) {
    Translated t = TranslateParameters(sql);
    Check(conn_, PQprepare(conn_, name.c_str(), t.sql.c_str(), t.params, nullptr));
    return std::make_unique<PgStatement>(*this, std::move(name), std::move(t));
  }

  PGconn* conn_;
  std::array<std::unique_ptr<PgStatement>, kQueryCount> named_;
  std::unordered_map<std::string, std::unique_ptr<PgStatement>> dynamic_;
  int64_t next_dynamic_ = 0;
  int64_t changes_ = 0;
};

PgStatement::PgStatement(PgSession& session, std::string name, Translated translated)
    : session_(session),
      name_(std::move(name)),
      names_(std::move(translated.names)),
      values_(static_cast<size_t>(translated.params)),
      formats_(static_cast<size_t>(translated.params), 0) {}

void PgStatement::Execute() {
  std::vector<const char*> values(values_.size());
  std::vector<int> lengths(values_.size());
  for (size_t i = 0; i < values_.size(); ++i) {
    if (values_[i]) {
      values[i] = values_[i]->data();
      lengths[i] = static_cast<int>(values_[i]->size());
    }
  }
  PGconn* conn = session_.conn();
  result_ = Check(conn, PQexecPrepared(conn, name_.c_str(), static_cast<int>(values.size()),
                                       values.data(), lengths.data(), formats_.data(), 0));
  row_ = -1;
  done_ = false;
  session_.NoteResult(result_.get());
}

// A 64-bit FNV-1a hash: advisory lock keys from schema names.
int64_t LockKey(std::string_view text) {
  uint64_t h = 1469598103934665603ull;
  for (char c : text) {
    h ^= static_cast<unsigned char>(c);
    h *= 1099511628211ull;
  }
  return static_cast<int64_t>(h);
}

// A new connection to `url`; throws PgError 08001 when there is none.
ConnPtr ConnectTo(const std::string& url) {
  ConnPtr conn(PQconnectdb(url.c_str()));
  if (!conn || PQstatus(conn.get()) != CONNECTION_OK) {
    throw PgError("08001", "cannot connect: " + (conn ? TrimmedMessage(PQerrorMessage(conn.get()))
                                                      : std::string("out of memory")));
  }
  return conn;
}

bool Retryable(const PgError& e) { return e.sqlstate() == "40001" || e.sqlstate() == "40P01"; }

// One session holds all of a catalog's name locks (session advisory locks),
// each released by its NameLock; they all end with the process (or its
// machine) when the session does. A connection per lock would cost a server
// backend and an authentication per ingest (~40 ms measured: BENCHMARKS.md,
// "Several nodes"). A lock taken again by the same session succeeds (they
// count): within one process, the caller's local locks (flocks) exclude
// first. If the connection breaks, its locks are gone and the next
// TryLockName connects anew: the holders are not told (as before, with a
// connection of their own).
struct LockSession {
  std::mutex mu;
  ConnPtr conn;
};

class PostgresCatalog final : public Catalog {
 public:
  PostgresCatalog(std::string url, const Options& options, Env& env)
      : url_(std::move(url)), where_(RedactPostgresUrl(url_)), options_(options), env_(env) {}

  ~PostgresCatalog() override {
    std::lock_guard lock(mu_);
    session_.reset();  // statements before the connection
    conn_.reset();
  }

  Status Open();

  using Catalog::Write;
  Status Write(Sync, const Body& body, WriteTiming* timing) override {
    if (options_.read_only) {
      return Status::FailedPrecondition(fmt::format("catalog {} is open read-only", where_));
    }
    return Run(true, body, timing);
  }

  Status Read(const Body& body) override { return Run(false, body, nullptr); }

  // A session-level advisory lock on a connection of its own, so it lives
  // exactly as long as the returned object: it goes when the object does,
  // and with the session when this process or its machine dies.
  Result<std::unique_ptr<NameLock>> TryLockName(std::string_view name) override;

  // Commits are durable when COMMIT returns (see the header).
  Status SyncWal() override { return Status::OK(); }

  const std::string& path() const override { return where_; }
  bool read_only() const override { return options_.read_only; }

  Result<int> SchemaVersion() override {
    int version = 0;
    Status s = Read([&](Transaction&) {
      auto v = VersionNow();
      version = v.value_or(0);
      return Status::OK();
    });
    if (!s.ok()) return s;
    return version;
  }

 private:
  // `timing`: from holding the catalog's write lock to COMMIT's reply.
  Status Run(bool write, const Body& body, WriteTiming* timing);
  Status Migrate();
  // (Re)connects when there is no usable connection. REQUIRES: mu_ held.
  void Connect();
  void RollbackQuietly() noexcept {
    if (conn_ && PQtransactionStatus(conn_.get()) != PQTRANS_IDLE) {
      PQclear(PQexec(conn_.get(), "ROLLBACK"));
    }
  }
  // schema_version's row, or nullopt when the schema has no catalog.
  // REQUIRES: mu_ held, inside a transaction.
  std::optional<int> VersionNow() {
    ResultPtr has = Exec(conn_.get(), "SELECT to_regclass('schema_version') IS NOT NULL");
    if (std::string_view(PQgetvalue(has.get(), 0, 0)) != "t") return std::nullopt;
    ResultPtr r = Exec(conn_.get(), "SELECT version FROM schema_version WHERE id = 1");
    if (PQntuples(r.get()) == 0) return std::nullopt;
    return std::atoi(PQgetvalue(r.get(), 0, 0));
  }
  Status Translate(const std::exception& e) const {
    if (const auto* pg = dynamic_cast<const PgError*>(&e)) {
      return TranslatePostgresError(pg->sqlstate(), pg->what(), where_, options_.busy_timeout_ms);
    }
    return Status::Internal(fmt::format("catalog {}: {}", where_, e.what()));
  }

  const std::string url_;
  const std::string where_;
  const Options options_;
  Env& env_;
  std::mutex mu_;
  ConnPtr conn_;  // declared before session_: statements go first
  std::unique_ptr<PgSession> session_;
  std::string write_lock_sql_;  // SELECT pg_advisory_xact_lock(<this schema's key>)
  std::string migrate_lock_sql_;
  std::string schema_id_;  // "database.schema", for lock keys
  // The session holding this catalog's name locks (TryLockName).
  const std::shared_ptr<LockSession> locks_ = std::make_shared<LockSession>();
};

class PgNameLock final : public NameLock {
 public:
  PgNameLock(std::shared_ptr<LockSession> session, std::string key)
      : session_(std::move(session)), key_(std::move(key)) {}
  ~PgNameLock() override {
    std::lock_guard lock(session_->mu);
    if (session_->conn && PQstatus(session_->conn.get()) == CONNECTION_OK) {
      PQclear(PQexec(session_->conn.get(),
                     fmt::format("SELECT pg_advisory_unlock({})", key_).c_str()));
    }
  }

 private:
  const std::shared_ptr<LockSession> session_;
  const std::string key_;
};

Result<std::unique_ptr<NameLock>> PostgresCatalog::TryLockName(std::string_view name) {
  std::string key;
  {
    std::lock_guard lock(mu_);
    try {
      Connect();
    } catch (const std::exception& e) {
      return Translate(e);
    }
    key = fmt::format("{}", LockKey(fmt::format("contentstore name {} {}", schema_id_, name)));
  }
  std::lock_guard lock(locks_->mu);
  try {
    if (!locks_->conn || PQstatus(locks_->conn.get()) != CONNECTION_OK) {
      locks_->conn = ConnectTo(url_);
    }
    ResultPtr got = Exec(locks_->conn.get(), fmt::format("SELECT pg_try_advisory_lock({})", key));
    if (std::string_view(PQgetvalue(got.get(), 0, 0)) != "t") {
      return Status::Unavailable(
          fmt::format("{} is locked by another process sharing catalog {}", name, where_));
    }
  } catch (const std::exception& e) {
    return Translate(e);
  }
  return std::unique_ptr<NameLock>(std::make_unique<PgNameLock>(locks_, std::move(key)));
}

void PostgresCatalog::Connect() {
  if (conn_ && PQstatus(conn_.get()) == CONNECTION_OK) return;
  session_.reset();
  conn_.reset();
  conn_ = ConnectTo(url_);
  // Notices (an object that already exists, skipped) are not errors.
  PQsetNoticeProcessor(
      conn_.get(), [](void*, const char*) {}, nullptr);
  Exec(conn_.get(), std::string(postgres::kSessionSetup));
  Exec(conn_.get(), fmt::format("SET lock_timeout = {}", std::max(options_.busy_timeout_ms, 1)));
  ResultPtr schema = Exec(conn_.get(), "SELECT current_database(), current_schema()");
  if (PQgetisnull(schema.get(), 0, 1)) {
    throw PgError("3F000",
                  "no schema to keep the catalog in: no schema on the search_path exists (create "
                  "it, or set one with ?options=-csearch_path%3Dname)");
  }
  const std::string id =
      fmt::format("{}.{}", PQgetvalue(schema.get(), 0, 0), PQgetvalue(schema.get(), 0, 1));
  schema_id_ = id;
  write_lock_sql_ =
      fmt::format("SELECT pg_advisory_xact_lock({})", LockKey("contentstore write " + id));
  migrate_lock_sql_ =
      fmt::format("SELECT pg_advisory_xact_lock({})", LockKey("contentstore migrate " + id));
  session_ = std::make_unique<PgSession>(conn_.get());
}

Status PostgresCatalog::Run(bool write, const Body& body, WriteTiming* timing) {
  std::lock_guard lock(mu_);
  for (int attempt = 1;; ++attempt) {
    bool began = false;
    try {
      Connect();
      session_->TrimCache();
      Exec(conn_.get(), write ? "BEGIN ISOLATION LEVEL READ COMMITTED"
                              : "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY");
      began = true;
      if (write) Exec(conn_.get(), write_lock_sql_);
      const int64_t locked_ns = env_.MonotonicNanos();
      Status s = body(*session_);
      ResultPtr end = Exec(conn_.get(), s.ok() ? "COMMIT" : "ROLLBACK");
      if (timing != nullptr) {
        timing->locked = std::chrono::nanoseconds(env_.MonotonicNanos() - locked_ns);
      }
      // COMMIT of a transaction the server had already failed rolls back.
      if (s.ok() && std::string_view(PQcmdStatus(end.get())) != "COMMIT") {
        return Status::Internal(
            fmt::format("catalog {}: the transaction failed and was rolled back", where_));
      }
      return s;
    } catch (const PgError& e) {
      RollbackQuietly();
      if (began && Retryable(e) && attempt < kPostgresMaxAttempts) {
        env_.SleepForMicros(int64_t{2000} << attempt);
        continue;
      }
      Status s = Translate(e);
      if (Retryable(e)) s = s.WithContext(fmt::format("after {} attempts", attempt));
      return s;
    } catch (const std::exception& e) {
      RollbackQuietly();
      return Translate(e);
    }
  }
}

Status TooNew(const std::string& where, int version) {
  return Status::IOError(
      fmt::format("catalog {} has schema version {}, but this contentstore knows only up to {}: "
                  "use a newer contentstore",
                  where, version, LatestPostgresSchemaVersion()));
}

// Every pending migration and the new version in one transaction, under the
// migration lock: a second process opening the same new catalog waits for
// the first and then finds it current. A newer catalog is refused before
// anything is written.
Status PostgresCatalog::Migrate() {
  const int latest = LatestPostgresSchemaVersion();
  std::lock_guard lock(mu_);
  try {
    Connect();
    // READ COMMITTED: after the lock, the next statement sees what another
    // migrator committed while we waited.
    Exec(conn_.get(), "BEGIN ISOLATION LEVEL READ COMMITTED");
    Exec(conn_.get(), migrate_lock_sql_);
    std::optional<int> version = VersionNow();
    Status refused;
    if (version && *version > latest) {
      refused = TooNew(where_, *version);
    } else if (version && *version == latest) {
      Exec(conn_.get(), "COMMIT");
      return Status::OK();
    } else if (!version) {
      ResultPtr tables =
          Exec(conn_.get(), "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()");
      if (std::atoll(PQgetvalue(tables.get(), 0, 0)) != 0) {
        refused = Status::IOError(fmt::format(
            "catalog {}: schema has tables but no schema_version: not a contentstore catalog",
            where_));
      } else if (!options_.create_if_missing || options_.read_only) {
        refused = Status::NotFound(fmt::format("catalog {} does not exist", where_));
      }
    } else if (options_.read_only) {
      refused = Status::FailedPrecondition(fmt::format(
          "catalog {} has schema version {} and needs migrating to {}, which a read-only open "
          "cannot do: open it once with write access",
          where_, *version, latest));
    }
    if (!refused.ok()) {
      RollbackQuietly();
      return refused;
    }
    const int from = version.value_or(0);
    for (const postgres::Migration& m : postgres::kMigrations) {
      if (m.version > from) Exec(conn_.get(), std::string(m.text));
    }
    Exec(conn_.get(), fmt::format("INSERT INTO schema_version (id, version) VALUES (1, {}) "
                                  "ON CONFLICT (id) DO UPDATE SET version = excluded.version",
                                  latest));
    Exec(conn_.get(), "COMMIT");
  } catch (const std::exception& e) {
    RollbackQuietly();
    return Translate(e);
  }
  return Status::OK();
}

Status PostgresCatalog::Open() {
  if (Status s = Migrate(); !s.ok()) return s;
  return Status::OK();
}

}  // namespace

bool IsPostgresUrl(std::string_view url) {
  return url.starts_with("postgresql://") || url.starts_with("postgres://");
}

std::string RedactPostgresUrl(std::string_view url) {
  // scheme://user:password@host...: the password is between the first ':'
  // after "//" and the last '@' before the path.
  const size_t start = url.find("//");
  if (start == std::string_view::npos) return std::string(url);
  const size_t path = url.find('/', start + 2);
  const std::string_view authority = url.substr(
      start + 2, path == std::string_view::npos ? std::string_view::npos : path - start - 2);
  const size_t at = authority.rfind('@');
  std::string out(url);
  if (at != std::string_view::npos) {
    const size_t colon = authority.find(':');
    if (colon != std::string_view::npos && colon < at) {
      out.replace(start + 2 + colon + 1, at - colon - 1, "***");
    }
  }
  // A password given as a query parameter.
  const size_t pw = out.find("password=");
  if (pw != std::string::npos) {
    const size_t end = out.find('&', pw);
    out.replace(pw + 9, (end == std::string::npos ? out.size() : end) - pw - 9, "***");
  }
  return out;
}

int LatestPostgresSchemaVersion() { return postgres::kMigrations.back().version; }

Status TranslatePostgresError(std::string_view sqlstate, std::string_view message,
                              const std::string& where, int busy_timeout_ms) {
  std::string msg = fmt::format("catalog {}: {} (SQLSTATE {})", where, message, sqlstate);
  const std::string_view cls = sqlstate.substr(0, 2);
  if (sqlstate == "23505") return Status::AlreadyExists(std::move(msg));
  if (sqlstate == "40001" || sqlstate == "40P01") return Status::Unavailable(std::move(msg));
  if (sqlstate == "55P03" || sqlstate == "57014") {
    return Status::Unavailable(fmt::format(
        "{} (another process held the catalog for more than {} ms)", msg, busy_timeout_ms));
  }
  // Connection failures, the server shutting down or refusing connections.
  if (cls == "08" || sqlstate == "57P01" || sqlstate == "57P02" || sqlstate == "57P03" ||
      sqlstate == "53300") {
    return Status::Unavailable(std::move(msg));
  }
  if (sqlstate == "53100") return Status::IOError(fmt::format("{} ({})", msg, kNoSpaceText));
  // A filter's regular expression PostgreSQL cannot compile or run.
  if (sqlstate == "2201B" || sqlstate == "54001") return Status::InvalidArgument(std::move(msg));
  if (sqlstate == "25006") return Status::FailedPrecondition(std::move(msg));
  if (cls == "23") return Status::Internal(std::move(msg));
  if (sqlstate == "XX001" || sqlstate == "XX002") {
    return Status::IOError(fmt::format("{} (the server reports damaged data)", msg));
  }
  return Status::IOError(std::move(msg));
}

Result<std::unique_ptr<Catalog>> OpenPostgresCatalog(const std::string& url, const Options& options,
                                                     Env& env) {
  if (!IsPostgresUrl(url)) {
    return Status::InvalidArgument(
        fmt::format("catalog URL {} is not postgresql://...", RedactPostgresUrl(url)));
  }
  auto catalog = std::make_unique<PostgresCatalog>(url, options, env);
  if (Status s = catalog->Open(); !s.ok()) return s;
  return std::unique_ptr<Catalog>(std::move(catalog));
}

}  // namespace contentstore::catalog
