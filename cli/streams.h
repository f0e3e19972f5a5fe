// Standard output and standard error for the commands.
//
// Output can fail in two ways that must be told apart: the reader went away
// (`contentstore get D | head -c1`), which ends the command quietly, and
// anything else (a full disk), which is an error to report. SIGPIPE is
// ignored in main() so a closed pipe shows up here as EPIPE instead of
// killing the process mid-write.
//
// Standard error is best effort: a message that cannot be written must not
// turn into an exception or change the exit code.

#ifndef CONTENTSTORE_CLI_STREAMS_H_
#define CONTENTSTORE_CLI_STREAMS_H_

#include <cstddef>
#include <span>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore::cli {

// Appends to standard output (buffered by stdio). IOError once a write has
// failed; after that, every call fails the same way without writing.
Status WriteOut(std::string_view text);
Status WriteOut(std::span<const std::byte> bytes);

// Pushes out what stdio buffered. Same errors as WriteOut().
Status FlushOut();

// True if `status` is WriteOut()'s or FlushOut()'s report that nobody reads
// standard output any more.
bool IsClosedByReader(const Status& status);

// Writes `text` to standard error, ignoring failure.
void WriteErr(std::string_view text);

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_STREAMS_H_
