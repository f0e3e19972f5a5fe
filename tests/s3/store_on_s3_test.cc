// A Store whose blobs live in a bucket (Options::blobs), against a real Ceph
// RGW, which the CTest fixture starts (label s3): commits, reads, removal and
// collection, fsck and catalog rebuild, crash recovery, and the root's record
// of where its blobs live.

#include <stdlib.h>
#include <signal.h>
#include <unistd.h>

#include <set>

#include <fmt/format.h>

#include "contentstore/store.h"
#include "env/random.h"
#include "s3/client.h"
#include "server_env.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::FileExists;
using testing::MakeContent;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteBlob;
using s3::testing::S3Server;

constexpr size_t kMiB = size_t{1} << 20;

// "kind subject: detail" per problem, for failure messages.
std::string Describe(const FsckReport& report) {
  std::string out;
  for (const FsckProblem& p : report.problems) {
    out += fmt::format("{} {}: {}\n", FsckKindName(p.kind), p.subject, p.detail);
  }
  return out;
}

class S3StoreServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (s3::testing::SkipServerTests()) GTEST_SKIP() << "CONTENTSTORE_SKIP_SERVER_TESTS=1";
    auto server = S3Server::FromEnvironment();
    ASSERT_OK(server);
    server_ = std::move(*server);
    // The store takes its credentials where any S3 tool does.
    server_.ExportCredentials();
    auto client = s3::Client::Create(server_.client_options());
    ASSERT_OK(client);
    client_ = std::move(*client);
    prefix_ = testing::UniqueTestPrefix("store");
    options_.blobs = Url(prefix_);
  }

  std::string Url(const std::string& prefix) const {
    return fmt::format("s3://{}/{}?endpoint={}&region={}", server_.bucket, prefix,
                       server_.endpoint, server_.region);
  }
  std::string KeyOf(const Digest& d) const {
    return prefix_ + "blobs/" + std::string(AlgorithmName(d.algorithm())) + "/" + d.hex();
  }
  bool ObjectExists(const Digest& d) { return client_->head_object(server_.bucket, KeyOf(d)).ok(); }
  std::string root() const { return dir_.path() + "/store"; }

  S3Server server_;
  std::unique_ptr<s3::Client> client_;
  std::string prefix_;
  Options options_;
  TempDir dir_;
};

TEST_F(S3StoreServerTest, CommitsLandInTheBucketAndReadBack) {
  auto store = testing::OpenStore(root(), options_);
  ASSERT_NE(store, nullptr);
  const std::string small = MakeContent(4096, 1), large = MakeContent(36 * kMiB + 11, 2);
  ASSERT_OK(WriteBlob(*store, "small", small, {{"k", "v"}}));
  ASSERT_OK(WriteBlob(*store, "large", large));
  for (const std::string* bytes : {&small, &large}) {
    const Digest d = DigestOf(*bytes);
    EXPECT_TRUE(ObjectExists(d));
    auto info = store->info(d);
    ASSERT_OK(info);
    EXPECT_EQ(info->size, static_cast<int64_t>(bytes->size()));
    auto read = ReadAll(*store, d);
    ASSERT_OK(read);
    EXPECT_TRUE(*read == *bytes);
  }
  // Nothing under ROOT/blobs/, and the ingests' local files are gone.
  EXPECT_TRUE(testing::ListDir(root() + "/blobs").empty());
  EXPECT_TRUE(testing::ListDir(root() + "/ingest").empty());
  EXPECT_EQ(testing::ReadFile(root() + "/blobs-location"), options_.blobs + "\n");
  // Committing the same bytes again finds them.
  EXPECT_CODE(WriteBlob(*store, "again", small), kAlreadyExists);
  auto report = store->fsck({});
  ASSERT_OK(report);
  EXPECT_EQ(Describe(*report), "");
}

TEST_F(S3StoreServerTest, TheRootRemembersItsBucket) {
  const std::string bytes = MakeContent(777, 3);
  {
    auto store = testing::OpenStore(root(), options_);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(WriteBlob(*store, "r", bytes));
  }
  // No URL: the recorded bucket, for writing and for reading.
  auto store = testing::OpenStore(root());
  ASSERT_NE(store, nullptr);
  auto read = ReadAll(*store, DigestOf(bytes));
  ASSERT_OK(read);
  EXPECT_EQ(*read, bytes);
  store.reset();
  Options read_only;
  read_only.read_only = true;
  auto reader = Store::Open(root(), read_only);
  ASSERT_OK(reader);
  read = ReadAll(**reader, DigestOf(bytes));
  ASSERT_OK(read);
  EXPECT_EQ(*read, bytes);
  reader->reset();
  // Another prefix is another store: refused, and the record is unchanged.
  Options other = options_;
  other.blobs = Url(prefix_ + "elsewhere/");
  EXPECT_CODE(Store::Open(root(), other).status(), kInvalidArgument);
  EXPECT_EQ(testing::ReadFile(root() + "/blobs-location"), options_.blobs + "\n");
}

