#include "filter/filter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdint>
#include <optional>
#include <tuple>
#include <utility>

#include "filter/regexp.h"

// A port of containerd 1.6.20's filters/scanner.go, parser.go and quote.go.
// The structure follows the Go code closely (a rune scanner with one
// character of lookahead, a recursive-descent parser over its tokens) so the
// two can be compared line by line: containerd's behaviour at the edges
// (where whitespace is allowed, which characters end a bare value, which
// error a bad input gives) comes from that structure rather than from a
// written grammar.

namespace contentstore::filter {
namespace {

// Runes are code points; negative values are the scanner's sentinels, with
// Go's values so that "unexpected input" renders an illegal rune the same way.
using Rune = int32_t;
constexpr Rune kEofRune = -1;
constexpr Rune kIllegalRune = -7;
constexpr Rune kReplacementChar = 0xFFFD;  // Go's utf8.RuneError

// Go's utf8.DecodeRuneInString: (RuneError, 1) for an invalid sequence
// (including surrogates and overlong forms), (RuneError, 0) for empty input.
std::pair<Rune, int> DecodeRune(std::string_view s) {
  if (s.empty()) return {kReplacementChar, 0};
  const auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  const unsigned char b0 = b(0);
  if (b0 < 0x80) return {b0, 1};
  int n;
  Rune r;
  unsigned char lo = 0x80, hi = 0xBF;  // the valid range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    n = 2;
    r = b0 & 0x1F;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    n = 3;
    r = b0 & 0x0F;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    n = 4;
    r = b0 & 0x07;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // beyond U+10FFFF
  } else {
    return {kReplacementChar, 1};
  }
  if (s.size() < static_cast<size_t>(n)) return {kReplacementChar, 1};
  if (b(1) < lo || b(1) > hi) return {kReplacementChar, 1};
  r = (r << 6) | (b(1) & 0x3F);
  for (int i = 2; i < n; ++i) {
    if (b(i) < 0x80 || b(i) > 0xBF) return {kReplacementChar, 1};
    r = (r << 6) | (b(i) & 0x3F);
  }
  return {r, n};
}

// Go's utf8.EncodeRune: invalid code points (surrogates, > U+10FFFF) become
// U+FFFD.
void AppendRune(std::string* out, Rune r) {
  if ((r >= 0xD800 && r <= 0xDFFF) || r > 0x10FFFF || r < 0) r = kReplacementChar;
  const auto put = [&](int v) { out->push_back(static_cast<char>(v)); };
  if (r < 0x80) {
    put(r);
  } else if (r < 0x800) {
    put(0xC0 | (r >> 6));
    put(0x80 | (r & 0x3F));
  } else if (r < 0x10000) {
    put(0xE0 | (r >> 12));
    put(0x80 | ((r >> 6) & 0x3F));
    put(0x80 | (r & 0x3F));
  } else {
    put(0xF0 | (r >> 18));
    put(0x80 | ((r >> 12) & 0x3F));
    put(0x80 | ((r >> 6) & 0x3F));
    put(0x80 | (r & 0x3F));
  }
}

// Whether `r` is one of the ASCII characters in `set` (never NUL).
bool IsAsciiIn(Rune r, std::string_view set) {
  return r > 0 && r < 0x80 && set.find(static_cast<char>(r)) != std::string_view::npos;
}

// Go's single-character escapes and what they stand for.
constexpr std::string_view kSimpleEscapes = "abfnrtv\\";
constexpr std::string_view kSimpleEscapeValues = "\a\b\f\n\r\t\v\\";

// Go's unicode.IsSpace: Latin-1 spaces plus the White_Space property.
bool IsSpace(Rune r) {
  if (r < 0x100) return IsAsciiIn(r, "\t\n\v\f\r ") || r == 0x85 || r == 0xA0;
  return r == 0x1680 || (r >= 0x2000 && r <= 0x200A) || r == 0x2028 || r == 0x2029 || r == 0x202F ||
         r == 0x205F || r == 0x3000;
}

// Go's unicode.IsGraphic (categories L, M, N, P, S, Zs), which is what
// containerd's isValueRune boils down to. Beyond ASCII, PCRE2's Unicode
// tables answer (Unicode 14 in PCRE2 10.42, 13 in Go 1.19: the few code
// points assigned in between differ).
bool IsGraphic(Rune r) {
  if (r < 0) return false;
  if (r < 0x80) return r >= 0x20 && r < 0x7F;
  // A Regex is not safe to share between threads; one per thread is cheap.
  thread_local std::optional<Regex> graphic;
  if (!graphic.has_value()) {
    Result<Regex> re = Regex::Compile("\\A[\\p{L}\\p{M}\\p{N}\\p{P}\\p{S}\\p{Zs}]\\z");
    if (!re.ok()) return false;  // cannot happen: the pattern is fixed and valid
    graphic.emplace(std::move(re).value());
  }
  std::string encoded;
  AppendRune(&encoded, r);
  Result<bool> m = graphic->Matches(encoded);
  return m.ok() && *m;
}

bool IsFieldRune(Rune r) {
  return r == '_' || (r >= 'A' && r <= 'Z') || (r >= 'a' && r <= 'z') || (r >= '0' && r <= '9');
}
bool IsOperatorRune(Rune r) { return r == '=' || r == '!' || r == '~'; }
bool IsQuoteRune(Rune r) { return r == '/' || r == '|' || r == '"'; }
bool IsSeparatorRune(Rune r) { return r == ',' || r == '.'; }
bool IsValueRune(Rune r) { return r != ',' && !IsSpace(r) && IsGraphic(r); }

int DigitVal(Rune r) {
  if (r >= '0' && r <= '9') return r - '0';
  if (r >= 'a' && r <= 'f') return r - 'a' + 10;
  if (r >= 'A' && r <= 'F') return r - 'A' + 10;
  return 16;  // larger than any legal digit
}

// kOther: a character that starts no token (the parser reports it).
enum class TokenKind { kEof, kQuoted, kValue, kField, kSeparator, kOperator, kIllegal, kOther };

struct Token {
  size_t pos;  // byte offset of the token's start
  TokenKind kind;
  std::string_view text;  // the token's bytes, quotes included
};

// containerd's scanner: pos_ is the start of the current rune, ppos_ the
// start of the next one; peek() looks one rune ahead without consuming.
class Scanner {
 public:
  explicit Scanner(std::string_view input) : input_(input) {}

