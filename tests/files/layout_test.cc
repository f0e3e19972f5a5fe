#include "files/layout.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace contentstore {
namespace {

TEST(Layout, PathsFollowTheOciImageLayout) {
  Layout layout("/var/lib/cs/");
  const Digest d = testing::DigestOf("x");
  EXPECT_EQ(layout.root(), "/var/lib/cs");
  EXPECT_EQ(layout.catalog_path(), "/var/lib/cs/catalog.db");
  EXPECT_EQ(layout.blob_path(d), "/var/lib/cs/blobs/sha256/" + d.hex());
  EXPECT_EQ(layout.ingest_dir("abc"), "/var/lib/cs/ingest/abc");
}

TEST(Layout, IngestIdIsAFixedLengthHashOfTheRef) {
  for (std::string ref : {std::string("a"), std::string("../../x"), std::string("with/slash"), std::string(1024, 'r')}) {
    const std::string id = Layout::IngestId(ref);
    EXPECT_EQ(id.size(), 64u);
    EXPECT_EQ(id.find('/'), std::string::npos);
    EXPECT_EQ(id, testing::DigestOf(ref).hex());
  }
  EXPECT_NE(Layout::IngestId("a"), Layout::IngestId("b"));
}

TEST(Layout, BlobRelativePathRoundTrips) {
  const Digest d = testing::DigestOf("x", Algorithm::kSHA512);
  auto parsed = Layout::ParseBlobRelativePath(Layout::BlobRelativePath(d));
  ASSERT_TRUE(parsed.ok());
  EXPECT_EQ(*parsed, d);
  EXPECT_FALSE(Layout::ParseBlobRelativePath("sha256").ok());
  EXPECT_FALSE(Layout::ParseBlobRelativePath("sha256/zz").ok());
}

}  // namespace
}  // namespace contentstore
