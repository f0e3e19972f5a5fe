// Store::put_blobs: many small blobs in one go, and crashes half way.

#include <signal.h>

#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

std::span<const std::byte> Bytes(const std::string& s) {
  return std::as_bytes(std::span<const char>(s.data(), s.size()));
}

class BatchTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    for (int i = 0; i < 100; ++i) contents_.push_back(MakeContent(500 + static_cast<size_t>(i), 10 + uint64_t(i)));
  }
  std::vector<BlobInput> Inputs() {
    std::vector<BlobInput> in;
    for (size_t i = 0; i < contents_.size(); ++i) {
      in.push_back({Bytes(contents_[i]), DigestOf(contents_[i]), {{"n", std::to_string(i)}}});
    }
    return in;
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
  std::vector<std::string> contents_;
};

TEST_F(BatchTest, CommitsEveryBlobWithItsLabels) {
  auto results = store_->put_blobs(Inputs());
  ASSERT_TRUE(results.ok()) << results.status().ToString();
  ASSERT_EQ(results->size(), contents_.size());
  for (size_t i = 0; i < contents_.size(); ++i) {
    EXPECT_OK((*results)[i]);
    auto info = store_->info(DigestOf(contents_[i]));
    ASSERT_TRUE(info.ok());
    EXPECT_EQ(info->labels.at("n"), std::to_string(i));
    EXPECT_EQ(*testing::ReadAll(*store_, DigestOf(contents_[i])), contents_[i]);
  }
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/batches").empty());
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(BatchTest, EachInputGetsItsOwnStatus) {
  ASSERT_OK(testing::WriteBlob(*store_, "pre", contents_[0], {{"kept", "yes"}}));
  std::vector<BlobInput> in = Inputs();
  in[1].expected = DigestOf("something else");
  in[2].labels = {{"", "empty key"}};
  in.push_back(in[3]);  // the same blob twice
  auto results = store_->put_blobs(in);
  ASSERT_TRUE(results.ok());
  EXPECT_CODE((*results)[0], kAlreadyExists);
  EXPECT_CODE((*results)[1], kFailedPrecondition);
  EXPECT_CODE((*results)[2], kInvalidArgument);
  EXPECT_OK((*results)[3]);
  EXPECT_CODE(results->back(), kAlreadyExists);
  EXPECT_EQ(store_->info(DigestOf(contents_[0]))->labels, (Labels{{"kept", "yes"}}));
  EXPECT_CODE(store_->info(DigestOf(contents_[1])).status(), kNotFound);
  EXPECT_CODE(store_->info(DigestOf(contents_[2])).status(), kNotFound);
}

TEST_F(BatchTest, LeaseHoldsTheWholeBatch) {
  LeaseOptions lo;
  lo.id = "bulk";
  ASSERT_TRUE(store_->create_lease(lo).ok());
  ASSERT_OK(testing::WriteBlob(*store_, "pre", contents_[0]));
  PutOptions options;
  options.lease = "bulk";
  ASSERT_TRUE(store_->put_blobs(Inputs(), options).ok());
  EXPECT_EQ(store_->lease_resources("bulk")->size(), contents_.size());
  options.lease = "missing";
  std::vector<BlobInput> one = {{Bytes(std::string("x")), {}, {}}};
  std::string x = "not yet committed";
  one[0].bytes = Bytes(x);
  EXPECT_CODE(store_->put_blobs(one, options).status(), kNotFound);
  EXPECT_CODE(store_->info(DigestOf(x)).status(), kNotFound);
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

class BatchCrash : public BatchTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(BatchCrash, StoreIsConsistentAfterRecovery) {
  store_.reset();
  const std::string point = GetParam();
  const int rc = testing::RunInChild([&] {
    auto store = Store::Open(dir_.path(), testing::StoreOptions(dir_.path()));
    if (!store.ok()) return 2;
    testing::CrashAt(point);
    (void)(*store)->put_blobs(Inputs());
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  store_ = testing::OpenStore(dir_.path());
  const bool committed = point == std::string("batch.after_catalog");
  for (const std::string& c : contents_) {
    EXPECT_EQ(store_->info(DigestOf(c)).ok(), committed);
  }
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/batches").empty());
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

INSTANTIATE_TEST_SUITE_P(Points, BatchCrash,
                         ::testing::Values("batch.after_link", "batch.after_catalog"),
                         [](const ::testing::TestParamInfo<const char*>& p) {
                           return std::string(p.param).substr(6);
                         });

}  // namespace
}  // namespace contentstore
