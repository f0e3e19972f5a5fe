#include "contentstore/status.h"

#include <gtest/gtest.h>

namespace contentstore {
namespace {

TEST(Status, OkIsCheapAndSaysOk) {
  Status s;
  EXPECT_TRUE(s.ok());
  EXPECT_EQ(s.code(), Code::kOk);
  EXPECT_EQ(s.ToString(), "OK");
}

TEST(Status, CarriesCodeAndMessage) {
  Status s = Status::NotFound("blob sha256:abc");
  EXPECT_FALSE(s.ok());
  EXPECT_TRUE(s.IsNotFound());
  EXPECT_EQ(s.ToString(), "NotFound: blob sha256:abc");
  EXPECT_EQ(s.WithContext("info").ToString(), "NotFound: info: blob sha256:abc");
}

TEST(Status, ExitCodesMatchTheCommandLineContract) {
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

TEST(Result, HoldsValueOrError) {
  Result<int> good(42);
  ASSERT_TRUE(good.ok());
  EXPECT_EQ(*good, 42);
  Result<int> bad(Status::InvalidArgument("no"));
  ASSERT_FALSE(bad.ok());
  EXPECT_TRUE(bad.status().IsInvalidArgument());
  // A Result must never claim success without a value.
  Result<int> misuse{Status()};
  EXPECT_FALSE(misuse.ok());
  EXPECT_EQ(misuse.status().code(), Code::kInternal);
}

}  // namespace
}  // namespace contentstore
