// Parsing descriptors, documents, index.json and oci-layout from untrusted
// bytes.

#include "oci/descriptor.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "oci/location.h"
#include "oci/select.h"
#include "test_util.h"

namespace contentstore::oci {
namespace {

using nlohmann::json;

const std::string kDigest = contentstore::testing::DigestOf("x").str();

Result<OciDescriptor> Parse(const std::string& text) {
  return ParseDescriptor(json::parse(text), "test");
}

TEST(DescriptorTest, ParsesFields) {
  auto d = Parse(
      R"({"mediaType":"a/b","digest":")" + kDigest +
      R"(","size":3,"artifactType":"x/y","annotations":{"org.opencontainers.image.ref.name":"v1"}})");
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  EXPECT_EQ(d->media_type, "a/b");
  EXPECT_EQ(d->size, 3);
  EXPECT_EQ(d->artifact_type, "x/y");
  EXPECT_EQ(d->ref_name(), "v1");
}

TEST(DescriptorTest, RefusesBadFields) {
  const std::vector<std::string> bads = {
      R"({"digest":")" + kDigest + R"(","size":3})",                      // no mediaType
      R"({"mediaType":"a/b","size":3})",                                  // no digest
      R"({"mediaType":"a/b","digest":"sha256:abc","size":3})",            // short hex
      R"({"mediaType":"a/b","digest":"md5:abc","size":3})",               // algorithm
      R"({"mediaType":"a/b","digest":")" + kDigest + R"("})",             // no size
      R"({"mediaType":"a/b","digest":")" + kDigest + R"(","size":-1})",   // negative
      R"({"mediaType":"a/b","digest":")" + kDigest + R"(","size":"3"})",  // string
      R"({"mediaType":"a/b","digest":")" + kDigest + R"(","size":1e3})",  // float
      R"({"mediaType":"a/b","digest":")" + kDigest + R"(","size":18446744073709551615})",
      R"({"mediaType":"a/b","digest":")" + kDigest + R"(","size":3,"annotations":[]})",
      R"({"mediaType":"a/b","digest":")" + kDigest + R"(","size":3,"annotations":{"k":1}})",
      R"({"mediaType":"application/vnd.oci.image.index.v1+json","digest":")" + kDigest +
          R"(","size":100000000})",  // an index that large is not one
      R"([1])",
  };
  for (const std::string& bad : bads) {
    auto d = Parse(bad);
    EXPECT_FALSE(d.ok()) << bad;
    EXPECT_TRUE(d.status().IsInvalidArgument()) << bad;
  }
}

TEST(DescriptorTest, LayoutIndexAndLayoutFile) {
  auto entries =
      ParseLayoutIndex(R"({"schemaVersion":2,"manifests":[{"mediaType":"a/b","digest":")" +
                       kDigest + R"(","size":1}]})");
  ASSERT_TRUE(entries.ok());
  EXPECT_EQ(entries->size(), 1u);
  EXPECT_FALSE(ParseLayoutIndex("[]").ok());
  EXPECT_FALSE(ParseLayoutIndex(R"({"schemaVersion":1,"manifests":[]})").ok());
  EXPECT_FALSE(ParseLayoutIndex(R"({"manifests":{}})").ok());
  EXPECT_TRUE(CheckLayoutFile(R"({"imageLayoutVersion":"1.0.0"})").ok());
  EXPECT_FALSE(CheckLayoutFile(R"({"imageLayoutVersion":"2.0.0"})").ok());
  EXPECT_FALSE(CheckLayoutFile("nope").ok());
}

TEST(LocationTest, SplitsAtTheFirstColon) {
  auto l = ParseLocation("oci:/tmp/d:example.com/app:1.0");
  ASSERT_TRUE(l.ok());
  EXPECT_EQ(l->transport, Location::Transport::kDirectory);
  EXPECT_EQ(l->path, "/tmp/d");
  EXPECT_EQ(l->tag, "example.com/app:1.0");
  auto a = ParseLocation("oci-archive:x.tar");
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->transport, Location::Transport::kArchive);
  EXPECT_FALSE(a->tag.has_value());
  EXPECT_EQ(a->ToString(), "oci-archive:x.tar");
  for (const char* bad : {"docker://x", "oci:", "oci::t", "oci:d:", "dir:x"}) {
    EXPECT_TRUE(ParseLocation(bad).status().IsInvalidArgument()) << bad;
  }
}

OciDescriptor Entry(std::optional<std::string> name, std::string_view seed) {
  OciDescriptor d;
  d.media_type = "application/vnd.oci.image.manifest.v1+json";
  d.digest = contentstore::testing::DigestOf(seed);
  d.size = 1;
  if (name) d.annotations["org.opencontainers.image.ref.name"] = *name;
  return d;
}

TEST(SelectTest, ChoosesByTagNameOrAll) {
  const std::vector<OciDescriptor> entries = {Entry("a", "1"), Entry("b", "2"),
                                              Entry(std::nullopt, "3")};
  auto all = SelectImages(entries, std::nullopt, std::nullopt);
  ASSERT_TRUE(all.ok());
  EXPECT_EQ(all->images.size(), 2u);
  EXPECT_EQ(all->unnamed.size(), 1u);
  auto b = SelectImages(entries, "b", "renamed");
  ASSERT_TRUE(b.ok());
  ASSERT_EQ(b->images.size(), 1u);
  EXPECT_EQ(b->images[0].first, "renamed");
  EXPECT_TRUE(SelectImages(entries, "c", std::nullopt).status().IsNotFound());
  EXPECT_TRUE(SelectImages(entries, std::nullopt, "x").status().IsInvalidArgument());
  EXPECT_TRUE(SelectImages({Entry("a", "1"), Entry("a", "2")}, std::nullopt, std::nullopt)
                  .status()
                  .IsInvalidArgument());
  OciDescriptor odd_type = Entry("a", "1");
  odd_type.media_type = "not a media type";
  EXPECT_TRUE(SelectImages({odd_type}, std::nullopt, std::nullopt).status().IsInvalidArgument());
  EXPECT_TRUE(SelectImages({Entry("bad\nname", "1")}, std::nullopt, std::nullopt)
                  .status()
                  .IsInvalidArgument());
}

}  // namespace
}  // namespace contentstore::oci
