// The s3:// URL parser, endpoint validation, credentials from the
// environment and the backoff bounds. No server.

#include "s3/config.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include "test_util.h"

namespace contentstore::s3 {
namespace {

TEST(S3UrlTest, BucketOnly) {
  auto u = ParseBucketUrl("s3://my-bucket?endpoint=http://127.0.0.1:7480");
  ASSERT_OK(u);
  EXPECT_EQ(u->bucket, "my-bucket");
  EXPECT_EQ(u->prefix, "");
  EXPECT_EQ(u->endpoint, "http://127.0.0.1:7480");
  EXPECT_EQ(u->region, "us-east-1");
}

TEST(S3UrlTest, PrefixGetsOneTrailingSlash) {
  for (const char* url : {"s3://b12/x/y?endpoint=http://h", "s3://b12/x/y/?endpoint=http://h"}) {
    auto u = ParseBucketUrl(url);
    ASSERT_OK(u) << url;
    EXPECT_EQ(u->prefix, "x/y/") << url;
  }
  auto root = ParseBucketUrl("s3://b12/?endpoint=http://h");
  ASSERT_OK(root);
  EXPECT_EQ(root->prefix, "");
}

TEST(S3UrlTest, RegionAndPercentEncodedEndpoint) {
  auto u =
      ParseBucketUrl("s3://b.c-d/p?region=default&endpoint=https%3A%2F%2Fs3.example.com%3A8443%2F");
  ASSERT_OK(u);
  EXPECT_EQ(u->bucket, "b.c-d");
  EXPECT_EQ(u->region, "default");
  EXPECT_EQ(u->endpoint, "https://s3.example.com:8443");
}

TEST(S3UrlTest, BadUrlsAreInvalidArgumentWithTheReason) {
  struct Case {
    const char* url;
    const char* reason;
  };
  const Case cases[] = {
      {"http://b/x?endpoint=http://h", "must start with s3://"},
      {"s3://?endpoint=http://h", "no bucket"},
      {"s3:///p?endpoint=http://h", "no bucket"},
      {"s3://ab?endpoint=http://h", "3 to 63"},
      {"s3://Upper?endpoint=http://h", "lowercase"},
      {"s3://under_score?endpoint=http://h", "lowercase"},
      {"s3://-abc?endpoint=http://h", "starts and ends"},
      {"s3://a..b?endpoint=http://h", "\"..\""},
      {"s3://bucket/a//b?endpoint=http://h", "empty segment"},
      {"s3://bucket//a?endpoint=http://h", "empty segment"},
      {"s3://bucket/a\x01?endpoint=http://h", "control character"},
      {"s3://bucket/\xff?endpoint=http://h", "UTF-8"},
      {"s3://bucket", "endpoint=URL is required"},
      {"s3://bucket?region=x", "endpoint=URL is required"},
      {"s3://bucket?endpoint=http://h&endpoint=http://g", "given twice"},
      {"s3://bucket?endpoint=", "is empty"},
      {"s3://bucket?endpoint=http://h&access_key=AK", "unknown parameter \"access_key\""},
      {"s3://bucket?endpoint=http%ZZ", "malformed value"},
      {"s3://bucket?endpoint=ftp://h", "http or https"},
      {"s3://bucket?endpoint=http://user:pw@h", "user info"},
      {"s3://bucket?endpoint=http://h/path", "path"},
      {"s3://bucket?endpoint=http://h:0", "port"},
      {"s3://bucket?endpoint=http://h:99999", "port"},
      {"s3://bucket?endpoint=http://h:", "port"},
      {"s3://bucket?endpoint=http://h:x1", "port"},
      {"s3://bucket?endpoint=http://", "no host"},
      {"s3://bucket?endpoint=http://h&region=us east", "region"},
      {"s3://bucket#frag?endpoint=http://h", "fragment"},
  };
  for (const Case& c : cases) {
    auto u = ParseBucketUrl(c.url);
    ASSERT_CODE(u.status(), kInvalidArgument) << c.url;
    EXPECT_NE(u.status().message().find(c.reason), std::string::npos)
        << c.url << " -> " << u.status().ToString();
  }
}

TEST(S3UrlTest, SecretsInTheUrlAreNotEchoed) {
  for (const char* url : {"s3://bucket?endpoint=http://h&secret_key=TOPSECRET",
                          "s3://bucket?endpoint=http://AK:TOPSECRET@h",
                          "s3://bucket?endpoint=http%3A%2F%2FAK%3ATOPSECRET%40h",
                          "s3://Bad_Bucket?endpoint=http://h&token=TOPSECRET"}) {
    auto u = ParseBucketUrl(url);
    ASSERT_CODE(u.status(), kInvalidArgument) << url;
    EXPECT_EQ(u.status().message().find("TOPSECRET"), std::string::npos) << u.status().ToString();
  }
}

TEST(S3EndpointTest, AcceptsHostsPortsAndIpv6) {
  for (const char* e : {"http://127.0.0.1:7480", "https://s3.amazonaws.com", "http://h/",
                        "http://[::1]:9000", "http://[::1]"}) {
    auto n = NormalizeEndpoint(e);
    ASSERT_OK(n) << e;
    EXPECT_FALSE(n->ends_with('/')) << *n;
  }
  EXPECT_CODE(NormalizeEndpoint("http://[::1").status(), kInvalidArgument);
  EXPECT_CODE(NormalizeEndpoint("http://[::1]x").status(), kInvalidArgument);
  EXPECT_CODE(NormalizeEndpoint("http://h?x=1").status(), kInvalidArgument);
}

class EnvGuard {
 public:
  explicit EnvGuard(const char* name) : name_(name) {
    if (const char* v = std::getenv(name)) saved_ = v;
  }
  ~EnvGuard() {
    if (saved_) {
      setenv(name_, saved_->c_str(), 1);
    } else {
      unsetenv(name_);
    }
  }

