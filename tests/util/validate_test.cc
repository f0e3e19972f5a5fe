#include "contentstore/validate.h"

#include <gtest/gtest.h>

#include "test_util.h"
#include "util/text.h"

namespace contentstore {
namespace {

TEST(ValidateRef, AcceptsWhatContainerdUses) {
  for (std::string ref : {std::string("c1"), std::string("TestContent/SmallBlob"), std::string("layer-sha256:abc"), std::string("../../etc/passwd"),
                          std::string("name@sha256:abc"), std::string("ünïcødé"), std::string(1024, 'r')}) {
    EXPECT_OK(ValidateRef(ref));
  }
}

TEST(ValidateRef, RejectsEmptyLongControlAndInvalidUtf8) {
  for (std::string ref : {std::string(""), std::string(1025, 'r'), std::string("a\nb"),
                          std::string("tab\there"), std::string("nul\0x", 5),
                          std::string("del\x7f"), std::string("\xff\xfe")}) {
    EXPECT_CODE(ValidateRef(ref), kInvalidArgument);
  }
}

TEST(ValidateLabel, SizeLimitCountsKeyAndValue) {
  EXPECT_OK(ValidateLabel("k", std::string(4095, 'v')));
  EXPECT_CODE(ValidateLabel("k", std::string(4096, 'v')), kInvalidArgument);
  EXPECT_CODE(ValidateLabel(std::string(4097, 'k'), ""), kInvalidArgument);
  EXPECT_CODE(ValidateLabel("", "v"), kInvalidArgument);
  EXPECT_CODE(ValidateLabel("k", std::string("a\0b", 3)), kInvalidArgument);
  EXPECT_CODE(ValidateLabel("\xc0\x80", "v"), kInvalidArgument);  // overlong NUL
  EXPECT_OK(ValidateLabel("containerd.io/gc.ref.content.l.0", "sha256:abc"));
  EXPECT_OK(ValidateLabel("k", ""));  // empty value means delete
}

TEST(ValidateLabel, MessageNamesTheWholeKey) {
  const std::string key = "containerd.io/distribution.source.registry.example.com";
  Status s = ValidateLabel(key, std::string(5000, 'v'));
  EXPECT_NE(s.message().find(key), std::string::npos) << s.message();
}

TEST(ValidateImageName, AcceptsReferencesAndUnicodeRejectsControls) {
  for (std::string_view ok : {"docker.io/library/alpine:3.19", "a", "名前:é",
                              "registry.example.com:5000/x/y@sha256:abc"}) {
    EXPECT_TRUE(ValidateImageName(ok).ok()) << ok;
  }
  EXPECT_TRUE(ValidateImageName(std::string(kMaxImageNameBytes, 'n')).ok());
  for (const std::string& bad : {std::string(), std::string(kMaxImageNameBytes + 1, 'n'),
                                 std::string("a\nb"), std::string("a\x7f"),
                                 std::string("c1 \xc2\x9b"), std::string("\xc3\x28")}) {
    Status s = ValidateImageName(bad);
    EXPECT_TRUE(s.IsInvalidArgument()) << bad.size() << " " << s.ToString();
  }
}

TEST(ValidateMediaType, Rfc6838TypeAndSubtype) {
  for (std::string_view ok : {"application/vnd.oci.image.manifest.v1+json",
                              "application/vnd.docker.distribution.manifest.list.v2+json",
                              "text/plain", "x-a/b!#$&-^_.+"}) {
    EXPECT_TRUE(ValidateMediaType(ok).ok()) << ok;
  }
  for (std::string_view bad : {"", "text", "/plain", "text/", "text/plain; charset=x",
                               "-a/b", "a/b/c", "a b/c"}) {
    EXPECT_TRUE(ValidateMediaType(bad).IsInvalidArgument()) << bad;
  }
  EXPECT_TRUE(ValidateMediaType("a/" + std::string(127, 'b')).ok());
  EXPECT_TRUE(ValidateMediaType("a/" + std::string(128, 'b')).IsInvalidArgument());
}

TEST(Text, PrintableEscapesAndTruncates) {
  EXPECT_EQ(Printable("plain"), "plain");
  EXPECT_EQ(Printable("a\nb"), "a\\x0ab");
  EXPECT_EQ(Printable("\xff"), "\\xff");
  EXPECT_EQ(Printable("ünï"), "ünï");
  EXPECT_EQ(Printable(std::string(300, 'x')), std::string(200, 'x') + "...");
}

TEST(Text, Rfc3339WithNanoseconds) {
  EXPECT_EQ(FormatRfc3339(0), "1970-01-01T00:00:00.000000000Z");
  EXPECT_EQ(FormatRfc3339(1795845000123456789), "2026-11-28T05:50:00.123456789Z");
}

}  // namespace
}  // namespace contentstore
