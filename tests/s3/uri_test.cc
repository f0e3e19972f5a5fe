// SigV4's canonical encoding and query order (libcurl 7.88 signs the URL as
// written, so these must be exact). No server.

#include "s3/uri.h"

#include <gtest/gtest.h>

namespace contentstore::s3 {
namespace {

TEST(S3UriTest, EncodesAllButUnreserved) {
  EXPECT_EQ(UriEncode("AZaz09-_.~", false), "AZaz09-_.~");
  EXPECT_EQ(UriEncode("a b+c=\xE2\x82\xAC/%", false), "a%20b%2Bc%3D%E2%82%AC%2F%25");
  EXPECT_EQ(UriEncode("blobs/sha256/ab cd", true), "blobs/sha256/ab%20cd");
}

TEST(S3UriTest, DecodeReversesEncodeAndRejectsBadEscapes) {
  const std::string raw = "x y/\x01\xff%";
  EXPECT_EQ(UriDecode(UriEncode(raw, false)), raw);
  EXPECT_EQ(UriDecode("a+b"), "a+b");
  EXPECT_FALSE(UriDecode("%4"));
  EXPECT_FALSE(UriDecode("%G0"));
  EXPECT_FALSE(UriDecode("abc%"));
}

TEST(S3UriTest, QuerySortedWithEqualsEvenWhenEmpty) {
  QueryString q;
  q.set("uploads", "").set("prefix", "a b").set("max-uploads", "5").set("key-marker", "k/1");
  EXPECT_EQ(q.str(), "key-marker=k%2F1&max-uploads=5&prefix=a%20b&uploads=");
  QueryString parts;
  parts.set("uploadId", "2~x").set("partNumber", "3");
  EXPECT_EQ(parts.str(), "partNumber=3&uploadId=2~x");
}

TEST(S3UriTest, ObjectUrlIsPathStyle) {
  EXPECT_EQ(ObjectUrl("http://h:1", "b", "", {}), "http://h:1/b");
  EXPECT_EQ(ObjectUrl("http://h:1", "b", "ingests/a ref", QueryString().set("uploads", "")),
            "http://h:1/b/ingests/a%20ref?uploads=");
}

}  // namespace
}  // namespace contentstore::s3
