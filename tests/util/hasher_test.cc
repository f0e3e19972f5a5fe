#include "util/hasher.h"

#include <gtest/gtest.h>

#include "test_util.h"

namespace contentstore {
namespace {

class HasherTest : public ::testing::TestWithParam<Algorithm> {};

TEST_P(HasherTest, SavedStateContinuesTheStream) {
  const std::string content = testing::MakeContent(1 << 20, 7);
  for (size_t cut : {size_t{0}, size_t{1}, size_t{63}, size_t{64}, size_t{65}, size_t{1000},
                     content.size()}) {
    Hasher first(GetParam());
    first.update(content.data(), cut);
    const std::string state = first.save();
    auto resumed = Hasher::Restore(GetParam(), state, static_cast<int64_t>(cut));
    ASSERT_TRUE(resumed.ok()) << resumed.status().ToString();
    EXPECT_EQ(resumed->bytes(), static_cast<int64_t>(cut));
    resumed->update(content.data() + cut, content.size() - cut);
    EXPECT_EQ(resumed->digest(), testing::DigestOf(content, GetParam())) << "cut at " << cut;
  }
}

TEST_P(HasherTest, DamagedOrMismatchedStateIsRefused) {
  Hasher h(GetParam());
  h.update("hello", 5);
  const std::string state = h.save();
  EXPECT_CODE(Hasher::Restore(GetParam(), state, 4).status(), kDataLoss);
  EXPECT_CODE(Hasher::Restore(GetParam(), state.substr(1), 5).status(), kDataLoss);
  EXPECT_CODE(Hasher::Restore(GetParam(), "", 5).status(), kDataLoss);
  const Algorithm other =
      GetParam() == Algorithm::kSHA256 ? Algorithm::kSHA512 : Algorithm::kSHA256;
  EXPECT_CODE(Hasher::Restore(other, state, 5).status(), kDataLoss);
  // Flip each byte in turn: every single-byte change is caught.
  for (size_t i = 0; i < state.size(); ++i) {
    std::string damaged = state;
    damaged[i] = static_cast<char>(damaged[i] ^ 0x40);
    EXPECT_FALSE(Hasher::Restore(GetParam(), damaged, 5).ok()) << "byte " << i;
  }
}

INSTANTIATE_TEST_SUITE_P(Algorithms, HasherTest,
                         ::testing::Values(Algorithm::kSHA256, Algorithm::kSHA384,
                                           Algorithm::kSHA512));

}  // namespace
}  // namespace contentstore
