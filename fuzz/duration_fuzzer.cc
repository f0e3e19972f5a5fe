// Fuzzes the command line's duration parser (cli/duration.h), compiled in
// from cli/duration.cc.
//
// Input: text.
//
// Invariants: ParseDuration accepts exactly "0" and one or more
// <digits><unit> with the units d, h, m, s each at most once, largest first,
// totalling at most INT64_MAX nanoseconds, and gives that total (checked
// against an independent evaluation in 128-bit arithmetic); an accepted
// duration is non-negative and its canonical form ("1d2h3m4s") parses to the
// same value; a refusal is InvalidArgument.

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <string_view>

#include "duration.h"
#include "fuzz_util.h"

namespace contentstore::fuzz {
namespace {

// The grammar of duration.h, in 128-bit arithmetic so nothing overflows
// before the range check. nullopt: not a duration.
std::optional<int64_t> Reference(std::string_view text) {
  if (text == "0") return 0;
  if (text.empty()) return std::nullopt;
  constexpr std::string_view kUnits = "dhms";
  constexpr __int128 kSeconds[] = {86400, 3600, 60, 1};
  __int128 total = 0;
  size_t next = 0;
  size_t i = 0;
  while (i < text.size()) {
    __int128 n = 0;
    const size_t start = i;
    while (i < text.size() && text[i] >= '0' && text[i] <= '9') {
      n = n * 10 + (text[i++] - '0');
      if (n > (__int128{1} << 64)) n = __int128{1} << 64;  // saturate: already too long
    }
    if (i == start || i == text.size()) return std::nullopt;
    const size_t unit = kUnits.find(text[i++]);
    if (unit == std::string_view::npos || unit < next) return std::nullopt;
    next = unit + 1;
    total += n * kSeconds[unit] * 1000000000;
    if (total > std::numeric_limits<int64_t>::max()) return std::nullopt;
  }
  return static_cast<int64_t>(total);
}

std::string Canonical(int64_t nanos) {
  int64_t s = nanos / 1000000000;
  if (s == 0) return "0";
  std::string out;
  for (const auto& [unit, len] : {std::pair{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}) {
    if (s >= len) {
      out += std::to_string(s / len) + unit;
      s %= len;
    }
  }
  return out;
}

}  // namespace

void FuzzText(std::string_view text) {
  Result<std::chrono::nanoseconds> d = cli::ParseDuration(text);
  const std::optional<int64_t> want = Reference(text);
  if (d.ok() != want.has_value()) {
    Die("ParseDuration " + std::string(d.ok() ? "accepted" : "refused") + " \"" +
        std::string(text) + "\"");
  }
  if (!d.ok()) {
    // Not CheckErrorStatus: the message quotes the whole input, escaping
    // control characters but not invalid UTF-8 (cli/output.h Escaped), so
    // neither its size nor its UTF-8 is bounded (see fuzz/README.md).
    if (!d.status().IsInvalidArgument()) Die("not InvalidArgument: " + d.status().ToString());
    return;
  }
  if (d->count() < 0) Die("negative duration from \"" + std::string(text) + "\"");
  if (d->count() != *want) {
    Die("ParseDuration(\"" + std::string(text) + "\") = " + std::to_string(d->count()) +
        " ns, want " + std::to_string(*want));
  }
  if (d->count() % 1000000000 != 0) Die("a duration of whole seconds has a fraction");
  const std::string canonical = Canonical(d->count());
  Result<std::chrono::nanoseconds> again = cli::ParseDuration(canonical);
  if (!again.ok() || *again != *d) Die("canonical form does not parse back: " + canonical);
}

}  // namespace contentstore::fuzz
