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
#include <cstdlib>
#include <fstream>
#include <set>
#include <sstream>

#include "env/crash_point.h"
#include "env/random.h"

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

TempDir::~TempDir() {
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

// With $CONTENTSTORE_TEST_CATALOG_PG (a server URL), a schema of that
// server for `root` (created when missing), as a catalog URL.
std::string PostgresCatalogFor(const std::string& root) {
  const char* server = std::getenv("CONTENTSTORE_TEST_CATALOG_PG");
  if (server == nullptr || *server == '\0') return "";
  uint64_t h = 1469598103934665603ull;
  for (char c : root) h = (h ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  const std::string schema = "store_" + std::to_string(h);
  PGconn* conn = PQconnectdb(server);
  PQclear(PQexec(conn, ("CREATE SCHEMA IF NOT EXISTS " + schema).c_str()));
  PQfinish(conn);
  return std::string(server) + "?options=-csearch_path%3D" + schema;
}

}  // namespace

std::string UniqueTestPrefix(std::string_view area) {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return std::string(area) + "/" + (info != nullptr ? info->name() : "no-test") + "/" +
         RandomHex(4) + "/";
}

std::unique_ptr<Store> OpenStore(const std::string& root, const Options& given) {
  Options options = given;
  if (options.catalog_url.empty()) options.catalog_url = PostgresCatalogFor(root);
  auto store = Store::Open(root, options);
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

int RunInChild(const std::function<int()>& body) {
  fflush(nullptr);
  pid_t pid = ::fork();
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
  int status = 0;
  ::waitpid(pid, &status, 0);
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
  SQLite::Database db(root + "/catalog.db", SQLite::OPEN_READONLY);
  std::set<std::string> rows;
  SQLite::Statement blobs(db, "SELECT digest, size FROM blobs");
  while (blobs.executeStep()) {
    const std::string digest = blobs.getColumn(0).getString();
    const int64_t size = blobs.getColumn(1).getInt64();
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
  for (const std::string& alg : ListDir(root + "/blobs")) {
    for (const std::string& hex : ListDir(root + "/blobs/" + alg)) {
      // Files whose deletion is pending may still be there; they have no row
      // by design and go at the next flush.
      SQLite::Statement pending(db, "SELECT 1 FROM pending_file_deletions WHERE digest = ?");
      pending.bind(1, alg + ":" + hex);
      if (pending.executeStep()) continue;
      EXPECT_TRUE(rows.count(alg + ":" + hex)) << "file without row: " << alg << "/" << hex;
    }
  }
  // A file in trash/ is a removed blob's whose deletion failed half way; its
  // queue entry must still be there so that the next flush finishes it.
  for (const std::string& name : ListDir(root + "/trash")) {
    const size_t dash = name.find('-');
    ASSERT_NE(dash, std::string::npos) << "stray file in trash/: " << name;
    SQLite::Statement pending(db, "SELECT 1 FROM pending_file_deletions WHERE digest = ?");
    pending.bind(1, name.substr(0, dash) + ":" + name.substr(dash + 1));
    EXPECT_TRUE(pending.executeStep()) << "file left in trash/ with no deletion queued: " << name;
  }
  SQLite::Statement ingests(db, "SELECT ref, id, offset FROM ingests");
  while (ingests.executeStep()) {
    const std::string dir = root + "/ingest/" + ingests.getColumn(1).getString();
    char buf[256];
    EXPECT_FALSE(FileExists(dir + "/commit") ||
                 ::getxattr(dir.c_str(), "user.contentstore.commit", buf, sizeof(buf)) >= 0)
        << "commit marker left in ingest " << ingests.getColumn(0).getString();
  }
}

}  // namespace contentstore::testing
