// The exit-code contract of the command (cli/exit_code.h), checked without
// running it.

#include "exit_code.h"

#include <gtest/gtest.h>

namespace contentstore::cli {
namespace {

TEST(ExitCode, MatchesTheCommandLineContract) {
  EXPECT_EQ(ExitCode(Code::kOk), 0);
  EXPECT_EQ(ExitCode(Code::kIOError), 1);
  EXPECT_EQ(ExitCode(Code::kInternal), 1);
  EXPECT_EQ(ExitCode(Code::kInvalidArgument), 2);
  EXPECT_EQ(ExitCode(Code::kNotFound), 3);
  EXPECT_EQ(ExitCode(Code::kAlreadyExists), 4);
  EXPECT_EQ(ExitCode(Code::kUnavailable), 5);
  EXPECT_EQ(ExitCode(Code::kFailedPrecondition), 6);
  EXPECT_EQ(ExitCode(Code::kDataLoss), 7);
}

}  // namespace
}  // namespace contentstore::cli