  size_t ppos() const { return ppos_; }
  const std::string& err() const { return err_; }

  Rune Peek() {
    const size_t pos = pos_, ppos = ppos_;
    const Rune r = Next();
    pos_ = pos;
    ppos_ = ppos;
    return r;
  }

  Token Scan() {
    Rune ch = Next();
    size_t pos = pos_;
    for (;;) {
      if (ch == kEofRune) return {pos_, TokenKind::kEof, {}};
      if (ch == kIllegalRune) return {pos_, TokenKind::kIllegal, {}};
      if (IsQuoteRune(ch)) {
        const bool ok = ScanQuoted(ch);
        return {pos, ok ? TokenKind::kQuoted : TokenKind::kIllegal, Text(pos)};
      }
      if (IsSeparatorRune(ch)) {
        value_ = false;
        return {pos, TokenKind::kSeparator, Text(pos)};
      }
      if (IsOperatorRune(ch)) {
        ScanOperator();
        // What follows an operator is a value: a bare value may contain
        // characters a field may not.
        value_ = true;
        return {pos, TokenKind::kOperator, Text(pos)};
      }
      if (IsSpace(ch)) {
        ch = Next();
        pos = pos_;
        continue;
      }
      if (value_) {
        ScanValue();
        value_ = false;
        return {pos, TokenKind::kValue, Text(pos)};
      }
      if (IsFieldRune(ch)) {
        ScanField();
        return {pos, TokenKind::kField, Text(pos)};
      }
      return {pos_, TokenKind::kOther, {}};
    }
  }

 private:
  std::string_view Text(size_t pos) const { return input_.substr(pos, ppos_ - pos); }

  Rune Next() {
    if (pos_ >= input_.size()) return kEofRune;
    pos_ = ppos_;
    auto [r, width] = DecodeRune(input_.substr(ppos_));
    ppos_ += static_cast<size_t>(width);
    // Like Go, a literal U+FFFD is indistinguishable from a decoding error.
    if (r == kReplacementChar) {
      if (width > 0) {
        Error("rune error");
        return kIllegalRune;
      }
      return kEofRune;
    }
    if (r == 0) {
      Error("unexpected null");
      return kIllegalRune;
    }
    return r;
  }

