// The command's exit status for each of the library's error codes: the
// contract scripts branch on (README, "The command line").
//
//   0 ok   1 IOError, Internal (and anything unexpected)   2 InvalidArgument
//   3 NotFound   4 AlreadyExists   5 Unavailable   6 FailedPrecondition
//   7 DataLoss
//
// Two codes share 1 on purpose: neither tells a script anything it could act
// on differently. The mapping lives with the command, not in the library's
// status.h, because it is the command's promise.

#ifndef CONTENTSTORE_CLI_EXIT_CODE_H_
#define CONTENTSTORE_CLI_EXIT_CODE_H_

#include "contentstore/status.h"

namespace contentstore::cli {

int ExitCode(Code code);

}  // namespace contentstore::cli

#endif  // CONTENTSTORE_CLI_EXIT_CODE_H_
