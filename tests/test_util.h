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
// to a PostgreSQL server's URL (and options.catalog_url empty), the store's
// catalog is a schema of that server named after `root` (created when
// missing): a way to run store tests on the PostgreSQL catalog by hand
// (src/catalog/POSTGRES.md). Tests that open stores with Store::Open, in
// children or otherwise, or read catalog.db themselves, stay on SQLite.
std::unique_ptr<Store> OpenStore(const std::string& root, const Options& options = {});

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

// Runs `body` in a forked child; returns its exit status (0..255), or 128+N
// when it died of signal N. Exceptions and gtest failures in the child count
// as exit status 99.
int RunInChild(const std::function<int()>& body);

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
