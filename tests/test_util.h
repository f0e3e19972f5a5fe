// Helpers shared by the tests: temporary store roots, deterministic content,
// status assertions, and running code in a child process.

#ifndef CONTENTSTORE_TESTS_TEST_UTIL_H_
#define CONTENTSTORE_TESTS_TEST_UTIL_H_

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cstdint>
#include <functional>
#include <ostream>
#include <memory>
#include <string>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "contentstore/store.h"

namespace contentstore {
// So gtest prints digests as text.
inline void PrintTo(const Digest& d, std::ostream* os) { *os << d.str(); }
}  // namespace contentstore

namespace contentstore::testing {

// Status assertions that print the status on failure and accept more
// context with <<.
::testing::AssertionResult IsOk(const Status& status);
::testing::AssertionResult HasCode(const Status& status, Code code);
template <typename T>
::testing::AssertionResult IsOk(const Result<T>& result) {
  return IsOk(result.status());
}

#define ASSERT_OK(expr) ASSERT_TRUE(::contentstore::testing::IsOk((expr))) << #expr
#define EXPECT_OK(expr) EXPECT_TRUE(::contentstore::testing::IsOk((expr))) << #expr
#define EXPECT_CODE(expr, code_) \
  EXPECT_TRUE(::contentstore::testing::HasCode((expr), ::contentstore::Code::code_)) << #expr
#define ASSERT_CODE(expr, code_) \
  ASSERT_TRUE(::contentstore::testing::HasCode((expr), ::contentstore::Code::code_)) << #expr

// A fresh directory under $TMPDIR (or /tmp), removed with everything in it
// when the object dies.
class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }
  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

// `size` bytes from splitmix64 seeded with `seed`: same seed, same bytes.
std::string MakeContent(size_t size, uint64_t seed = 1);
Digest DigestOf(std::string_view bytes, Algorithm algorithm = Algorithm::kSHA256);

// "AREA/<this test's name>/<random>/": keys of the running test's own in a
// server shared by tests running at once.
std::string UniqueTestPrefix(std::string_view area);

// Opens a store or fails the test. With $CONTENTSTORE_TEST_CATALOG_PG set
// (and options.catalog_url empty), the store's catalog is a schema of that
// PostgreSQL server named after `root` (created when missing): how the store
// tests run on the PostgreSQL catalog (ctest label postgres;
// src/catalog/POSTGRES.md). The variable holds the server's URL, or
// "@FILE": the PG_URI line of FILE, a tools/test-servers/postgres env file
// (what ctest's fixture passes). With the variable set, a server that does
// not answer ends the run (status 1) before any test, and
// CONTENTSTORE_SKIP_SERVER_TESTS=1 ends it with status 77 (ctest: skipped).
// A test that opens a store some other way
// passes StoreOptions(root) to Store::Open, and reads or writes catalog
// rows through CatalogSql, so that it is on the same catalog.
std::unique_ptr<Store> OpenStore(const std::string& root, const Options& options = {});

// The options OpenStore opens `root` with: `options`, plus the PostgreSQL
// catalog_url when the tests run on PostgreSQL. For Store::Open in a child,
// or where a test wants the Result.
Options StoreOptions(const std::string& root, const Options& options = {});

// True when $CONTENTSTORE_TEST_CATALOG_PG puts the tests' stores on
// PostgreSQL. For the few checks that differ by engine, and for
// SKIP_ON_POSTGRES.
bool CatalogOnPostgres();

// Skips a test that is about SQLite's catalog file itself (its bytes, its
// WAL, rebuilding it) when the tests run on PostgreSQL; `why` says so in
// the output ("[  SKIPPED ]" with the reason), never a silent pass.
#define SKIP_ON_POSTGRES(why)                                                      \
  do {                                                                           \
    if (::contentstore::testing::CatalogOnPostgres()) {                          \
      GTEST_SKIP() << "SQLite-specific, not run on the PostgreSQL catalog: " << why; \
    }                                                                            \
  } while (0)

