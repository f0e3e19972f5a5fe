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
