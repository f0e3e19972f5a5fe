#include "test_util.h"

#include <dirent.h>

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <SQLiteCpp/SQLiteCpp.h>
#include <postgresql/libpq-fe.h>  // Debian libpq-dev; the library links libpq

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <mutex>
#include <set>
#include <sstream>
#include <stdexcept>

#include "env/crash_point.h"
#include "env/random.h"
#include "env/thread_name.h"
#include "files/ingest_dirs.h"

namespace contentstore::testing {

::testing::AssertionResult IsOk(const Status& status) {
  if (status.ok()) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << status.ToString();
}

::testing::AssertionResult HasCode(const Status& status, Code code) {
  if (status.code() == code) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << "expected " << CodeName(code) << ", got "
                                       << status.ToString();
}

TempDir::TempDir() {
  const char* base = std::getenv("TMPDIR");
  std::string pattern = std::string(base && *base ? base : "/tmp") + "/contentstore-test.XXXXXX";
  char* made = ::mkdtemp(pattern.data());
  if (made == nullptr) std::abort();
  path_ = made;
}

namespace {
void DropSchemasUnder(const std::string& dir);
}  // namespace

TempDir::~TempDir() {
  DropSchemasUnder(path_);
  // Blobs are read-only; rm -rf copes.
  std::string cmd = "chmod -R u+w '" + path_ + "' 2>/dev/null; rm -rf '" + path_ + "'";
  if (std::system(cmd.c_str()) != 0) {
  }
}

std::string MakeContent(size_t size, uint64_t seed) {
  std::string out(size, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < size; i += 8) {
    x += 0x9e3779b97f4a7c15ULL;
    uint64_t z = x;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    z ^= z >> 31;
    for (size_t k = 0; k < 8 && i + k < size; ++k) out[i + k] = static_cast<char>(z >> (8 * k));
  }
  return out;
}

Digest DigestOf(std::string_view bytes, Algorithm algorithm) {
  Digester d(algorithm);
  d.update(bytes);
  return d.digest();
}

namespace {

// $CONTENTSTORE_TEST_CATALOG_PG resolved: the server's URL, "" when unset
// (SQLite). "@FILE" is read from FILE's PG_URI line; an unreadable FILE ends
// the process (the fixture's server did not start: the tests must fail, not
// pass on SQLite).
const std::string& PostgresServer() {
  static const std::string* const url = [] {
    const char* value = std::getenv("CONTENTSTORE_TEST_CATALOG_PG");
    std::string out = value != nullptr ? value : "";
    if (out.starts_with("@")) {
      const std::string path = out.substr(1);
      out.clear();
      std::ifstream in(path);
      std::string line;
      while (in && std::getline(in, line)) {
        if (line.starts_with("PG_URI=")) out = line.substr(7);
      }
      if (out.empty()) {
        std::fprintf(stderr,
                     "CONTENTSTORE_TEST_CATALOG_PG=@%s: cannot read a PG_URI line from %s: the "
                     "PostgreSQL server did not start or was stopped (ctest starts it through the "
                     "fixture postgres_server; by hand: tools/test-servers/postgres start DIR; "
                     "CONTENTSTORE_SKIP_SERVER_TESTS=1 skips these tests)\n",
                     path.c_str(), path.c_str());
        std::exit(1);
      }
    }
    return new std::string(out);
  }();
  return *url;
}

PGconn* ConnectQuietly(const std::string& url) {
  PGconn* conn = PQconnectdb(url.c_str());
  PQsetNoticeProcessor(
      conn, [](void*, const char*) {}, nullptr);
  return conn;
}

std::string SchemaFor(const std::string& root) {
  uint64_t h = 1469598103934665603ull;
  for (char c : root) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return "store_" + std::to_string(h);
}

// Roots this process made schemas for, dropped with their TempDir (a
// server used by hand would otherwise keep a schema per test run).
std::mutex g_schemas_mu;
std::set<std::string>* g_schema_roots = new std::set<std::string>();

void DropSchemasUnder(const std::string& dir) {
  std::vector<std::string> schemas;
  {
    std::lock_guard lock(g_schemas_mu);
    for (auto it = g_schema_roots->begin(); it != g_schema_roots->end();) {
      if (*it == dir || it->starts_with(dir + "/")) {
        schemas.push_back(SchemaFor(*it));
        it = g_schema_roots->erase(it);
      } else {
        ++it;
      }
    }
  }
  if (schemas.empty()) return;
  PGconn* conn = ConnectQuietly(PostgresServer());
  for (const std::string& schema : schemas) {
    PQclear(PQexec(conn, ("DROP SCHEMA IF EXISTS " + schema + " CASCADE").c_str()));
  }
  PQfinish(conn);
}

// With $CONTENTSTORE_TEST_CATALOG_PG, a schema of that server for `root`
// (created when missing), as a catalog URL.
std::string PostgresCatalogFor(const std::string& root) {
  const std::string& server = PostgresServer();
  if (server.empty()) return "";
  const std::string schema = SchemaFor(root);
  {
    std::lock_guard lock(g_schemas_mu);
    g_schema_roots->insert(root);
  }
  PGconn* conn = ConnectQuietly(server);
  PQclear(PQexec(conn, ("CREATE SCHEMA IF NOT EXISTS " + schema).c_str()));
  PQfinish(conn);
  return server + (server.find('?') == std::string::npos ? "?" : "&") +
         "options=-csearch_path%3D" + schema;
}

// When the tests run on PostgreSQL, checks once, before any test, that the
// server answers; a test run that would otherwise fail test by test (or, for
// tests that open no store, pass without having been near PostgreSQL) stops
// here instead, exit status 1. CONTENTSTORE_SKIP_SERVER_TESTS=1 runs no test
// and exits 77, which the ctest entries count as skipped (gtest would count
// tests an environment skipped as passed).
class PostgresCatalogCheck : public ::testing::Environment {
 public:
  void SetUp() override {
    const char* skip = std::getenv("CONTENTSTORE_SKIP_SERVER_TESTS");
    if (skip != nullptr && std::string(skip) == "1") {
      std::fprintf(stderr,
                   "CONTENTSTORE_SKIP_SERVER_TESTS=1: not running on the PostgreSQL catalog\n");
      std::exit(77);
    }
    PGconn* conn = ConnectQuietly(PostgresServer());
    const bool ok = PQstatus(conn) == CONNECTION_OK;
    const std::string error = ok ? "" : PQerrorMessage(conn);
    PQfinish(conn);
    if (!ok) {
      std::fprintf(stderr, "CONTENTSTORE_TEST_CATALOG_PG: cannot connect to the server: %s\n",
                   error.c_str());
      std::exit(1);
    }
  }
};

[[maybe_unused]] const bool kPostgresCheckRegistered = [] {
  const char* value = std::getenv("CONTENTSTORE_TEST_CATALOG_PG");
  if (value != nullptr && *value != '\0') {
    ::testing::AddGlobalTestEnvironment(new PostgresCatalogCheck);
  }
  return true;
}();

}  // namespace

bool CatalogOnPostgres() { return !PostgresServer().empty(); }

Options StoreOptions(const std::string& root, const Options& given) {
  Options options = given;
  if (options.catalog_url.empty()) options.catalog_url = PostgresCatalogFor(root);
  return options;
}

struct CatalogSql::Impl {
  std::unique_ptr<SQLite::Database> sqlite;
  PGconn* pg = nullptr;

