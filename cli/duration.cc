// The duration parser (see duration.h).

#include "duration.h"

#include <fmt/format.h>

#include <array>
#include <cstdint>
#include <limits>

#include "output.h"

namespace contentstore::cli {
namespace {

struct Unit {
  char name;
  int64_t seconds;
};

// Largest first: the order a duration must name them in.
constexpr std::array<Unit, 4> kUnits = {{{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1}}};

Status Invalid(std::string_view text, std::string_view why) {
  return Status::InvalidArgument(fmt::format(
      "duration \"{}\" {}: write whole numbers with the units d, h, m, s, largest first, e.g. "
      "30s, 15m, 1h30m, 2d",
      Escaped(text), why));
}

}  // namespace

Result<std::chrono::nanoseconds> ParseDuration(std::string_view text) {
  if (text == "0") return std::chrono::nanoseconds(0);
  if (text.empty()) return Invalid(text, "is empty");
  constexpr int64_t kMaxNanos = std::numeric_limits<int64_t>::max();
  constexpr int64_t kNanosPerSecond = 1000000000;
  int64_t total = 0;
  size_t next_unit = 0;  // units before this one were used or skipped
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t digits_at = pos;
    int64_t number = 0;
    bool too_big = false;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') {
      const int digit = text[pos] - '0';
      if (number > (kMaxNanos - digit) / 10) too_big = true;
      if (!too_big) number = number * 10 + digit;
      ++pos;
    }
    if (pos == digits_at) return Invalid(text, "needs a number before each unit");
    if (pos == text.size()) return Invalid(text, "ends without a unit");
    const char name = text[pos++];
    size_t unit = next_unit;
    while (unit < kUnits.size() && kUnits[unit].name != name) ++unit;
    if (unit == kUnits.size()) {
      for (const Unit& u : kUnits) {
        if (u.name == name) return Invalid(text, "repeats a unit or names them out of order");
      }
      return Invalid(
          text, fmt::format("has the unknown unit \"{}\"", Escaped(std::string_view(&name, 1))));
    }
    next_unit = unit + 1;
    const int64_t unit_nanos = kUnits[unit].seconds * kNanosPerSecond;
    if (too_big || number > (kMaxNanos - total) / unit_nanos) {
      return Invalid(text, "is too long (the limit is about 292 years)");
    }
    total += number * unit_nanos;
  }
  return std::chrono::nanoseconds(total);
}

}  // namespace contentstore::cli
