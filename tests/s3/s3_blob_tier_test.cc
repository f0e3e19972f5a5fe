// The S3 blob tier (s3/s3_blob_tier.h) and its read cache
// (files/blob_cache.h) against a real Ceph RGW, which the CTest fixture
// starts (label s3). Each test works under its own key prefix in the test
// bucket.

#include "s3/s3_blob_tier.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fstream>

#include "contentstore/env.h"
#include "env/unique_fd.h"
#include "server_env.h"
#include "test_util.h"

namespace contentstore::s3 {
namespace {

using contentstore::testing::DigestOf;
using contentstore::testing::MakeContent;
using contentstore::testing::TempDir;
using testing::S3Server;

constexpr size_t kMiB = size_t{1} << 20;

class S3BlobTierServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (testing::SkipServerTests()) GTEST_SKIP() << "CONTENTSTORE_SKIP_SERVER_TESTS=1";
    auto server = S3Server::FromEnvironment();
    ASSERT_OK(server);
    server_ = std::move(*server);
    auto client = Client::Create(server_.client_options());
    ASSERT_OK(client);
    client_ = std::move(*client);
    url_.bucket = server_.bucket;
    url_.prefix = contentstore::testing::UniqueTestPrefix("tier");
    url_.endpoint = server_.endpoint;
    url_.region = server_.region;
    tier_ = MakeTier(nullptr);
  }

  std::unique_ptr<S3BlobTier> MakeTier(std::unique_ptr<BlobCache> cache) {
    auto c = Client::Create(server_.client_options());
    EXPECT_OK(c);
    return std::make_unique<S3BlobTier>(*Env::Default(), std::move(*c), url_, std::move(cache));
  }

  // A local file holding `bytes`, as a commit would publish it.
  LocalFile Stage(const std::string& name, const std::string& bytes) {
    const std::string path = dir_.path() + "/" + name;
    std::ofstream(path, std::ios::binary) << bytes;
    if (!dir_fd_.valid()) {
      auto fd = OpenDir(*Env::Default(), dir_.path());
      EXPECT_OK(fd);
      dir_fd_ = std::move(*fd);
    }
    return LocalFile{dir_fd_.get(), name, path};
  }

  std::string KeyOf(const Digest& d) const {
    return url_.prefix + "blobs/" + std::string(AlgorithmName(d.algorithm())) + "/" + d.hex();
  }

  Result<std::string> ReadThrough(BlobTier& tier, const Digest& d, int64_t size) {
    auto reader = tier.Open(d, size);
    if (!reader.ok()) return reader.status();
    std::string out(static_cast<size_t>(size), '\0');
    auto n = (*reader)->read_at(0, std::as_writable_bytes(std::span<char>(out)));
    if (!n.ok()) return n.status();
    out.resize(*n);
    return out;
  }

  S3Server server_;
  std::unique_ptr<Client> client_;
  BucketUrl url_;
  std::unique_ptr<S3BlobTier> tier_;
  TempDir dir_;
  UniqueFd dir_fd_;
};

TEST_F(S3BlobTierServerTest, PublishesSmallAndMultipartBlobsUnderTheirDigest) {
  for (size_t size : {size_t{0}, size_t{5}, 40 * kMiB + 123}) {
    SCOPED_TRACE(size);
    const std::string bytes = MakeContent(size, size + 1);
    const Digest d = DigestOf(bytes);
    const LocalFile file = Stage("data-" + std::to_string(size), bytes);
    auto published = tier_->Publish(d, static_cast<int64_t>(size), file, BlobTier::Mode::kMove);
    ASSERT_OK(published);
    // The local file stays until the catalog has the row.
    EXPECT_EQ(*published, BlobTier::Published::kLinked);
    EXPECT_TRUE(contentstore::testing::FileExists(file.path));
    auto head = client_->head_object(url_.bucket, KeyOf(d));
    ASSERT_OK(head);
    EXPECT_EQ(head->size, size);
    auto st = tier_->Stat(d);
    ASSERT_OK(st);
    EXPECT_TRUE(S_ISREG(st->st_mode));
    EXPECT_EQ(st->st_size, static_cast<off_t>(size));
    auto holds = tier_->Holds(d, static_cast<int64_t>(size));
    ASSERT_OK(holds);
    EXPECT_TRUE(*holds);
    auto read = ReadThrough(*tier_, d, static_cast<int64_t>(size));
    ASSERT_OK(read);
    EXPECT_TRUE(*read == bytes);
    // Publishing again keeps what is there.
    auto again = tier_->Publish(d, static_cast<int64_t>(size), file, BlobTier::Mode::kMove);
    ASSERT_OK(again);
    EXPECT_EQ(*again, BlobTier::Published::kExisting);
  }
}

