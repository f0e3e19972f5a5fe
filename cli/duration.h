// Durations on the command line: `lease create --expire` and gc's `--grace`
// and `--ingest-expiry`. One parser, so every flag reads "24h" the same way.
//
//   30s  15m  24h  1h30m  2d  0s  0
//
// A duration is one or more <whole number><unit> with the units d, h, m, s
// from largest to smallest, each at most once; "0" alone is zero. Fractions,
// signs, spaces and other units are refused: a typo such as "1h1h" or "90"
// (seconds? minutes?) is an error, not a guess.

#ifndef CONTENTSTORE_CLI_DURATION_H_
#define CONTENTSTORE_CLI_DURATION_H_

#include <chrono>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore::cli {

// InvalidArgument (naming `text` and the accepted forms) for anything else,
// and for durations that do not fit in 64-bit nanoseconds (~292 years).
Result<std::chrono::nanoseconds> ParseDuration(std::string_view text);

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_DURATION_H_
