// A Store whose blobs live in a bucket (Options::blobs), against a real Ceph
// RGW, which the CTest fixture starts (label s3): commits, reads, removal and
// collection, fsck and catalog rebuild, crash recovery, and the root's record
// of where its blobs live.

#include <stdlib.h>
#include <signal.h>
#include <unistd.h>

#include <sys/stat.h>

#include <set>

#include <fmt/format.h>

#include "contentstore/store.h"
#include "env/random.h"
#include "files/layout.h"
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
  // In a child process: opens the store, writes `bytes` under ref "crash"
  // (1 MiB at a time, so checkpoints fall as they would) and commits, with
  // the crash point `point` armed; returns the child's wait status, 128 +
  // SIGKILL when the crash point killed it.
  int CommitKilledAt(const char* point, const std::string& bytes) {
    return testing::RunInChild([&] {
      testing::CrashAt(point);
      auto store = Store::Open(root(), options_);
      if (!store.ok()) return 2;
      WriterOptions wo;
      wo.ref = "crash";
      auto w = (*store)->writer(wo);
      if (!w.ok()) return 3;
      for (size_t off = 0; off < bytes.size(); off += kMiB) {
        if (!(*w)->write(std::string_view(bytes).substr(off, kMiB)).ok()) return 4;
      }
      (void)(*w)->commit({});
      return 5;  // not reached: the crash point kills the process
    });
  }
  // The uploads in progress under this test's ingests/ prefix.
  size_t UploadsInProgress() {
    s3::ListUploadsRequest request;
    request.prefix = prefix_ + "ingests/";
    auto page = client_->list_multipart_uploads(server_.bucket, request);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->uploads.size() : 0;
  }
  // Objects under this test's ingests/ prefix (assembled uploads).
  size_t IngestObjects() {
    s3::ListObjectsRequest request;
    request.prefix = prefix_ + "ingests/";
    auto page = client_->list_objects(server_.bucket, request);
    EXPECT_TRUE(page.ok()) << page.status().ToString();
    return page.ok() ? page->objects.size() : 0;
  }
  // Ref's upload as ROOT/catalog.db records it: whether it has one, the
  // bytes its parts hold and how many parts (their sizes must add up).
  struct UploadRecord {
    bool has_upload = false;
    int64_t uploaded = -1;
    int parts = -1;
  };
  UploadRecord UploadRow(const std::string& ref) {
    const auto rows = testing::CatalogSql(root()).Query(
        "SELECT CASE WHEN upload_id IS NULL THEN 0 ELSE 1 END, uploaded, "
        "(SELECT count(*) FROM ingest_parts AS p WHERE p.ref = i.ref), "
        "(SELECT coalesce(sum(size), 0) FROM ingest_parts AS p WHERE p.ref = i.ref) "
        "FROM ingests AS i WHERE ref = ?",
        {ref});
    UploadRecord r;
    if (rows.empty()) return r;
    r.has_upload = rows[0][0] == "1";
    r.uploaded = std::stoll(rows[0][1]);
    r.parts = std::stoi(rows[0][2]);
    EXPECT_EQ(std::stoll(rows[0][3]), r.uploaded) << "the parts hold what the row says";
    return r;
  }

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
  EXPECT_TRUE(testing::IngestDirsInUse(root()).empty());
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
    const int status = CommitKilledAt(point, bytes);
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