TEST_F(S3BlobTierServerTest, ADamagedObjectIsReplacedAndReadsSayDataLoss) {
  const std::string bytes = MakeContent(1000, 7);
  const Digest d = DigestOf(bytes);
  ASSERT_OK(client_->put_object(url_.bucket, KeyOf(d), bytes.substr(0, 10)));
  // The catalog says 1000 bytes: the short object is not the blob.
  auto holds = tier_->Holds(d, 1000);
  ASSERT_OK(holds);
  EXPECT_FALSE(*holds);
  auto reader = tier_->Open(d, 1000);
  EXPECT_TRUE(reader.status().IsDataLoss()) << reader.status().ToString();
  auto published = tier_->Publish(d, 1000, Stage("data", bytes), BlobTier::Mode::kMove);
  ASSERT_OK(published);
  EXPECT_EQ(*published, BlobTier::Published::kLinked);
  auto read = ReadThrough(*tier_, d, 1000);
  ASSERT_OK(read);
  EXPECT_EQ(*read, bytes);
}

TEST_F(S3BlobTierServerTest, ReadsAtEveryOffset) {
  const std::string bytes = MakeContent(3 * kMiB + 17, 3);
  const Digest d = DigestOf(bytes);
  ASSERT_OK(tier_->Publish(d, static_cast<int64_t>(bytes.size()), Stage("data", bytes),
                           BlobTier::Mode::kMove));
  auto reader = tier_->Open(d, static_cast<int64_t>(bytes.size()));
  ASSERT_OK(reader);
  std::vector<std::byte> buf(kMiB);
  for (int64_t off : {int64_t{0}, int64_t{1}, int64_t(kMiB) - 1, int64_t(bytes.size()) - 5,
                      int64_t(bytes.size()), int64_t(bytes.size()) + 10}) {
    SCOPED_TRACE(off);
    auto n = (*reader)->read_at(off, buf);
    ASSERT_OK(n);
    const size_t want = off >= int64_t(bytes.size())
                            ? 0
                            : std::min(buf.size(), bytes.size() - static_cast<size_t>(off));
    ASSERT_EQ(*n, want);
    EXPECT_EQ(std::string(reinterpret_cast<const char*>(buf.data()), *n),
              bytes.substr(std::min(bytes.size(), static_cast<size_t>(off)), want));
  }
  EXPECT_TRUE((*reader)->read_at(-1, buf).status().IsInvalidArgument());
}

TEST_F(S3BlobTierServerTest, RetireDeletesAndListSeesBlobsAndStrays) {
  std::vector<Digest> digests;
  for (int i = 0; i < 3; ++i) {
    const std::string bytes = MakeContent(100 + i, 40 + i);
    digests.push_back(DigestOf(bytes));
    ASSERT_OK(tier_->Publish(digests.back(), 100 + i, Stage("d" + std::to_string(i), bytes),
                             BlobTier::Mode::kMove));
  }
  ASSERT_OK(client_->put_object(url_.bucket, url_.prefix + "blobs/sha256/not-hex", "x"));
  ASSERT_OK(client_->put_object(url_.bucket, url_.prefix + "blobs/md5/abc", "x"));
  ASSERT_OK(tier_->Retire(digests[1]));
  EXPECT_TRUE(tier_->Stat(digests[1]).status().IsNotFound());
  std::vector<std::string> blobs, strays;
  BlobTier::Visitor visitor;
  visitor.blob = [&](const Digest& d, const struct stat& st, const std::string& where) {
    EXPECT_EQ(where, tier_->Where(d));
    EXPECT_GT(st.st_size, 0);
    blobs.push_back(d.str());
    return Status::OK();
  };
  visitor.stray = [&](const std::string& where, std::string_view) {
    strays.push_back(where);
    return Status::OK();
  };
  ASSERT_OK(tier_->List(visitor));
  std::vector<std::string> want = {digests[0].str(), digests[2].str()};
  std::sort(want.begin(), want.end());
  EXPECT_EQ(blobs, want);
  ASSERT_EQ(strays.size(), 2u);
  // A stray moves to lost+found/ under the prefix, out of the blob listing.
  auto aside = tier_->MoveAside(strays[0]);
  ASSERT_OK(aside);
  EXPECT_NE(aside->find(url_.prefix + "lost+found/"), std::string::npos) << *aside;
  EXPECT_TRUE(client_->head_object(url_.bucket, url_.prefix + "blobs/md5/abc")
                  .status()
                  .IsNotFound());
  EXPECT_TRUE(tier_->MoveAside("s3://another-bucket/x").status().IsInvalidArgument());
}