  [[noreturn]] static void Fail(const std::string& sql, const std::string& error) {
    ADD_FAILURE() << "catalog SQL failed: " << error << "\n  " << sql;
    throw std::runtime_error("catalog SQL failed: " + error);
  }

  // `?` outside quotes becomes $1, $2...
  static std::string Numbered(const std::string& sql) {
    std::string out;
    int n = 0;
    char quote = 0;
    for (char c : sql) {
      if (quote != 0) {
        if (c == quote) quote = 0;
      } else if (c == '\'' || c == '"') {
        quote = c;
      } else if (c == '?') {
        out += "$" + std::to_string(++n);
        continue;
      }
      out += c;
    }
    return out;
  }
};

CatalogSql::CatalogSql(const std::string& root) : impl_(std::make_unique<Impl>()) {
  if (CatalogOnPostgres()) {
    const std::string url = PostgresCatalogFor(root);
    impl_->pg = ConnectQuietly(url);
    if (PQstatus(impl_->pg) != CONNECTION_OK) Impl::Fail(url, PQerrorMessage(impl_->pg));
  } else {
    impl_->sqlite = std::make_unique<SQLite::Database>(root + "/catalog.db", SQLite::OPEN_READWRITE,
                                                       /*busy timeout ms=*/10000);
  }
}

CatalogSql::~CatalogSql() {
  if (impl_->pg != nullptr) PQfinish(impl_->pg);
}

void CatalogSql::Exec(const std::string& sql) {
  if (impl_->sqlite) {
    try {
      impl_->sqlite->exec(sql);
    } catch (const std::exception& e) {
      Impl::Fail(sql, e.what());
    }
    return;
  }
  PGresult* r = PQexec(impl_->pg, sql.c_str());
  const ExecStatusType st = PQresultStatus(r);
  const std::string error = PQresultErrorMessage(r);
  PQclear(r);
  if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) Impl::Fail(sql, error);
}

