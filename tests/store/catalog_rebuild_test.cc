// Store::RebuildCatalog: a lost, emptied or damaged catalog is rebuilt from
// the blob files; labels and leases come back as far as the old catalog can
// be read, and nothing whose labels are lost is left for gc to take.

#include <SQLiteCpp/SQLiteCpp.h>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <fstream>

#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

constexpr int kBlobs = 1200;  // more than two pages of the rebuild

class CatalogRebuildTest : public ::testing::Test {
 protected:
  void SetUp() override {
    SKIP_ON_POSTGRES("fsck --rebuild-catalog rebuilds ROOT/catalog.db only, and is refused with "
                     "a PostgreSQL catalog (src/catalog/POSTGRES.md, What remains 2)");
  }

  // Blobs with labels (a root and a chain of references), a lease holding
  // one, and an upload in progress.
  void Populate() {
    auto store = testing::OpenStore(dir_.path());
    ASSERT_NE(store, nullptr);
    std::vector<BlobInput> inputs;
    for (int i = 0; i < kBlobs; ++i) {
      contents_.push_back(MakeContent(100 + static_cast<size_t>(i), static_cast<uint64_t>(i)));
    }
    for (int i = 0; i < kBlobs; ++i) {
      BlobInput input;
      input.bytes = std::as_bytes(std::span(contents_[i]));
      if (i % 3 == 0) input.labels["containerd.io/gc.root"] = "yes";
      if (i > 0) {
        input.labels["containerd.io/gc.ref.content.prev"] = DigestOf(contents_[i - 1]).str();
      }
      input.labels["n"] = std::to_string(i);
      inputs.push_back(std::move(input));
    }
    auto put = store->put_blobs(inputs, PutOptions{});
    ASSERT_TRUE(put.ok()) << put.status().ToString();
    for (const Status& s : *put) ASSERT_OK(s);
    LeaseOptions lease;
    lease.id = "kept";
    lease.labels["why"] = "test";
    ASSERT_OK(store->create_lease(lease).status());
    ASSERT_OK(store->add_lease_resource("kept", {LeaseResource::Type::kContent,
                                                 DigestOf(contents_[5]).str()}));
    auto w = testing::OpenWriter(*store, "upload");
    ASSERT_NE(w, nullptr);
    ASSERT_OK(w->write("half an upload"));
  }

  std::string Catalog() const { return dir_ / "catalog.db"; }

  void Truncate() {
    for (const char* suffix : {"", "-wal", "-shm"}) {
      ASSERT_EQ(::truncate((Catalog() + suffix).c_str(), 0), 0);
    }
  }

  // Every blob has a row again and its bytes; every blob has its old labels,
  // or is held by the rescue lease.
  void ExpectEveryBlobBack(Store& store, const RebuildReport& report) {
    std::set<std::string> rescued;
    if (!report.rescue_lease.empty()) {
      auto held = store.lease_resources(report.rescue_lease);
      ASSERT_TRUE(held.ok()) << held.status().ToString();
      for (const LeaseResource& r : *held) rescued.insert(r.id);
    }
    EXPECT_EQ(static_cast<int64_t>(rescued.size()), report.blobs_unlabelled);
    for (int i = 0; i < kBlobs; ++i) {
      const Digest digest = DigestOf(contents_[i]);
      auto info = store.info(digest);
      ASSERT_TRUE(info.ok()) << i << ": " << info.status().ToString();
      if (rescued.count(digest.str())) continue;
      EXPECT_EQ(info->labels.at("n"), std::to_string(i));
    }
    EXPECT_EQ(report.blobs, kBlobs);
  }

  TempDir dir_;
  std::vector<std::string> contents_;
};

TEST_F(CatalogRebuildTest, AnEmptiedCatalogIsRefusedThenRebuiltAndGcTakesNothing) {
  Populate();
  Truncate();
  // Opening would make an empty catalog over the files: refused, read-only too.
  EXPECT_CODE(Store::Open(dir_.path()).status(), kDataLoss);
  Options read_only;
  read_only.read_only = true;
  auto refused = Store::Open(dir_.path(), read_only);
  EXPECT_CODE(refused.status(), kDataLoss);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("--rebuild-catalog"));

  auto report = Store::RebuildCatalog(dir_.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_THAT(report->damaged_catalog, ::testing::HasSubstr("catalog.db.damaged-"));
  EXPECT_TRUE(testing::FileExists(report->damaged_catalog));
  EXPECT_FALSE(report->salvage_error.empty());
  EXPECT_EQ(report->blobs_unlabelled, kBlobs);
  ASSERT_EQ(report->set_aside.size(), 1u);
  EXPECT_THAT(report->set_aside[0], ::testing::HasSubstr("lost+found"));

  auto store = testing::OpenStore(dir_.path());
  ASSERT_NE(store, nullptr);
  for (int i = 0; i < kBlobs; ++i) {
    auto bytes = testing::ReadAll(*store, DigestOf(contents_[i]));
    ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
    EXPECT_TRUE(*bytes == contents_[i]);
  }
  // With no labels left, only the rescue lease keeps them from a collection.
  GcOptions now;
  now.grace = std::chrono::seconds(0);
  auto gc = store->collect_garbage(now);
  ASSERT_TRUE(gc.ok()) << gc.status().ToString();
  EXPECT_TRUE(gc->removed_blobs.empty());
  ASSERT_OK(store->delete_lease(report->rescue_lease));
  gc = store->collect_garbage(now);
  ASSERT_TRUE(gc.ok());
  EXPECT_EQ(gc->removed_blobs.size(), static_cast<size_t>(kBlobs));
}