  void ScanField() {
    while (IsFieldRune(Peek())) Next();
  }

  void ScanOperator() {
    while (IsOperatorRune(Peek())) Next();
  }

  void ScanValue() {
    while (IsValueRune(Peek())) Next();
  }

  // Checks the literal's syntax; quote.go's Unquote decodes it later.
  bool ScanQuoted(Rune quote) {
    bool illegal = false;
    Rune ch = Next();  // the character after the opening quote
    while (ch != quote) {
      if (ch == '\n' || ch < 0) {
        Error("quoted literal not terminated");
        return false;
      }
      if (ch == '\\') {
        bool legal;
        std::tie(ch, legal) = ScanEscape(quote);
        if (!legal) illegal = true;
      } else {
        ch = Next();
      }
    }
    return !illegal;
  }

  std::pair<Rune, bool> ScanEscape(Rune quote) {
    const Rune ch = Next();  // the character after the backslash
    if (ch == quote || IsAsciiIn(ch, kSimpleEscapes)) return {Next(), true};
    if (ch >= '0' && ch <= '7') return ScanDigits(ch, 8, 3);
    if (ch == 'x') return ScanDigits(Next(), 16, 2);
    if (ch == 'u') return ScanDigits(Next(), 16, 4);
    if (ch == 'U') return ScanDigits(Next(), 16, 8);
    Error("illegal escape sequence");
    return {ch, false};
  }

  std::pair<Rune, bool> ScanDigits(Rune ch, int base, int n) {
    while (n > 0 && DigitVal(ch) < base) {
      ch = Next();
      --n;
    }
    if (n > 0) {
      Error("illegal numeric escape sequence");
      return {ch, false};
    }
    return {ch, true};
  }

  // The first error sticks: it is the one the parser reports.
  void Error(std::string_view msg) {
    if (err_.empty()) err_ = msg;
  }

  std::string_view input_;
  size_t pos_ = 0;
  size_t ppos_ = 0;
  bool value_ = false;  // the next bare word is a value, not a field
  std::string err_;
};

// quote.go's unquote: decodes a literal quoted with ", / or | using Go's
// string escapes. `s` includes the quotes. False on a syntax error the
// scanner let through (an octal escape above \377, a \U beyond U+10FFFF).
bool Unquote(std::string_view s, std::string* out) {
  out->clear();
  if (s.size() < 2 || s.front() != s.back()) return false;
  const char quote = s.front();
  s = s.substr(1, s.size() - 2);
  if (s.find('\n') != std::string_view::npos) return false;
  while (!s.empty()) {
    const auto c = static_cast<unsigned char>(s[0]);
    if (c == static_cast<unsigned char>(quote)) return false;
    if (c != '\\') {
      // Bytes other than escapes are copied; the scanner checked they are
      // valid UTF-8.
      out->push_back(s[0]);
      s.remove_prefix(1);
      continue;
    }
    if (s.size() <= 1) return false;
    const char e = s[1];
    s.remove_prefix(2);
    if (const size_t i = kSimpleEscapes.find(e); i != std::string_view::npos) {
      out->push_back(kSimpleEscapeValues[i]);
    } else if (e == 'x' || e == 'u' || e == 'U') {
      const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
      if (s.size() < n) return false;
      uint32_t u = 0;
      for (size_t j = 0; j < n; ++j) {
        const int d = DigitVal(static_cast<unsigned char>(s[j]));
        if (d >= 16) return false;
        u = (u << 4) | static_cast<uint32_t>(d);
      }
      s.remove_prefix(n);
      // Go accumulates in an int32 rune: \U80000000 and above wrap to a
      // negative value, which passes the range check and is then written as
      // its low byte, like any rune below 0x80. Kept for fidelity.
      const auto v = static_cast<Rune>(u);
      if (e == 'x' || v < 0x80) {
        out->push_back(static_cast<char>(u & 0xFF));  // one byte, possibly not UTF-8
      } else {
        if (v > 0x10FFFF) return false;
        AppendRune(out, v);
      }
    } else if (e >= '0' && e <= '7') {
      // Exactly three octal digits.
      if (s.size() < 2) return false;
      int v = e - '0';
      for (size_t j = 0; j < 2; ++j) {
        if (s[j] < '0' || s[j] > '7') return false;
        v = (v << 3) | (s[j] - '0');
      }
      s.remove_prefix(2);
      if (v > 255) return false;
      out->push_back(static_cast<char>(v));  // one byte, possibly not UTF-8
    } else if (e == quote) {
      out->push_back(e);
    } else {
      return false;
    }
  }
  return true;
}

// parser.go's parser.
class Parser {
 public:
  explicit Parser(std::string_view input) : input_(input), scanner_(input) {}