// Plain SQL on the catalog of the store at `root`, whichever engine it is
// on: ROOT/catalog.db (a plain SQLite connection that waits for locks as the
// library's does) or the PostgreSQL schema OpenStore gives `root`. For tests
// that look at rows the API does not show, or write rows behind the
// library's back. The SQL must mean the same in both dialects: `?`
// placeholders (bound as text; PostgreSQL infers their types), no integer
// arithmetic that overflows PostgreSQL's 32-bit integer literals (write the
// product as one literal). Errors fail the test (and throw, so that the
// test stops: a test reading rows cannot go on without them).
//
// Thread-safety: one object per thread.
class CatalogSql {
 public:
  explicit CatalogSql(const std::string& root);
  ~CatalogSql();
  CatalogSql(const CatalogSql&) = delete;
  CatalogSql& operator=(const CatalogSql&) = delete;

  // One or more statements, no parameters.
  void Exec(const std::string& sql);
  // One statement; each row's columns as text (NULL as "").
  std::vector<std::vector<std::string>> Query(const std::string& sql,
                                              const std::vector<std::string>& params = {});
  // The first column of the first row; "" when there is no row.
  std::string Value(const std::string& sql, const std::vector<std::string>& params = {});
  // The rows' first columns.
  std::vector<std::string> Column(const std::string& sql,
                                  const std::vector<std::string>& params = {});

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Opens a writer or fails the test (nullptr).
std::unique_ptr<Writer> OpenWriter(Store& store, const std::string& ref,
                                   std::optional<int64_t> total = {},
                                   std::optional<Digest> expected = {});

// Writes `content` under `ref` and commits it; returns the commit status.
Status WriteBlob(Store& store, const std::string& ref, std::string_view content,
                 const Labels& labels = {});

// The whole blob, read back through a Reader.
Result<std::string> ReadAll(Store& store, const Digest& digest);

// The whole file at `path` ("" if missing).
std::string ReadFile(const std::string& path);
bool FileExists(const std::string& path);
// Names in a directory, without . and .., sorted.
std::vector<std::string> ListDir(const std::string& path);
// ROOT/ingest's names, without the spare directories a store keeps there
// while open (files/ingest_dirs.h).
std::vector<std::string> IngestDirsInUse(const std::string& root);
// Those spare directories alone.
std::vector<std::string> SpareIngestDirs(const std::string& root);

// fork(), refused (-1, and a gtest failure) while one of the library's own
// threads runs (env/thread_name.h): a store's reaper or snapshot keeper may
// hold SQLite's or the allocator's locks at that moment, and the child then
// hangs on them, now and then, under load. Tests fork before opening a store,
// or after closing it. (Threads of a sanitizer's runtime are not counted.)
pid_t ForkAlone();

// Runs `body` in a forked child (ForkAlone); returns its exit status (0..255), or 128+N
// when it died of signal N. Exceptions and gtest failures in the child count
// as exit status 99. -1 when the fork was refused.
int RunInChild(const std::function<int()>& body);
// The same in two halves, for a parent that works while the child runs:
// StartInChild returns the child's pid (-1 when refused), WaitForChild its
// status as above.
pid_t StartInChild(const std::function<int()>& body);
int WaitForChild(pid_t pid);

// In a forked child: installs a crash hook that SIGKILLs the process when the
// named crash point is reached.
void CrashAt(const std::string& point);

// Checks the store's invariants after a crash: every blob row has a file of
// the right size whose bytes hash to its digest, every file under blobs/ has
// a row, no ingest holds a commit marker, every ingest row's data (if any)
// is no shorter than its checkpoint offset... Reports failures with gtest.
void ExpectConsistent(const std::string& root);

}  // namespace contentstore::testing

#endif  // CONTENTSTORE_TESTS_TEST_UTIL_H_
