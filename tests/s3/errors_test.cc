// The table from S3 errors to codes, and which errors are retried. No server.

#include "s3/errors.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace contentstore::s3 {
namespace {

Status Map(long http, std::string code, Conditional c = Conditional::kNone) {
  return StatusFromS3Error("PUT b/k", S3Error{http, std::move(code), "", "tx1"}, c);
}

TEST(S3ErrorsTest, Table) {
  EXPECT_CODE(Map(404, "NoSuchKey"), kNotFound);
  EXPECT_CODE(Map(404, "NoSuchUpload"), kNotFound);
  EXPECT_CODE(Map(404, "NoSuchBucket"), kNotFound);
  EXPECT_CODE(Map(404, ""), kNotFound);  // HEAD: no body
  EXPECT_CODE(Map(412, "PreconditionFailed", Conditional::kIfNoneMatch), kAlreadyExists);
  EXPECT_CODE(Map(412, "PreconditionFailed"), kFailedPrecondition);
  EXPECT_CODE(Map(409, "BucketAlreadyExists"), kAlreadyExists);
  EXPECT_CODE(Map(409, "BucketAlreadyOwnedByYou"), kAlreadyExists);
  EXPECT_CODE(Map(400, "EntityTooSmall"), kFailedPrecondition);
  EXPECT_CODE(Map(400, "InvalidPart"), kFailedPrecondition);
  EXPECT_CODE(Map(400, "InvalidPartOrder"), kFailedPrecondition);
  EXPECT_CODE(Map(409, "BucketNotEmpty"), kFailedPrecondition);
  EXPECT_CODE(Map(400, "InvalidArgument"), kInvalidArgument);
  EXPECT_CODE(Map(400, "MalformedXML"), kInvalidArgument);
  EXPECT_CODE(Map(400, "KeyTooLongError"), kInvalidArgument);
  EXPECT_CODE(Map(416, "InvalidRange"), kInvalidArgument);
  EXPECT_CODE(Map(400, "XAmzContentSHA256Mismatch"), kIOError);
  EXPECT_CODE(Map(400, "BadDigest"), kIOError);
  EXPECT_CODE(Map(403, "SignatureDoesNotMatch"), kIOError);
  EXPECT_CODE(Map(403, "InvalidAccessKeyId"), kIOError);
  EXPECT_CODE(Map(301, "PermanentRedirect"), kIOError);
  EXPECT_CODE(Map(501, "NotImplemented"), kIOError);
}

TEST(S3ErrorsTest, MessageNamesCallCodeAndRequest) {
  Status s = Map(403, "SignatureDoesNotMatch");
  EXPECT_NE(s.message().find("PUT b/k"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("HTTP 403 SignatureDoesNotMatch"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("access denied"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("tx1"), std::string::npos) << s.ToString();
  Status head = Map(404, "");
  EXPECT_NE(head.message().find("HTTP 404 NotFound"), std::string::npos) << head.ToString();
}

TEST(S3ErrorsTest, WhatIsRetried) {
  for (long http : {429L, 500L, 502L, 503L, 504L}) {
    EXPECT_TRUE(IsRetryable(S3Error{http, "", "", ""})) << http;
  }
  EXPECT_TRUE(IsRetryable(S3Error{400, "RequestTimeout", "", ""}));
  EXPECT_TRUE(IsRetryable(S3Error{409, "OperationAborted", "", ""}));
  EXPECT_TRUE(IsRetryable(S3Error{200, "InternalError", "", ""}));  // in a 200's body
  for (long http : {400L, 403L, 404L, 409L, 412L, 416L, 501L}) {
    EXPECT_FALSE(IsRetryable(S3Error{http, "", "", ""})) << http;
  }
  EXPECT_FALSE(MayHaveTakenEffect(S3Error{503, "SlowDown", "", ""}));
  EXPECT_FALSE(MayHaveTakenEffect(S3Error{429, "", "", ""}));
  EXPECT_TRUE(MayHaveTakenEffect(S3Error{500, "InternalError", "", ""}));
  EXPECT_TRUE(MayHaveTakenEffect(S3Error{504, "", "", ""}));
}

}  // namespace
}  // namespace contentstore::s3