TEST_F(S3StoreServerTest, ALocalStoreWithBlobsIsNotMovedToABucket) {
  {
    auto store = testing::OpenStore(root());
    ASSERT_NE(store, nullptr);
    ASSERT_OK(WriteBlob(*store, "local", "local bytes"));
  }
  EXPECT_CODE(Store::Open(root(), options_).status(), kFailedPrecondition);
  EXPECT_FALSE(FileExists(root() + "/blobs-location"));
}

TEST_F(S3StoreServerTest, ABadLocationFailsAtOpenAndBindsNothing) {
  Options bad = options_;
  bad.blobs = fmt::format("s3://no-such-bucket-{}/x?endpoint={}", RandomHex(4), server_.endpoint);
  EXPECT_CODE(Store::Open(root(), bad).status(), kNotFound);
  EXPECT_FALSE(FileExists(root() + "/blobs-location"));
  bad.blobs = "s3://";
  EXPECT_CODE(Store::Open(root(), bad).status(), kInvalidArgument);
  bad.blobs = "file:///tmp/x";
  EXPECT_CODE(Store::Open(root(), bad).status(), kInvalidArgument);
  ::setenv("AWS_SECRET_ACCESS_KEY", "wrong", 1);
  EXPECT_CODE(Store::Open(root(), options_).status(), kIOError);
  EXPECT_FALSE(FileExists(root() + "/blobs-location"));
}

TEST_F(S3StoreServerTest, RemoveAndCollectDeleteTheObject) {
  auto store = testing::OpenStore(root(), options_);
  ASSERT_NE(store, nullptr);
  const std::string keep = MakeContent(1000, 4), drop = MakeContent(1001, 5),
                    removed = MakeContent(1002, 6);
  ASSERT_OK(WriteBlob(*store, "keep", keep, {{"containerd.io/gc.root", "x"}}));
  ASSERT_OK(WriteBlob(*store, "drop", drop));
  ASSERT_OK(WriteBlob(*store, "removed", removed));
  ASSERT_OK(store->remove(DigestOf(removed)));
  GcOptions gc;
  gc.grace = std::chrono::nanoseconds(0);
  auto report = store->collect_garbage(gc);
  ASSERT_OK(report);
  EXPECT_TRUE(ObjectExists(DigestOf(keep)));
  EXPECT_FALSE(ObjectExists(DigestOf(drop)));
  EXPECT_FALSE(ObjectExists(DigestOf(removed)));
  EXPECT_CODE(store->info(DigestOf(drop)).status(), kNotFound);
  // A removed blob committed again is uploaded again.
  ASSERT_OK(WriteBlob(*store, "back", removed));
  EXPECT_TRUE(ObjectExists(DigestOf(removed)));
  auto read = ReadAll(*store, DigestOf(removed));
  ASSERT_OK(read);
  EXPECT_EQ(*read, removed);
}

TEST_F(S3StoreServerTest, FsckFindsObjectsWithoutRowsAndRowsWithoutObjects) {
  auto store = testing::OpenStore(root(), options_);
  ASSERT_NE(store, nullptr);
  const std::string lost = MakeContent(500, 7), stray = MakeContent(600, 8);
  ASSERT_OK(WriteBlob(*store, "lost", lost));
  ASSERT_OK(client_->delete_object(server_.bucket, KeyOf(DigestOf(lost))));
  ASSERT_OK(client_->put_object(server_.bucket, KeyOf(DigestOf(stray)), stray));
  auto report = store->fsck({});
  ASSERT_OK(report);
  std::set<std::string> kinds;
  for (const FsckProblem& p : report->problems) kinds.insert(std::string(FsckKindName(p.kind)));
  EXPECT_TRUE(kinds.count("row-without-file")) << Describe(*report);
  EXPECT_TRUE(kinds.count("file-without-row")) << Describe(*report);
  // Repair adopts the stray object (its bytes match its name).
  FsckOptions repair;
  repair.repair = true;
  ASSERT_OK(store->fsck(repair));
  auto info = store->info(DigestOf(stray));
  ASSERT_OK(info);
  EXPECT_EQ(info->size, 600);
}

