// PCRE2 regular expressions for filters (`field~=re`) and for SQL (`regexp()`).
//
// Patterns use PCRE2 syntax (not Go's RE2, which containerd uses; the common
// subset behaves the same) and are compiled in UTF mode. Subjects need not be
// valid UTF-8: with PCRE2_MATCH_INVALID_UTF an invalid byte never matches a
// character, so label values holding arbitrary bytes never make a match fail.
// Matching is an unanchored search, like Go's Regexp.MatchString.
//
// Patterns come from users' command lines, so every match runs under limits:
// a match limit (bounds time), a depth and heap limit for the interpreter and
// a 1 MiB JIT stack. A pathological pattern therefore ends with an error
// (InvalidArgument) instead of hanging or overflowing the machine stack. When
// only the JIT stack is too small (a long subject against `(a|b)*`), the match
// is retried with the interpreter, whose backtracking lives on the heap.
//
// Thread-safety: the free functions are thread-safe. A Regex holds scratch
// space for matching, so one Regex may be used by one thread at a time;
// distinct Regex objects are independent.

#ifndef CONTENTSTORE_SRC_REGEXP_H_
#define CONTENTSTORE_SRC_REGEXP_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "contentstore/status.h"

struct sqlite3;

namespace contentstore {

// A compiled pattern ready to match. Move-only.
class Regex {
 public:
  // InvalidArgument naming the pattern, PCRE2's reason and the offset when
  // `pattern` does not compile.
  static Result<Regex> Compile(std::string_view pattern);

  Regex(Regex&& other) noexcept;
  Regex& operator=(Regex&& other) noexcept;
  ~Regex();

  // Whether the pattern matches anywhere in `subject`. InvalidArgument when a
  // match limit is hit (the pattern is too costly for this subject).
  // Not const: it reuses the object's scratch space.
  Result<bool> Matches(std::string_view subject);

  const std::string& pattern() const;

 private:
  struct Impl;
  explicit Regex(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// OK when `pattern` compiles; otherwise InvalidArgument with PCRE2's message
// and the offset of the error (e.g. for "[").
Status CheckRegex(std::string_view pattern);

// Whether `pattern` matches anywhere in `subject` (Go MatchString semantics).
// Compiles the pattern on every call: use Regex to match one pattern often.
Result<bool> RegexMatches(std::string_view pattern, std::string_view subject);

// How many times a pattern has been compiled in this process (for tests: the
// SQL function must compile once per statement, not once per row).
uint64_t RegexCompileCount();

// Registers the SQL function regexp(pattern, subject) on `db`, so statements
// can say `regexp(?1, col)` or `col REGEXP ?1` (SQLite rewrites `A REGEXP B`
// as regexp(B, A)). It returns 1 or 0, NULL when either argument is NULL, and
// fails the statement when the pattern does not compile or a limit is hit.
// The compiled pattern is cached per statement while the pattern argument is
// constant (a literal or a bound parameter), so a table scan compiles once.
// REQUIRES: db is an open connection.
Status RegisterRegexpFunction(sqlite3* db);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_REGEXP_H_
