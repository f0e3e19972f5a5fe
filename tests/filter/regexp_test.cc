#include "filter/regexp.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <chrono>
#include <string>
#include <vector>

namespace contentstore {
namespace {

using ::testing::HasSubstr;

bool Matches(std::string_view pattern, std::string_view subject) {
  Result<bool> r = RegexMatches(pattern, subject);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() && *r;
}

TEST(CheckRegex, AcceptsValidPatterns) {
  for (const char* p :
       {"", "^a", "a|b", "^layer-sha256:[0-9a-f]+$", "(?i)ABC", "\\d{3}", "é+", "\\p{L}"}) {
    EXPECT_TRUE(CheckRegex(p).ok()) << p << ": " << CheckRegex(p).ToString();
  }
}

TEST(CheckRegex, RejectsBadPatternsWithReasonAndOffset) {
  Status s = CheckRegex("[");
  ASSERT_FALSE(s.ok());
  EXPECT_TRUE(s.IsInvalidArgument());
  EXPECT_THAT(s.message(), HasSubstr("\"[\""));
  EXPECT_THAT(s.message(), HasSubstr("missing terminating ]"));
  EXPECT_THAT(s.message(), HasSubstr("at offset 1"));

  for (const char* p : {"(", "a)", "*a", "a{2,1}", "\\"}) {
    EXPECT_TRUE(CheckRegex(p).IsInvalidArgument()) << p;
  }
  // A pattern must itself be valid UTF-8.
  EXPECT_TRUE(CheckRegex("\xff").IsInvalidArgument());
}

TEST(RegexMatches, IsAnUnanchoredSearch) {
  EXPECT_TRUE(Matches("b", "abc"));
  EXPECT_TRUE(Matches("", "abc"));
  EXPECT_TRUE(Matches("", ""));
  EXPECT_FALSE(Matches("d", "abc"));
  EXPECT_TRUE(Matches("layer-", "my-layer-1"));
}

TEST(RegexMatches, HonoursAnchors) {
  EXPECT_TRUE(Matches("^a", "abc"));
  EXPECT_FALSE(Matches("^b", "abc"));
  EXPECT_TRUE(Matches("c$", "abc"));
  EXPECT_FALSE(Matches("b$", "abc"));
  EXPECT_TRUE(Matches("^$", ""));
  EXPECT_FALSE(Matches("^$", "x"));
  EXPECT_TRUE(Matches("^abc$", "abc"));
}

TEST(RegexMatches, WorksOnCharactersAndToleratesInvalidUtf8) {
  EXPECT_TRUE(Matches("^.$", "é"));  // one character, two bytes
  // An invalid byte in the subject is not an error; it matches no character.
  const std::string invalid = std::string("a\xff") + "b";
  EXPECT_TRUE(Matches("b", invalid));
  EXPECT_FALSE(Matches("^a.b$", invalid));
  // NUL bytes are ordinary characters of the subject.
  EXPECT_TRUE(Matches("a\\x00b", std::string_view("a\0b", 3)));
}

TEST(RegexMatches, ReportsBadPatterns) {
  Result<bool> r = RegexMatches("(", "x");
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument());
}

TEST(Regex, CompiledOnceMatchesMany) {
  Result<Regex> re = Regex::Compile("^v[0-9]+$");
  ASSERT_TRUE(re.ok());
  EXPECT_EQ(re->pattern(), "^v[0-9]+$");
  EXPECT_TRUE(*re->Matches("v1"));
  EXPECT_FALSE(*re->Matches("v"));
  EXPECT_TRUE(*re->Matches("v123"));
  Regex moved = std::move(re).value();
  EXPECT_TRUE(*moved.Matches("v9"));
}

// std::regex recurses once per repetition and overflows the stack here (GCC
// bug 86164). PCRE2's JIT stack is too small for it too; the interpreter
// must take over and answer.
TEST(RegexMatches, LongSubjectDoesNotOverflowTheStack) {
  std::string subject(200'000, 'a');
  for (size_t i = 0; i < subject.size(); i += 3) subject[i] = 'b';
  Result<bool> r = RegexMatches("(a|b)*", subject);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  r = RegexMatches("^(a|b)*$", subject);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(*r);
  r = RegexMatches("^(a|b)*$", subject + "c");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_FALSE(*r);
}

TEST(RegexMatches, CatastrophicBacktrackingEndsWithAnError) {
  const auto start = std::chrono::steady_clock::now();
  for (const char* pattern : {"^(a|a)*$", "^(\\w+\\s?)*$", "^(a+)+$"}) {
    Result<bool> r = RegexMatches(pattern, std::string(40, 'a') + "!");
    // Either PCRE2 proves there is no match (its optimisations defuse some
    // such patterns) or the match limit stops it.
    if (r.ok()) {
      EXPECT_FALSE(*r) << pattern;
    } else {
      EXPECT_TRUE(r.status().IsInvalidArgument()) << pattern;
      EXPECT_THAT(r.status().message(), HasSubstr("too costly")) << pattern;
    }
  }
  // Backtracking 2^40 paths would take hours; the limits stop it in well under
  // a second per pattern (generous bound for sanitizer builds).
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(60));
  EXPECT_FALSE(RegexMatches("^(a|a)*$", std::string(40, 'a') + "!").ok());
}

class RegexpSql : public ::testing::Test {
 protected:
  RegexpSql() : db_(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {}
  void SetUp() override {
    Status s = RegisterRegexpFunction(db_.getHandle());
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  // The single value of a one-row query; -1 for NULL.
  int64_t Scalar(const std::string& sql) {
    SQLite::Statement q(db_, sql);
    EXPECT_TRUE(q.executeStep());
    return q.getColumn(0).isNull() ? -1 : q.getColumn(0).getInt64();
  }

  SQLite::Database db_;
};

TEST_F(RegexpSql, FunctionForm) {
  EXPECT_EQ(Scalar("SELECT regexp('^a', 'abc')"), 1);
  EXPECT_EQ(Scalar("SELECT regexp('^b', 'abc')"), 0);
  EXPECT_EQ(Scalar("SELECT regexp('', '')"), 1);
  EXPECT_EQ(Scalar("SELECT regexp('^$', x'')"), 1);
  // Non-text subjects are matched in their text form.
  EXPECT_EQ(Scalar("SELECT regexp('^12', 123)"), 1);
}

TEST_F(RegexpSql, OperatorFormPutsThePatternOnTheRight) {
  EXPECT_EQ(Scalar("SELECT 'abc' REGEXP 'b'"), 1);
  EXPECT_EQ(Scalar("SELECT 'abc' REGEXP '^b'"), 0);
  EXPECT_EQ(Scalar("SELECT 'abc' NOT REGEXP '^b'"), 1);
}

TEST_F(RegexpSql, NullInNullOut) {
  EXPECT_EQ(Scalar("SELECT regexp(NULL, 'abc')"), -1);
  EXPECT_EQ(Scalar("SELECT regexp('a', NULL)"), -1);
  // Even a pattern that would not compile: NULL wins.
  EXPECT_EQ(Scalar("SELECT regexp('[', NULL)"), -1);
}

TEST_F(RegexpSql, BadPatternIsAnSqlError) {
  SQLite::Statement q(db_, "SELECT regexp('[', 'abc')");
  try {
    q.executeStep();
    ADD_FAILURE() << "a bad pattern must fail the statement";
  } catch (const SQLite::Exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("regexp()"));
    EXPECT_THAT(e.what(), HasSubstr("missing terminating ]"));
  }
}

TEST_F(RegexpSql, TableScanWithABoundPatternCompilesOnce) {
  db_.exec("CREATE TABLE t(name TEXT)");
  SQLite::Statement insert(db_, "INSERT INTO t VALUES (?1)");
  std::vector<std::string> names;
  for (int i = 0; i < 200; ++i) names.push_back("layer-" + std::to_string(i));
  names.push_back("config");
  names.push_back("manifest-layer");
  for (const auto& n : names) {
    insert.bind(1, n);
    insert.exec();
    insert.reset();
  }
  db_.exec("INSERT INTO t VALUES (NULL)");

  SQLite::Statement q(db_, "SELECT name FROM t WHERE name REGEXP ?1 ORDER BY name");
  q.bind(1, "^layer-1[0-9]$");
  const uint64_t before = RegexCompileCount();
  std::vector<std::string> got;
  while (q.executeStep()) got.push_back(q.getColumn(0).getString());
  EXPECT_EQ(RegexCompileCount() - before, 1u);
  EXPECT_EQ(got,
            (std::vector<std::string>{"layer-10", "layer-11", "layer-12", "layer-13", "layer-14",
                                      "layer-15", "layer-16", "layer-17", "layer-18", "layer-19"}));

  // Rebinding gives a new pattern (SQLite drops the cached one on reset).
  q.reset();
  q.bind(1, "layer$");
  got.clear();
  while (q.executeStep()) got.push_back(q.getColumn(0).getString());
  EXPECT_EQ(got, (std::vector<std::string>{"manifest-layer"}));

  SQLite::Statement count(db_, "SELECT count(*) FROM t WHERE regexp(?1, name)");
  count.bind(1, "");
  ASSERT_TRUE(count.executeStep());
  EXPECT_EQ(count.getColumn(0).getInt(), 202);  // the NULL row gives NULL, not a match
}

TEST_F(RegexpSql, LongSubjectDoesNotCrash) {
  std::string subject(200'000, 'a');
  for (size_t i = 0; i < subject.size(); i += 2) subject[i] = 'b';
  SQLite::Statement q(db_, "SELECT regexp('(a|b)*', ?1), regexp('^(a|b)*$', ?1)");
  q.bind(1, subject);
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getInt(), 1);
  EXPECT_EQ(q.getColumn(1).getInt(), 1);
}

TEST_F(RegexpSql, CatastrophicPatternEndsWithAnSqlError) {
  SQLite::Statement q(db_, "SELECT regexp('^(a|a)*$', ?1)");
  q.bind(1, std::string(40, 'a') + "!");
  try {
    q.executeStep();
    ADD_FAILURE() << "expected the match limit to stop the statement";
  } catch (const SQLite::Exception& e) {
    EXPECT_THAT(e.what(), HasSubstr("too costly"));
  }
}

}  // namespace
}  // namespace contentstore
