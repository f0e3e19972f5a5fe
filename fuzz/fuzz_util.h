// What the fuzz targets share: failing loudly, and the checks every error
// Status must pass.
//
// A failed invariant calls Die, which prints what broke and aborts:
// libFuzzer reports that as a crash and saves the input.

#ifndef CONTENTSTORE_FUZZ_FUZZ_UTIL_H_
#define CONTENTSTORE_FUZZ_FUZZ_UTIL_H_

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore::fuzz {

// The fuzzer's input as text.
inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// The targets whose input is one text (digest, duration, validate) define
// this instead of LLVMFuzzerTestOneInput, which text_fuzzer_main.cc defines
// for them: it runs the checks on `text` and returns only if they pass.
void FuzzText(std::string_view text);

[[noreturn]] inline void Die(const std::string& what) {
  std::fprintf(stderr, "invariant violated: %s\n", what.c_str());
  std::abort();
}

inline void Check(const Status& s) {
  if (!s.ok()) Die("unexpected error: " + s.ToString());
}

// Well-formed UTF-8: no overlong forms, surrogates or code points past
// U+10FFFF. Written here rather than taken from the library, so the targets
// check the library against an independent reading of the standard.
inline bool IsUtf8(std::string_view s) {
  for (size_t i = 0; i < s.size();) {
    const auto b = [&](size_t k) { return static_cast<unsigned char>(s[i + k]); };
    const unsigned char c = b(0);
    size_t n;
    unsigned cp;
    if (c < 0x80) {
      ++i;
      continue;
    } else if (c >= 0xC2 && c <= 0xDF) {
      n = 2;
      cp = c & 0x1Fu;
    } else if (c >= 0xE0 && c <= 0xEF) {
      n = 3;
      cp = c & 0x0Fu;
    } else if (c >= 0xF0 && c <= 0xF4) {
      n = 4;
      cp = c & 0x07u;
    } else {
      return false;
    }
    if (i + n > s.size()) return false;
    for (size_t k = 1; k < n; ++k) {
      if ((b(k) & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (b(k) & 0x3Fu);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF)) {
      return false;
    }
    i += n;
  }
  return true;
}

// A byte below 0x20 or DEL.
inline bool HasAsciiControl(std::string_view s) {
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (c < 0x20 || c == 0x7F) return true;
  }
  return false;
}

// Errors from input checks: InvalidArgument, with a one-line printable
// message of bounded size whatever the input was. Inputs are quoted at most
// about 200 bytes, but made printable a byte may take four (\xNN), and a
// message may quote two things (a selector and its field).
inline void CheckErrorStatus(const Status& s, std::string_view what, size_t max_bytes = 2048) {
  const std::string where(what);
  if (s.ok()) Die(where + ": error expected");
  if (!s.IsInvalidArgument()) Die(where + ": not InvalidArgument: " + s.ToString());
  if (s.message().empty()) Die(where + ": empty message");
  if (s.message().size() > max_bytes) {
    Die(where + ": " + std::to_string(s.message().size()) +
        "-byte message: " + s.message().substr(0, 300) + "...");
  }
  if (HasAsciiControl(s.message()) || !IsUtf8(s.message())) {
    Die(where + ": message with control characters or invalid UTF-8: " + s.message());
  }
}

}  // namespace contentstore::fuzz

#endif  // CONTENTSTORE_FUZZ_FUZZ_UTIL_H_
