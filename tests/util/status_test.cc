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

TEST(Status, EveryCodeHasItsCheck) {
  EXPECT_TRUE(Status::InvalidArgument("x").IsInvalidArgument());
  EXPECT_TRUE(Status::NotFound("x").IsNotFound());
  EXPECT_TRUE(Status::AlreadyExists("x").IsAlreadyExists());
  EXPECT_TRUE(Status::Unavailable("x").IsUnavailable());
  EXPECT_TRUE(Status::FailedPrecondition("x").IsFailedPrecondition());
  EXPECT_TRUE(Status::DataLoss("x").IsDataLoss());
  EXPECT_TRUE(Status::IOError("x").IsIOError());
  EXPECT_TRUE(Status::Internal("x").IsInternal());
  EXPECT_FALSE(Status::Internal("x").IsIOError());
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
