// What the PostgreSQL catalog tests need from the server the CTest fixture
// started (tools/test-servers/postgres writes DIR/env; the fixture passes
// its path as $CONTENTSTORE_PG_ENV): its URL, and a schema of their own for
// each test, so tests run in parallel against one server.
//
// Without the file a test fails, saying how to start the server; it skips
// (visibly) only when CONTENTSTORE_SKIP_SERVER_TESTS=1.
//
// Thread-safety: TestSchema is a value owned by one test; Exec may be
// called from any thread (each call opens its own connection).

#ifndef CONTENTSTORE_TESTS_POSTGRES_PG_TEST_ENV_H_
#define CONTENTSTORE_TESTS_POSTGRES_PG_TEST_ENV_H_

#include <string>
#include <vector>

#include "contentstore/status.h"

namespace contentstore::testing {

// True when CONTENTSTORE_SKIP_SERVER_TESTS=1.
bool SkipServerTests();

// PG_URI of the fixture's server; FailedPrecondition saying how to start one.
Result<std::string> PostgresServerUrl();

// Skips (CONTENTSTORE_SKIP_SERVER_TESTS=1) or fails the test unless the
// server's URL is known. For SetUp().
#define CONTENTSTORE_REQUIRE_POSTGRES()                       \
  do {                                                        \
    if (::contentstore::testing::SkipServerTests()) {         \
      GTEST_SKIP() << "CONTENTSTORE_SKIP_SERVER_TESTS=1";     \
    }                                                         \
    auto url_ = ::contentstore::testing::PostgresServerUrl(); \
    ASSERT_TRUE(url_.ok()) << url_.status().ToString();       \
  } while (0)

// A schema created for one test and dropped with everything in it at the
// end.
class TestSchema {
 public:
  // REQUIRES: PostgresServerUrl() is ok.
  TestSchema();
  ~TestSchema();
  TestSchema(const TestSchema&) = delete;
  TestSchema& operator=(const TestSchema&) = delete;

  const std::string& name() const { return name_; }
  // The server's URL with this schema first on the search_path.
  const std::string& url() const { return url_; }

  // Runs `sql` (one or more statements) on a connection of its own with
  // this schema on its search_path; returns the first column of each row
  // of the last statement, or the error.
  Result<std::vector<std::string>> Exec(const std::string& sql) const;

 private:
  std::string server_;
  std::string name_;
  std::string url_;
};

}  // namespace contentstore::testing

#endif  // CONTENTSTORE_TESTS_POSTGRES_PG_TEST_ENV_H_