 private:
  const char* name_;
  std::optional<std::string> saved_;
};

TEST(S3CredentialsTest, FromEnvironment) {
  EnvGuard a("AWS_ACCESS_KEY_ID"), b("AWS_SECRET_ACCESS_KEY"), c("AWS_SESSION_TOKEN");
  setenv("AWS_ACCESS_KEY_ID", "AKID", 1);
  setenv("AWS_SECRET_ACCESS_KEY", "SECRETVALUE", 1);
  setenv("AWS_SESSION_TOKEN", "TOKEN", 1);
  auto creds = Credentials::FromEnvironment();
  ASSERT_OK(creds);
  EXPECT_EQ(creds->access_key_id, "AKID");
  EXPECT_EQ(creds->secret_access_key, "SECRETVALUE");
  EXPECT_EQ(creds->session_token, "TOKEN");

  unsetenv("AWS_SECRET_ACCESS_KEY");
  auto missing = Credentials::FromEnvironment();
  ASSERT_CODE(missing.status(), kInvalidArgument);
  EXPECT_NE(missing.status().message().find("AWS_SECRET_ACCESS_KEY"), std::string::npos);
  EXPECT_EQ(missing.status().message().find("AKID"), std::string::npos);

  setenv("AWS_SECRET_ACCESS_KEY", "SECRETVALUE", 1);
  setenv("AWS_ACCESS_KEY_ID", "", 1);
  auto empty = Credentials::FromEnvironment();
  ASSERT_CODE(empty.status(), kInvalidArgument);
  EXPECT_EQ(empty.status().message().find("SECRETVALUE"), std::string::npos);
}

TEST(S3RetryPolicyTest, BackoffCapDoublesUpToTheMaximum) {
  RetryPolicy p;
  p.initial_backoff = std::chrono::milliseconds(100);
  p.max_backoff = std::chrono::milliseconds(1000);
  EXPECT_EQ(p.BackoffCap(1).count(), 100);
  EXPECT_EQ(p.BackoffCap(2).count(), 200);
  EXPECT_EQ(p.BackoffCap(4).count(), 800);
  EXPECT_EQ(p.BackoffCap(5).count(), 1000);
  EXPECT_EQ(p.BackoffCap(60).count(), 1000);
}

}  // namespace
}  // namespace contentstore::s3
