#include "contentstore/digest.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace contentstore {
namespace {

constexpr char kEmpty256[] =
    "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";

TEST(Digest, ParsesEachAlgorithm) {
  for (auto [alg, len] : {std::pair{Algorithm::kSHA256, 64}, std::pair{Algorithm::kSHA384, 96},
                          std::pair{Algorithm::kSHA512, 128}}) {
    const std::string text = std::string(AlgorithmName(alg)) + ":" + std::string(len, 'a');
    auto d = Digest::Parse(text);
    ASSERT_TRUE(d.ok()) << text << ": " << d.status().ToString();
    EXPECT_EQ(d->algorithm(), alg);
    EXPECT_EQ(d->hex(), std::string(len, 'a'));
    EXPECT_EQ(d->str(), text);
  }
}

TEST(Digest, RejectsAnythingElse) {
  const std::string hex64(64, 'a');
  for (std::string bad : {
           std::string(""),
           std::string("sha256"),
           std::string("sha256:"),
           ":" + hex64,
           "sha256" + hex64,
           "md5:" + std::string(32, 'a'),
           "SHA256:" + hex64,
           "sha256:" + std::string(63, 'a'),
           "sha256:" + std::string(65, 'a'),
           "sha256:" + std::string(64, 'A'),
           "sha256:" + std::string(63, 'a') + "g",
           "sha256:" + std::string(63, 'a') + "\n",
           "sha512:" + hex64,
           "sha256:" + hex64 + ":" + hex64,
           std::string("sha256:\0", 8) + std::string(63, 'a'),
       }) {
    auto d = Digest::Parse(bad);
    EXPECT_FALSE(d.ok()) << "accepted " << bad;
    EXPECT_EQ(d.status().code(), Code::kInvalidArgument) << bad;
  }
}

TEST(Digest, ErrorNamesTheInputPrintably) {
  auto d = Digest::Parse("sha256:\x01zz");
  ASSERT_FALSE(d.ok());
  EXPECT_NE(d.status().message().find("sha256:\\x01zz"), std::string::npos)
      << d.status().message();
}

TEST(Digest, KnownVectors) {
  EXPECT_EQ(Digest::OfEmpty().str(), kEmpty256);
  Digester sha256(Algorithm::kSHA256);
  sha256.update(std::string_view("abc"));
  EXPECT_EQ(sha256.digest().hex(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
  Digester sha384(Algorithm::kSHA384);
  sha384.update(std::string_view("abc"));
  EXPECT_EQ(sha384.digest().hex(),
            "cb00753f45a35e8bb5a03d699ac65007272c32ab0eded1631a8b605a43ff5bed"
            "8086072ba1e7cc2358baeca134c825a7");
  Digester sha512(Algorithm::kSHA512);
  sha512.update(std::string_view("abc"));
  EXPECT_EQ(sha512.digest().hex(),
            "ddaf35a193617abacc417349ae20413112e6fa4e89a97ea20a9eeee64b55d39a"
            "2192992a274fc1a836ba3c23a3feebbd454d4423643ce80e2a9ac94fa54ca49f");
}

TEST(Digester, DigestDoesNotEndTheStream) {
  Digester d;
  d.update(std::string_view("ab"));
  EXPECT_EQ(d.digest(), testing::DigestOf("ab"));
  d.update(std::string_view("c"));
  EXPECT_EQ(d.digest(), testing::DigestOf("abc"));
  Digester copy = d;
  copy.update(std::string_view("d"));
  EXPECT_EQ(d.digest(), testing::DigestOf("abc"));
  EXPECT_EQ(copy.digest(), testing::DigestOf("abcd"));
  d.reset();
  EXPECT_EQ(d.digest(), Digest::OfEmpty());
}

TEST(Digest, OrdersLikeItsText) {
  auto a = *Digest::Parse("sha256:" + std::string(64, 'a'));
  auto b = *Digest::Parse("sha256:" + std::string(64, 'b'));
  auto c = *Digest::Parse("sha384:" + std::string(96, '0'));
  EXPECT_LT(a, b);
  EXPECT_LT(b, c);
  EXPECT_EQ(a, *Digest::Parse(a.str()));
}

}  // namespace
}  // namespace contentstore
