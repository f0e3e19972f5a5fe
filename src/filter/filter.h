// containerd's filter syntax (`labels."containerd.io/gc.root"`, `digest==...`,
// `ref~=^layer-`), parsed into a small AST that filter_sql.h turns into SQL.
//
// The grammar is containerd 1.6.20's (filters/parser.go, scanner.go,
// quote.go), including its quirks; the port was checked against the Go code
// on generated inputs for identical results and error messages:
//
//   filter    := "" | selector ("," selector)*      -- "" matches everything
//   selector  := fieldpath [operator value]          -- no operator: presence
//   fieldpath := field ("." field)*
//   field     := [A-Za-z0-9_]+ | "Go string literal"
//   operator  := "==" | "!=" | "~="                  -- any other run of =!~ is an error
//   value     := bare | "Go string literal"          -- after ~= also /re/ and |re|
//
// A bare value may not start with . , " / | = ! ~ or whitespace (quote it),
// then runs to the next comma or whitespace. Whitespace is skipped before a
// field, operator or value, but whitespace after a selector (before "," or the
// end) is an error. NUL, invalid UTF-8 and U+FFFD are errors. Single quotes
// are not quotes: `ref=='a'` compares with the three characters 'a'.
//
// Deliberate differences: containerd accepts a `~=` regex that does not
// compile and then never matches; here it is a parse error (InvalidArgument),
// reported after any syntax error. Regexes are PCRE2 (see regexp.h), not Go's
// RE2. An error message marks the whole offending character, where
// containerd marks its first byte (splitting a multibyte character).
//
// Thread-safety: the functions are thread-safe; the AST types are values.

#ifndef CONTENTSTORE_SRC_FILTER_H_
#define CONTENTSTORE_SRC_FILTER_H_

#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"

namespace contentstore::filter {

enum class Op {
  kPresent,   // `field`: the field is present
  kEqual,     // `field==v`: present and equal to v
  kNotEqual,  // `field!=v`: not equal to v, an absent field counting as ""
  kMatches,   // `field~=re`: re matches somewhere in the value, absent = ""
};

struct Selector {
  std::vector<std::string> fieldpath;  // e.g. {"labels", "containerd.io/gc.root"}; never empty
  Op op = Op::kPresent;
  std::string value;  // unquoted; for kMatches the regex source; empty for kPresent

  bool operator==(const Selector&) const = default;
};

// One filter string: its selectors ANDed. Empty matches everything.
using Conjunction = std::vector<Selector>;

// Several filter strings: ORed.
struct Filter {
  std::vector<Conjunction> any;

  // True when the filter matches everything: there are no strings, or one of
  // them is empty.
  bool matches_all() const;
};

// Parses one filter string. "" gives an empty conjunction (match all).
// Errors are InvalidArgument with containerd's message shape, the input
// with the offending character marked:
//   filters: parse error: [labels.containerd.io >|/|< gc.root]: quoted literal not terminated
Result<Conjunction> Parse(std::string_view text);

// Parses each string; the result matches what any of them matches. No
// strings gives a filter that matches everything.
Result<Filter> ParseAll(const std::vector<std::string>& texts);

// The selector in filter syntax, quoting where needed so that Parse gives it
// back: `labels."containerd.io/gc.root"=="a b"`. For error messages.
std::string ToString(const Selector& s);

}  // namespace contentstore::filter

#endif  // CONTENTSTORE_SRC_FILTER_H_