  Result<Conjunction> Selectors() {
    Conjunction all;
    Status s = Selector(&all);
    if (!s.ok()) return s;
    for (;;) {
      const Rune r = scanner_.Peek();
      if (r == ',') {
        scanner_.Scan();  // the separator
        s = Selector(&all);
        if (!s.ok()) return s;
      } else if (r == kEofRune) {
        break;
      } else {
        // Typically whitespace after a selector, or a second value.
        std::string rendered;
        AppendRune(&rendered, r);
        return Error(scanner_.ppos(), fmt::format("unexpected input: {}", rendered));
      }
    }
    // containerd would log a bad regex and never match; a typo in a regex
    // should be reported instead. Checked after the whole string parsed, so
    // a syntax error anywhere is reported as containerd reports it.
    for (size_t i = 0; i < all.size(); ++i) {
      if (all[i].op != Op::kMatches) continue;
      Status re = CheckRegex(all[i].value);
      if (!re.ok()) return Error(value_pos_[i], re.message());
    }
    return all;
  }

 private:
  Status Selector(Conjunction* all) {
    filter::Selector sel;
    Status s = Fieldpath(&sel.fieldpath);
    if (!s.ok()) return s;
    const Rune r = scanner_.Peek();
    if (r == ',' || r == kEofRune) {
      sel.op = Op::kPresent;
      all->push_back(std::move(sel));
      value_pos_.push_back(input_.size());
      return Status::OK();
    }
    s = Operator(&sel.op);
    if (!s.ok()) return s;
    size_t value_pos = 0;
    s = Value(sel.op == Op::kMatches, &sel.value, &value_pos);
    if (!s.ok()) return s;
    all->push_back(std::move(sel));
    value_pos_.push_back(value_pos);
    return Status::OK();
  }

  Status Fieldpath(std::vector<std::string>* fieldpath) {
    std::string f;
    Status s = Field(&f);
    if (!s.ok()) return s;
    fieldpath->push_back(std::move(f));
    while (scanner_.Peek() == '.') {
      scanner_.Scan();  // the separator
      s = Field(&f);
      if (!s.ok()) return s;
      fieldpath->push_back(std::move(f));
    }
    return Status::OK();
  }

  Status Field(std::string* out) {
    const Token t = scanner_.Scan();
    switch (t.kind) {
      case TokenKind::kField:
        *out = std::string(t.text);
        return Status::OK();
      case TokenKind::kQuoted:
        return UnquoteToken(t, /*allow_alt_quotes=*/false, out);
      case TokenKind::kIllegal:
        return Error(t.pos, scanner_.err());
      default:
        return Error(t.pos, "expected field or quoted");
    }
  }

  Status Operator(Op* op) {
    const Token t = scanner_.Scan();
    switch (t.kind) {
      case TokenKind::kOperator:
        if (t.text == "==") {
          *op = Op::kEqual;
        } else if (t.text == "!=") {
          *op = Op::kNotEqual;
        } else if (t.text == "~=") {
          *op = Op::kMatches;
        } else {
          return Error(t.pos, fmt::format("unsupported operator \"{}\"", t.text));
        }
        return Status::OK();
      case TokenKind::kIllegal:
        return Error(t.pos, scanner_.err());
      default:
        return Error(t.pos, R"(expected an operator ("=="|"!="|"~="))");
    }
  }

  Status Value(bool allow_alt_quotes, std::string* out, size_t* pos) {
    const Token t = scanner_.Scan();
    *pos = t.pos;
    switch (t.kind) {
      case TokenKind::kValue:
      case TokenKind::kField:
        *out = std::string(t.text);
        return Status::OK();
      case TokenKind::kQuoted:
        return UnquoteToken(t, allow_alt_quotes, out);
      case TokenKind::kIllegal:
        return Error(t.pos, scanner_.err());
      default:
        return Error(t.pos, "expected value or quoted");
    }
  }