TEST_F(CatalogRebuildTest, AReadableCatalogGivesBackEveryLabelAndLease) {
  Populate();
  auto report = Store::RebuildCatalog(dir_.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->salvage_error, "");
  EXPECT_EQ(report->blobs_unlabelled, 0);
  EXPECT_EQ(report->rescue_lease, "");
  EXPECT_EQ(report->blobs_with_labels, kBlobs);
  EXPECT_EQ(report->leases, 1);
  EXPECT_TRUE(report->problems.empty());

  auto store = testing::OpenStore(dir_.path());
  ASSERT_NE(store, nullptr);
  ExpectEveryBlobBack(*store, *report);
  auto held = store->lease_resources("kept");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(held->size(), 1u);
  // The reference graph follows the labels again: a root (every third blob)
  // reaches every blob before it, so only those after the last root go.
  std::vector<Digest> unreachable;
  for (int i = kBlobs - 1; i % 3 != 0; --i) unreachable.push_back(DigestOf(contents_[i]));
  ASSERT_FALSE(unreachable.empty());
  GcOptions now;
  now.grace = std::chrono::seconds(0);
  auto gc = store->collect_garbage(now);
  ASSERT_TRUE(gc.ok());
  EXPECT_THAT(gc->removed_blobs, ::testing::UnorderedElementsAreArray(unreachable));
  store.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(CatalogRebuildTest, ADamagedCatalogLosesOnlyWhatCannotBeRead) {
  Populate();
  {
    // Fold the WAL in, then overwrite pages in the middle of the file.
    SQLite::Database db(Catalog(), SQLite::OPEN_READWRITE);
    db.exec("PRAGMA wal_checkpoint(TRUNCATE)");
  }
  std::fstream file(Catalog(), std::ios::in | std::ios::out | std::ios::binary);
  file.seekg(0, std::ios::end);
  const std::streamoff size = file.tellg();
  const std::string garbage(4096 * 4, '\xa5');
  file.seekp(size / 2);
  file.write(garbage.data(), static_cast<std::streamsize>(garbage.size()));
  file.close();

  auto report = Store::RebuildCatalog(dir_.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto store = testing::OpenStore(dir_.path());
  ASSERT_NE(store, nullptr);
  ExpectEveryBlobBack(*store, *report);
  EXPECT_EQ(report->blobs_with_labels + report->blobs_unlabelled, kBlobs);
  store.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(CatalogRebuildTest, AFileThatDoesNotMatchItsNameIsReportedNotAdopted) {
  Populate();
  const std::string path = dir_ / ("blobs/sha256/" + DigestOf(contents_[7]).hex());
  ::chmod(path.c_str(), 0644);
  std::ofstream(path, std::ios::binary | std::ios::trunc) << "not those bytes";
  auto report = Store::RebuildCatalog(dir_.path());
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blobs, kBlobs - 1);
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].kind, FsckProblem::Kind::kDigestMismatch);
  EXPECT_EQ(report->problems[0].subject, DigestOf(contents_[7]).str());
  EXPECT_THAT(report->problems[0].detail, ::testing::HasSubstr("lost+found"));
  EXPECT_FALSE(testing::FileExists(path));
  auto store = testing::OpenStore(dir_.path());
  EXPECT_CODE(store->info(DigestOf(contents_[7])).status(), kNotFound);
}

TEST_F(CatalogRebuildTest, ItNeedsTheStoreToItselfAndOpensWaitForIt) {
  Populate();
  {
    auto open = testing::OpenStore(dir_.path());
    ASSERT_NE(open, nullptr);
    EXPECT_CODE(Store::RebuildCatalog(dir_.path()).status(), kUnavailable);
    EXPECT_TRUE(testing::FileExists(Catalog()));  // nothing was moved
  }
  // While a rebuild holds the root, opening is refused, not blocked.
  const int fd = ::open(dir_.path().c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX), 0);
  auto refused = Store::Open(dir_.path());
  EXPECT_CODE(refused.status(), kUnavailable);
  EXPECT_THAT(refused.status().message(), ::testing::HasSubstr("rebuilt"));
  ::close(fd);
  EXPECT_OK(Store::Open(dir_.path()).status());
}

}  // namespace
}  // namespace contentstore