TEST_F(S3StoreServerTest, ACatalogRebuildFindsTheBucketsBlobs) {
  const std::string a = MakeContent(2000, 9), b = MakeContent(17 * kMiB, 10);
  {
    auto store = testing::OpenStore(root(), options_);
    ASSERT_NE(store, nullptr);
    ASSERT_OK(WriteBlob(*store, "a", a));
    ASSERT_OK(WriteBlob(*store, "b", b));
  }
  ASSERT_EQ(::unlink((root() + "/catalog.db").c_str()), 0);
  ::unlink((root() + "/catalog.db-wal").c_str());
  ::unlink((root() + "/catalog.db-shm").c_str());
  // A lost catalog is not silently replaced by an empty one...
  EXPECT_CODE(Store::Open(root(), options_).status(), kDataLoss);
  // ...and the rebuild reads the bucket, through the record.
  auto rebuilt = Store::RebuildCatalog(root());
  ASSERT_OK(rebuilt);
  auto store = testing::OpenStore(root());
  ASSERT_NE(store, nullptr);
  for (const std::string* bytes : {&a, &b}) {
    auto read = ReadAll(*store, DigestOf(*bytes));
    ASSERT_OK(read);
    EXPECT_TRUE(*read == *bytes);
  }
}

// A commit killed after its upload and before its catalog row: the ingest
// resumes, and committing it then works (the object already there is kept).
TEST_F(S3StoreServerTest, ACommitKilledAfterItsUploadResumes) {
  const std::string bytes = MakeContent(3 * kMiB, 11);
  const Digest d = DigestOf(bytes);
  {
    auto store = testing::OpenStore(root(), options_);  // records the bucket
    ASSERT_NE(store, nullptr);
  }
  for (const char* point : {"commit.after_rename", "commit.after_dir_sync"}) {
    SCOPED_TRACE(point);
    const int status = testing::RunInChild([&] {
      testing::CrashAt(point);
      auto store = Store::Open(root(), options_);
      if (!store.ok()) return 2;
      WriterOptions wo;
      wo.ref = "crash";
      auto w = (*store)->writer(wo);
      if (!w.ok()) return 3;
      if (!(*w)->write(std::as_bytes(std::span(bytes))).ok()) return 4;
      (void)(*w)->commit({});
      return 5;  // not reached: the crash point kills the process
    });
    EXPECT_EQ(status, 128 + SIGKILL);
    EXPECT_TRUE(ObjectExists(d));
    auto store = testing::OpenStore(root(), options_);
    ASSERT_NE(store, nullptr);
    EXPECT_CODE(store->info(d).status(), kNotFound);
    auto report = store->fsck({});
    ASSERT_OK(report);
    // The uploaded object has no row yet; nothing else is wrong.
    for (const FsckProblem& p : report->problems) {
      EXPECT_EQ(FsckKindName(p.kind), "file-without-row") << p.detail;
    }
    // The ingest still has every byte: committing it needs no write.
    WriterOptions wo;
    wo.ref = "crash";
    auto w = store->writer(wo);
    ASSERT_OK(w);
    EXPECT_EQ((*w)->status().offset, static_cast<int64_t>(bytes.size()));
    ASSERT_OK((*w)->commit({}));
    auto read = ReadAll(*store, d);
    ASSERT_OK(read);
    EXPECT_TRUE(*read == bytes);
    report = store->fsck({});
    ASSERT_OK(report);
    EXPECT_EQ(Describe(*report), "");
    ASSERT_OK(store->remove(d));
    GcOptions gc;
    ASSERT_OK(store->collect_garbage(gc));
    EXPECT_FALSE(ObjectExists(d));
  }
}

TEST_F(S3StoreServerTest, ReadsThroughTheCacheAreChecked) {
  Options cached = options_;
  cached.blob_cache_bytes = 64 << 20;
  auto store = testing::OpenStore(root(), cached);
  ASSERT_NE(store, nullptr);
  const std::string bytes = MakeContent(100000, 12);
  ASSERT_OK(WriteBlob(*store, "c", bytes));
  auto read = ReadAll(*store, DigestOf(bytes));
  ASSERT_OK(read);
  EXPECT_EQ(*read, bytes);
  EXPECT_TRUE(FileExists(root() + "/cache/sha256/" + DigestOf(bytes).hex()));
  // fsck knows the cache directory and the record.
  auto report = store->fsck({});
  ASSERT_OK(report);
  EXPECT_TRUE(report->problems.empty()) << Describe(*report);
}

}  // namespace
}  // namespace contentstore