  // /re/ and |re| spare regexes the escaping of a double-quoted string; they
  // are only allowed where a regex is expected.
  Status UnquoteToken(const Token& t, bool allow_alt_quotes, std::string* out) {
    if (!allow_alt_quotes && t.text.front() != '"') {
      return Error(t.pos, "invalid quote encountered");
    }
    if (!Unquote(t.text, out)) return Error(t.pos, "unquoting failed: quote syntax error");
    return Status::OK();
  }

  // containerd's parseError: the input with the character at `pos` marked.
  Status Error(size_t pos, std::string_view msg) const {
    if (pos >= input_.size()) {
      return Status::InvalidArgument(fmt::format("filters: parse error: [{}]: {}", input_, msg));
    }
    // containerd marks one byte; marking the whole character keeps a
    // multibyte character readable.
    const auto [r, width] = DecodeRune(input_.substr(pos));
    const size_t n = std::max(width, 1);
    return Status::InvalidArgument(fmt::format("filters: parse error: [{} >|{}|< {}]: {}",
                                               input_.substr(0, pos), input_.substr(pos, n),
                                               input_.substr(pos + n), msg));
  }

  std::string_view input_;
  Scanner scanner_;
  std::vector<size_t> value_pos_;  // where each selector's value starts, for errors
};

bool IsBareField(std::string_view s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](char c) { return IsFieldRune(c); });
}

// Whether Parse reads `s` back as a bare value. Conservative: only printable
// ASCII; anything else is quoted.
bool IsBareValue(std::string_view s) {
  if (s.empty()) return false;
  const char c0 = s.front();
  if (c0 == '.' || c0 == ',' || IsQuoteRune(c0) || IsOperatorRune(c0)) return false;
  return std::all_of(s.begin(), s.end(), [](char c) { return c > ' ' && c < 0x7F && c != ','; });
}

// A double-quoted literal that Unquote decodes back to `s`.
std::string Quote(std::string_view s) {
  std::string out = "\"";
  while (!s.empty()) {
    const auto [r, width] = DecodeRune(s);
    const auto c = static_cast<unsigned char>(s[0]);
    if (r == kReplacementChar || (r < 0x20 || r == 0x7F)) {
      // Invalid UTF-8, U+FFFD (the scanner rejects both raw) and controls.
      switch (c) {
        case '\a':
          out += "\\a";
          break;
        case '\b':
          out += "\\b";
          break;
        case '\f':
          out += "\\f";
          break;
        case '\n':
          out += "\\n";
          break;
        case '\r':
          out += "\\r";
          break;
        case '\t':
          out += "\\t";
          break;
        case '\v':
          out += "\\v";
          break;
        default:
          if (r == kReplacementChar && width == 3) {
            out += "\\uFFFD";
          } else {
            out += fmt::format("\\x{:02x}", c);
          }
      }
      s.remove_prefix(std::max(width, 1));
      continue;
    }
    if (c == '"' || c == '\\') out.push_back('\\');
    out.append(s.substr(0, static_cast<size_t>(width)));
    s.remove_prefix(static_cast<size_t>(width));
  }
  out.push_back('"');
  return out;
}

}  // namespace

bool Filter::matches_all() const {
  return any.empty() ||
         std::any_of(any.begin(), any.end(), [](const Conjunction& c) { return c.empty(); });
}

Result<Conjunction> Parse(std::string_view text) {
  if (text.empty()) return Conjunction{};
  return Parser(text).Selectors();
}

Result<Filter> ParseAll(const std::vector<std::string>& texts) {
  Filter f;
  f.any.reserve(texts.size());
  for (const std::string& text : texts) {
    Result<Conjunction> c = Parse(text);
    if (!c.ok()) return c.status();
    f.any.push_back(std::move(c).value());
  }
  return f;
}

std::string ToString(const Selector& s) {
  std::string out;
  for (size_t i = 0; i < s.fieldpath.size(); ++i) {
    if (i > 0) out.push_back('.');
    out += IsBareField(s.fieldpath[i]) ? s.fieldpath[i] : Quote(s.fieldpath[i]);
  }
  switch (s.op) {
    case Op::kPresent:
      return out;
    case Op::kEqual:
      out += "==";
      break;
    case Op::kNotEqual:
      out += "!=";
      break;
    case Op::kMatches:
      out += "~=";
      break;
  }
  out += IsBareValue(s.value) ? s.value : Quote(s.value);
  return out;
}

}  // namespace contentstore::filter