namespace contentstore {
namespace {

// An ingest goes to the bucket while it is written: at each checkpoint past
// the minimum part size (5 MiB), what was written since the last part goes
// as the next part of the ingest's multipart upload, recorded in the
// catalog, and its local bytes become a hole. Commit sends the rest,
// assembles the upload and copies it to the blob's key; nothing stays.
TEST_F(S3StoreServerTest, LargeIngestsGoUpAsPartsWhileWritten) {
  options_.checkpoint_bytes = 6 * kMiB;
  auto store = testing::OpenStore(root(), options_);
  ASSERT_NE(store, nullptr);
  const std::string bytes = MakeContent(20 * kMiB + 5, 7);
  const Digest digest = DigestOf(bytes);
  {
    auto w = testing::OpenWriter(*store, "big");
    ASSERT_NE(w, nullptr);
    for (size_t off = 0; off < bytes.size(); off += kMiB) {
      ASSERT_OK(w->write(std::string_view(bytes).substr(off, kMiB)));
    }
    ASSERT_OK(w->close());
  }
  // Each checkpoint (about every 6 MiB) sent a part of at least 5 MiB; what
  // followed the last one waits.
  const UploadRecord record = UploadRow("big");
  EXPECT_TRUE(record.has_upload);
  EXPECT_GE(record.parts, 2);
  EXPECT_GE(record.uploaded, static_cast<int64_t>(12 * kMiB));
  EXPECT_LE(record.uploaded, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(UploadsInProgress(), 1u);
  struct stat st {};
  ASSERT_EQ(::stat((root() + "/ingest/" + Layout::IngestId("big") + "/data").c_str(), &st), 0);
  EXPECT_EQ(st.st_size, static_cast<off_t>(bytes.size())) << "the file keeps its length";
  EXPECT_LE(st.st_blocks * 512,
            static_cast<blkcnt_t>(static_cast<int64_t>(bytes.size()) - record.uploaded + kMiB))
      << "the parts' bytes are no longer kept locally";
  {
    auto status = store->get_ingest("big");
    ASSERT_OK(status);
    EXPECT_EQ(status->offset, static_cast<int64_t>(bytes.size()));
  }
  // Resumed here: the writer goes on from its checkpoint, and commits.
  auto w = testing::OpenWriter(*store, "big");
  ASSERT_NE(w, nullptr);
  EXPECT_EQ(w->status().offset, static_cast<int64_t>(bytes.size()));
  ASSERT_OK(w->commit(static_cast<int64_t>(bytes.size()), digest));
  auto read = ReadAll(*store, digest);
  ASSERT_OK(read);
  EXPECT_TRUE(*read == bytes);
  EXPECT_TRUE(ObjectExists(digest));
  EXPECT_EQ(UploadsInProgress(), 0u);
  EXPECT_EQ(IngestObjects(), 0u) << "the assembled upload went after the commit";
  EXPECT_TRUE(testing::IngestDirsInUse(root()).empty());
  auto report = store->fsck({});
  ASSERT_OK(report);
  EXPECT_EQ(Describe(*report), "");
}

// Starting over, aborting and committing content that is already there each
// take the ingest's upload away with it.
TEST_F(S3StoreServerTest, AnIngestsUploadGoesWithIt) {
  options_.checkpoint_bytes = 5 * kMiB;
  auto store = testing::OpenStore(root(), options_);
  ASSERT_NE(store, nullptr);
  const std::string bytes = MakeContent(11 * kMiB, 8);
  auto write_all = [&](Writer& w) {
    for (size_t off = 0; off < bytes.size(); off += kMiB) {
      ASSERT_OK(w.write(std::string_view(bytes).substr(off, kMiB)));
    }
  };
  {
    auto w = testing::OpenWriter(*store, "t");
    ASSERT_NE(w, nullptr);
    write_all(*w);
    EXPECT_EQ(UploadsInProgress(), 1u);
    ASSERT_OK(w->truncate(0));
    const UploadRecord none = UploadRow("t");
    EXPECT_FALSE(none.has_upload);
    EXPECT_EQ(none.uploaded, 0);
    EXPECT_EQ(none.parts, 0);
    EXPECT_EQ(UploadsInProgress(), 0u) << "truncate(0) discards the upload";
    write_all(*w);
    ASSERT_OK(w->close());
  }
  EXPECT_TRUE(UploadRow("t").has_upload);
  EXPECT_GE(UploadRow("t").parts, 1);
  ASSERT_OK(store->abort("t"));
  EXPECT_EQ(UploadsInProgress(), 0u) << "abort discards the upload";
  // The same bytes committed under another ref first: this ingest's commit
  // finds them and goes, upload and all.
  ASSERT_OK(WriteBlob(*store, "first", bytes));
  auto w = testing::OpenWriter(*store, "second");
  ASSERT_NE(w, nullptr);
  write_all(*w);
  EXPECT_EQ(UploadsInProgress(), 1u);
  EXPECT_CODE(w->commit(static_cast<int64_t>(bytes.size()), DigestOf(bytes)), kAlreadyExists);
  EXPECT_EQ(UploadsInProgress(), 0u);
  EXPECT_EQ(IngestObjects(), 0u);
  auto report = store->fsck({});
  ASSERT_OK(report);
  EXPECT_EQ(Describe(*report), "");
}

// A commit of an ingest with parts, killed after its last part was recorded,
// or after the upload was assembled and copied to the blob's key, and
// before the blob's row: the ingest resumes with every byte in its parts,
// and committing it again assembles (again) and records it.
TEST_F(S3StoreServerTest, ACommitWithPartsKilledHalfWayResumes) {
  options_.checkpoint_bytes = 5 * kMiB;
  const std::string bytes = MakeContent(13 * kMiB + 1, 12);
  const Digest d = DigestOf(bytes);
  {
    auto store = testing::OpenStore(root(), options_);  // records the bucket
    ASSERT_NE(store, nullptr);
  }
  for (const char* point : {"commit.after_last_part", "commit.after_rename"}) {
    SCOPED_TRACE(point);
    const int status = CommitKilledAt(point, bytes);
    EXPECT_EQ(status, 128 + SIGKILL);
    EXPECT_EQ(UploadRow("crash").uploaded, static_cast<int64_t>(bytes.size()))
        << "every byte is in a recorded part";
    auto store = testing::OpenStore(root(), options_);
    ASSERT_NE(store, nullptr);
    EXPECT_CODE(store->info(d).status(), kNotFound);
    WriterOptions wo;
    wo.ref = "crash";
    auto w = store->writer(wo);
    ASSERT_OK(w);
    EXPECT_EQ((*w)->status().offset, static_cast<int64_t>(bytes.size()));
    ASSERT_OK((*w)->commit(static_cast<int64_t>(bytes.size()), d));
    auto read = ReadAll(*store, d);
    ASSERT_OK(read);
    EXPECT_TRUE(*read == bytes);
    EXPECT_EQ(UploadsInProgress(), 0u);
    EXPECT_EQ(IngestObjects(), 0u);
    auto report = store->fsck({});
    ASSERT_OK(report);
    EXPECT_EQ(Describe(*report), "");
    ASSERT_OK(store->remove(d));  // for the next round
    ASSERT_OK(store->collect_garbage(GcOptions{}));
  }
}

// An upload that no ingest names (its writer died between starting it and
// recording it) is what fsck reports as data without an ingest, and goes at
// the first collection past the grace period; an ingest's own upload stays.
TEST_F(S3StoreServerTest, CollectionRemovesUploadsNoIngestNames) {
  options_.checkpoint_bytes = 5 * kMiB;
  auto store = testing::OpenStore(root(), options_);
  ASSERT_NE(store, nullptr);
  auto w = testing::OpenWriter(*store, "kept");
  ASSERT_NE(w, nullptr);
  const std::string bytes = MakeContent(7 * kMiB, 13);
  ASSERT_OK(w->write(bytes));
  ASSERT_OK(w->close());
  ASSERT_EQ(UploadsInProgress(), 1u);
  auto leftover = client_->create_multipart_upload(server_.bucket,
                                                   prefix_ + "ingests/" + std::string(64, 'a'));
  ASSERT_OK(leftover);
  ASSERT_EQ(UploadsInProgress(), 2u);
  // fsck reports it, and its repair leaves a young one alone.
  FsckOptions repair;
  repair.repair = true;
  auto report = store->fsck(repair);
  ASSERT_OK(report);
  ASSERT_EQ(report->problems.size(), 1u) << Describe(*report);
  EXPECT_EQ(FsckKindName(report->problems[0].kind), "data-without-ingest");
  EXPECT_NE(report->problems[0].subject.find("ingests/" + std::string(64, 'a')), std::string::npos)
      << report->problems[0].subject;
  EXPECT_FALSE(report->problems[0].repaired);
  ASSERT_OK(store->collect_garbage(GcOptions{}));
  EXPECT_EQ(UploadsInProgress(), 2u) << "within the grace period";
  GcOptions now;
  now.grace = std::chrono::nanoseconds(0);
  ASSERT_OK(store->collect_garbage(now));
  EXPECT_EQ(UploadsInProgress(), 1u);
  EXPECT_TRUE(UploadRow("kept").has_upload);
  auto resumed = testing::OpenWriter(*store, "kept");
  ASSERT_NE(resumed, nullptr);
  ASSERT_OK(resumed->commit(static_cast<int64_t>(bytes.size()), DigestOf(bytes)));
  EXPECT_EQ(UploadsInProgress(), 0u);
}

}  // namespace
}  // namespace contentstore
