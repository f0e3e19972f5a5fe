// Archive member names: what is a layout file, what leaves the layout.

#include "oci/archive_reader.h"

#include <gtest/gtest.h>

#include "oci/oci_test_util.h"
#include "test_util.h"

namespace contentstore::oci {
namespace {

TEST(ArchiveReaderTest, ClassifiesMemberNames) {
  const std::string hex = contentstore::testing::DigestOf("x").hex();
  auto blob = ClassifyMemberName("./blobs/sha256/" + hex);
  ASSERT_TRUE(blob.ok());
  EXPECT_EQ(blob->type, Member::Type::kBlob);
  EXPECT_EQ(blob->digest->hex(), hex);
  EXPECT_EQ(ClassifyMemberName("index.json")->type, Member::Type::kIndex);
  EXPECT_EQ(ClassifyMemberName("./oci-layout")->type, Member::Type::kLayoutFile);
  EXPECT_EQ(ClassifyMemberName("blobs/sha256/")->type, Member::Type::kOther);
  EXPECT_EQ(ClassifyMemberName("blobs/sha256/xyz")->type, Member::Type::kOther);
  EXPECT_EQ(ClassifyMemberName("manifest.json")->type, Member::Type::kOther);
  for (const char* bad : {"/index.json", "../index.json", "blobs/../../x", "a/..", "./../x"}) {
    EXPECT_TRUE(ClassifyMemberName(bad).status().IsInvalidArgument()) << bad;
  }
}

TEST(ArchiveReaderTest, ReadsMembersInOrder) {
  contentstore::testing::TempDir tmp;
  testing::WriteTar(tmp / "a.tar", {testing::FileMember("oci-layout", "{}"),
                                    testing::FileMember("index.json", "0123456789")});
  auto reader = ArchiveReader::Open(tmp / "a.tar");
  ASSERT_TRUE(reader.ok());
  auto first = (*reader)->Next();
  ASSERT_TRUE(first.ok() && first->has_value());
  EXPECT_EQ((*first)->type, Member::Type::kLayoutFile);
  // Not read: skipped by Next.
  auto second = (*reader)->Next();
  ASSERT_TRUE(second.ok() && second->has_value());
  EXPECT_EQ((*second)->size, 10);
  std::byte buf[4];
  EXPECT_EQ(*(*reader)->Read(buf), 4u);
  auto end = (*reader)->Next();
  ASSERT_TRUE(end.ok());
  EXPECT_FALSE(end->has_value());
}

}  // namespace
}  // namespace contentstore::oci
