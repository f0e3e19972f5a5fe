// Small text helpers shared by validation and error messages.
//
// Thread-safety: pure functions.

#ifndef CONTENTSTORE_SRC_TEXT_H_
#define CONTENTSTORE_SRC_TEXT_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace contentstore {

// `text` made safe to put in a one-line message: control characters and
// invalid UTF-8 bytes become \xNN, and anything past 200 bytes becomes "...".
// Error messages quote user input, and user input can be anything.
std::string Printable(std::string_view text);

// RFC 3339 UTC with nanoseconds: "2026-11-28T05:50:00.123456789Z".
std::string FormatRfc3339(int64_t nanos_since_epoch);

// Parses RFC 3339 ("2026-11-28T05:50:00Z", "...T05:50:00.5+01:00") into
// nanoseconds since the epoch; nullopt if it is not RFC 3339.
std::optional<int64_t> ParseRfc3339(std::string_view text);

// True when `text` is well-formed UTF-8 (no overlong forms, no surrogates).
bool IsValidUtf8(std::string_view text);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_TEXT_H_