TEST_F(S3BlobTierServerTest, WithdrawBringsTheBytesBackAndDeletesTheObject) {
  const std::string bytes = MakeContent(20 * kMiB + 3, 9);
  const Digest d = DigestOf(bytes);
  LocalFile file = Stage("data", bytes);
  ASSERT_OK(tier_->Publish(d, static_cast<int64_t>(bytes.size()), file, BlobTier::Mode::kMove));
  ASSERT_EQ(::unlink(file.path.c_str()), 0);
  ASSERT_OK(tier_->Withdraw(d, file));
  EXPECT_TRUE(contentstore::testing::ReadFile(file.path) == bytes);
  EXPECT_TRUE(tier_->Stat(d).status().IsNotFound());
  EXPECT_TRUE(tier_->Withdraw(d, file).IsNotFound());
}

TEST_F(S3BlobTierServerTest, CacheServesRepeatReadsAndStaysWithinItsBound) {
  TempDir cache_dir;
  const int64_t capacity = 4 * 1000;
  auto tier = MakeTier(std::make_unique<BlobCache>(*Env::Default(), cache_dir.path(), capacity));
  std::vector<std::pair<Digest, std::string>> blobs;
  for (int i = 0; i < 8; ++i) {
    const std::string bytes = MakeContent(1000, 100 + i);
    blobs.emplace_back(DigestOf(bytes), bytes);
    ASSERT_OK(tier->Publish(blobs.back().first, 1000, Stage("c" + std::to_string(i), bytes),
                            BlobTier::Mode::kMove));
  }
  const std::string first_cached = cache_dir.path() + "/sha256/" + blobs[0].first.hex();
  auto read = ReadThrough(*tier, blobs[0].first, 1000);
  ASSERT_OK(read);
  EXPECT_EQ(*read, blobs[0].second);
  ASSERT_TRUE(contentstore::testing::FileExists(first_cached));
  // Served from the cache: the object can go and the read still works.
  ASSERT_OK(client_->delete_object(url_.bucket, KeyOf(blobs[0].first)));
  read = ReadThrough(*tier, blobs[0].first, 1000);
  ASSERT_OK(read);
  EXPECT_EQ(*read, blobs[0].second);
  for (size_t i = 1; i < blobs.size(); ++i) {
    read = ReadThrough(*tier, blobs[i].first, 1000);
    ASSERT_OK(read);
    EXPECT_EQ(*read, blobs[i].second);
  }
  BlobCache cache(*Env::Default(), cache_dir.path(), capacity);
  auto total = cache.TotalBytes();
  ASSERT_OK(total);
  EXPECT_LE(*total, capacity);
  EXPECT_GT(*total, 0);
  // The least recently used went first.
  EXPECT_FALSE(contentstore::testing::FileExists(first_cached));
  // Retiring a blob drops its cached copy too.
  ASSERT_OK(tier->Retire(blobs.back().first));
  EXPECT_FALSE(
      contentstore::testing::FileExists(cache_dir.path() + "/sha256/" + blobs.back().first.hex()));
}

TEST_F(S3BlobTierServerTest, CacheRefusesBytesThatDoNotMatchTheDigest) {
  TempDir cache_dir;
  auto tier = MakeTier(std::make_unique<BlobCache>(*Env::Default(), cache_dir.path(), 1 << 20));
  const std::string bytes = MakeContent(1000, 5);
  const Digest d = DigestOf(bytes);
  std::string damaged = bytes;
  damaged[500] ^= 1;
  ASSERT_OK(client_->put_object(url_.bucket, KeyOf(d), damaged));
  // The read still answers (with S3's bytes, which a verifying reader will
  // catch), but nothing damaged is cached.
  auto read = ReadThrough(*tier, d, 1000);
  ASSERT_OK(read);
  EXPECT_EQ(*read, damaged);
  EXPECT_FALSE(contentstore::testing::FileExists(cache_dir.path() + "/sha256/" + d.hex()));
  auto total = BlobCache(*Env::Default(), cache_dir.path(), 1 << 20).TotalBytes();
  ASSERT_OK(total);
  EXPECT_EQ(*total, 0);
}

}  // namespace
}  // namespace contentstore::s3