std::vector<std::vector<std::string>> CatalogSql::Query(const std::string& sql,
                                                        const std::vector<std::string>& params) {
  std::vector<std::vector<std::string>> rows;
  if (impl_->sqlite) {
    try {
      SQLite::Statement q(*impl_->sqlite, sql);
      for (size_t i = 0; i < params.size(); ++i) q.bind(static_cast<int>(i) + 1, params[i]);
      while (q.executeStep()) {
        std::vector<std::string>& row = rows.emplace_back();
        for (int c = 0; c < q.getColumnCount(); ++c) row.push_back(q.getColumn(c).getString());
      }
    } catch (const std::exception& e) {
      Impl::Fail(sql, e.what());
    }
    return rows;
  }
  std::vector<const char*> values;
  for (const std::string& p : params) values.push_back(p.c_str());
  PGresult* r = PQexecParams(impl_->pg, Impl::Numbered(sql).c_str(), static_cast<int>(values.size()),
                             nullptr, values.data(), nullptr, nullptr, 0);
  const ExecStatusType st = PQresultStatus(r);
  if (st != PGRES_TUPLES_OK && st != PGRES_COMMAND_OK) {
    const std::string error = PQresultErrorMessage(r);
    PQclear(r);
    Impl::Fail(sql, error);
  }
  for (int i = 0; i < PQntuples(r); ++i) {
    std::vector<std::string>& row = rows.emplace_back();
    for (int c = 0; c < PQnfields(r); ++c) row.push_back(PQgetvalue(r, i, c));
  }
  PQclear(r);
  return rows;
}

std::string CatalogSql::Value(const std::string& sql, const std::vector<std::string>& params) {
  auto rows = Query(sql, params);
  return rows.empty() || rows[0].empty() ? "" : rows[0][0];
}

std::vector<std::string> CatalogSql::Column(const std::string& sql,
                                            const std::vector<std::string>& params) {
  std::vector<std::string> out;
  for (auto& row : Query(sql, params)) out.push_back(row.empty() ? "" : row[0]);
  return out;
}

std::string UniqueTestPrefix(std::string_view area) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(area) + "/" + (info != nullptr ? info->name() : "no-test") + "/" +
         RandomHex(4) + "/";
}

std::unique_ptr<Store> OpenStore(const std::string& root, const Options& given) {
  auto store = Store::Open(root, StoreOptions(root, given));
  EXPECT_TRUE(store.ok()) << store.status().ToString();
  if (!store.ok()) return nullptr;
  return std::move(*store);
}

std::unique_ptr<Writer> OpenWriter(Store& store, const std::string& ref,
                                   std::optional<int64_t> total, std::optional<Digest> expected) {
  WriterOptions options;
  options.ref = ref;
  options.total = total;
  options.expected = expected;
  auto w = store.writer(options);
  EXPECT_TRUE(w.ok()) << w.status().ToString();
  return w.ok() ? std::move(*w) : nullptr;
}

Status WriteBlob(Store& store, const std::string& ref, std::string_view content,
                 const Labels& labels) {
  WriterOptions options;
  options.ref = ref;
  auto writer = store.writer(options);
  if (!writer.ok()) return writer.status();
  if (Status s = (*writer)->write(content); !s.ok()) return s;
  return (*writer)->commit(static_cast<int64_t>(content.size()), DigestOf(content), labels);
}

Result<std::string> ReadAll(Store& store, const Digest& digest) {
  auto reader = store.reader(digest);
  if (!reader.ok()) return reader.status();
  std::string out(static_cast<size_t>((*reader)->size()), '\0');
  auto n = (*reader)->read_at(0, std::as_writable_bytes(std::span<char>(out.data(), out.size())));
  if (!n.ok()) return n.status();
  out.resize(*n);
  return out;
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool FileExists(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

std::vector<std::string> ListDir(const std::string& path) {
  std::vector<std::string> names;
  DIR* dir = ::opendir(path.c_str());
  if (dir == nullptr) return names;
  while (dirent* e = ::readdir(dir)) {
    std::string name = e->d_name;
    if (name != "." && name != "..") names.push_back(std::move(name));
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> IngestDirsInUse(const std::string& root) {
  std::vector<std::string> names = ListDir(root + "/ingest");
  std::erase_if(names, [](const std::string& name) { return IngestDirs::IsSpare(name); });
  return names;
}

std::vector<std::string> SpareIngestDirs(const std::string& root) {
  std::vector<std::string> names = ListDir(root + "/ingest");
  std::erase_if(names, [](const std::string& name) { return !IngestDirs::IsSpare(name); });
  return names;
}

pid_t ForkAlone() {
  for (const std::string& task : ListDir("/proc/self/task")) {
    std::string name = ReadFile("/proc/self/task/" + task + "/comm");
    if (name.starts_with(kThreadNamePrefix)) {
      while (!name.empty() && name.back() == '\n') name.pop_back();
      ADD_FAILURE() << "fork refused: the store's thread " << name << " runs (is a store open?); "
                    << "the child could hang on a lock it holds";
      return -1;
    }
  }
  fflush(nullptr);
  return ::fork();
}

int RunInChild(const std::function<int()>& body) { return WaitForChild(StartInChild(body)); }

pid_t StartInChild(const std::function<int()>& body) {
  const pid_t pid = ForkAlone();
  if (pid == 0) {
    int code = 99;
    try {
      code = body();
      if (::testing::Test::HasFailure()) code = 99;
    } catch (...) {
      code = 99;
    }
    ::_exit(code);
  }
  return pid;
}

int WaitForChild(pid_t pid) {
  if (pid < 0) return -1;
  int status = 0;
  if (::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

namespace {
std::string* g_crash_point = nullptr;
void KillAtPoint(std::string_view point) {
  if (g_crash_point != nullptr && point == *g_crash_point) ::kill(::getpid(), SIGKILL);
}
}  // namespace

void CrashAt(const std::string& point) {
  g_crash_point = new std::string(point);  // lives until the child dies
  test_hooks::SetCrashHook(&KillAtPoint);
}

void ExpectConsistent(const std::string& root) {
  CatalogSql db(root);
  std::set<std::string> rows;
  for (const auto& row : db.Query("SELECT digest, size FROM blobs")) {
    const std::string& digest = row[0];
    const int64_t size = std::stoll(row[1]);
    rows.insert(digest);
    auto parsed = Digest::Parse(digest);
    ASSERT_TRUE(parsed.ok()) << digest;
    const std::string path =
        root + "/blobs/" + std::string(AlgorithmName(parsed->algorithm())) + "/" + parsed->hex();
    ASSERT_TRUE(FileExists(path)) << "row without file: " << digest;
    const std::string bytes = ReadFile(path);
    EXPECT_EQ(static_cast<int64_t>(bytes.size()), size) << digest;
    EXPECT_EQ(DigestOf(bytes, parsed->algorithm()), *parsed) << "file bytes do not match " << digest;
    struct stat st {};
    ::stat(path.c_str(), &st);
    EXPECT_EQ(st.st_mode & 0222, 0u) << "blob file is writable: " << digest;
  }
  const std::string pending = "SELECT 1 FROM pending_file_deletions WHERE digest = ?";
  for (const std::string& alg : ListDir(root + "/blobs")) {
    for (const std::string& hex : ListDir(root + "/blobs/" + alg)) {
      // Files whose deletion is pending may still be there; they have no row
      // by design and go at the next flush.
      if (!db.Query(pending, {alg + ":" + hex}).empty()) continue;
      EXPECT_TRUE(rows.count(alg + ":" + hex)) << "file without row: " << alg << "/" << hex;
    }
  }
  // A file in trash/ is a removed blob's whose deletion failed half way; its
  // queue entry must still be there so that the next flush finishes it.
  for (const std::string& name : ListDir(root + "/trash")) {
    const size_t dash = name.find('-');
    ASSERT_NE(dash, std::string::npos) << "stray file in trash/: " << name;
    EXPECT_FALSE(db.Query(pending, {name.substr(0, dash) + ":" + name.substr(dash + 1)}).empty())
        << "file left in trash/ with no deletion queued: " << name;
  }
  for (const auto& row : db.Query("SELECT ref, id FROM ingests")) {
    const std::string dir = root + "/ingest/" + row[1];
    char buf[256];
    EXPECT_FALSE(FileExists(dir + "/commit") ||
                 ::getxattr(dir.c_str(), "user.contentstore.commit", buf, sizeof(buf)) >= 0)
        << "commit marker left in ingest " << row[0];
  }
}

}  // namespace contentstore::testing
