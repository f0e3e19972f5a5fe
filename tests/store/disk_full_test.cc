// A store on a file system that fills up (a 64 MiB tmpfs, so the test needs
// root to mount it; it reports a skip otherwise). What a full disk must not
// do: lose or damage what was committed, leave half-made state, or stop the
// store's own calls from freeing space.

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

constexpr size_t kBlobSize = 1 << 20;

class DiskFullTest : public ::testing::Test {
 protected:
  void SetUp() override {
    if (::geteuid() != 0) GTEST_SKIP() << "mounting a small tmpfs needs root";
    if (::mount("tmpfs", dir_.path().c_str(), "tmpfs", 0, "size=64m,mode=0755") != 0) {
      GTEST_SKIP() << "cannot mount a tmpfs here: " << std::strerror(errno);
    }
    mounted_ = true;
    root_ = dir_ / "store";
  }
  void TearDown() override {
    if (mounted_) ::umount2(dir_.path().c_str(), MNT_DETACH);
  }

  // Commits 1 MiB blobs until the disk says no; returns the contents that
  // were committed and the status that stopped it.
  std::pair<std::vector<std::string>, Status> FillUp(Store& store) {
    std::vector<std::string> committed;
    for (uint64_t seed = 1; seed < 1000; ++seed) {
      std::string content = MakeContent(kBlobSize, seed);
      Status s = testing::WriteBlob(store, "fill-" + std::to_string(seed), content);
      if (!s.ok()) return {committed, s};
      committed.push_back(std::move(content));
    }
    ADD_FAILURE() << "the disk never filled up";
    return {committed, Status::OK()};
  }

  TempDir dir_;
  bool mounted_ = false;
  std::string root_;
};

TEST_F(DiskFullTest, AFullDiskIsAClearErrorAndTheStoreCanFreeItself) {
  std::vector<std::string> committed;
  {
    auto store = testing::OpenStore(root_);
    ASSERT_NE(store, nullptr);
    auto [blobs, stop] = FillUp(*store);
    committed = std::move(blobs);
    ASSERT_GT(committed.size(), 20u);
    EXPECT_CODE(stop, kIOError);
    EXPECT_NE(stop.message().find("No space left on device"), std::string::npos)
        << stop.ToString();

    // Everything committed before is there, byte for byte.
    for (const std::string& content : committed) {
      auto bytes = testing::ReadAll(*store, DigestOf(content));
      ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
      EXPECT_TRUE(*bytes == content);
    }
    // The store's own calls free space on the full disk: abort the failed
    // upload, remove blobs, collect.
    auto ingests = store->list_ingests({});
    ASSERT_TRUE(ingests.ok()) << ingests.status().ToString();
    for (const IngestStatus& ingest : *ingests) EXPECT_OK(store->abort(ingest.ref));
    for (size_t i = 0; i < 10; ++i) EXPECT_OK(store->remove(DigestOf(committed[i])));
    EXPECT_OK(store->collect_garbage(GcOptions{}).status());
  }
  // With the space back, a new store handle takes new content.
  auto store = testing::OpenStore(root_);
  ASSERT_NE(store, nullptr);
  EXPECT_OK(testing::WriteBlob(*store, "after", MakeContent(kBlobSize, 5000)));
  for (size_t i = 10; i < committed.size(); ++i) {
    EXPECT_OK(store->info(DigestOf(committed[i])).status());
  }
  store.reset();
  testing::ExpectConsistent(root_);
}

TEST_F(DiskFullTest, RemovingWorksEvenWhenTheDiskIsFilledBehindTheStoresBack) {
  // Something else fills the disk to the last byte, so that even the
  // catalog's journal cannot grow: the reserve lets remove() go through.
  std::vector<std::string> committed;
  auto store = testing::OpenStore(root_);
  ASSERT_NE(store, nullptr);
  for (uint64_t seed = 1; seed <= 5; ++seed) {
    committed.push_back(MakeContent(kBlobSize, seed));
    ASSERT_OK(testing::WriteBlob(*store, "b" + std::to_string(seed), committed.back()));
  }
  {
    FILE* filler = std::fopen((dir_ / "filler").c_str(), "w");
    ASSERT_NE(filler, nullptr);
    const std::string chunk(4096, 'x');
    while (std::fwrite(chunk.data(), 1, chunk.size(), filler) == chunk.size() &&
           std::fflush(filler) == 0) {
    }
    std::fclose(filler);
  }
  Status full = testing::WriteBlob(*store, "more", MakeContent(kBlobSize, 99));
  EXPECT_CODE(full, kIOError);
  for (const std::string& content : committed) EXPECT_OK(store->remove(DigestOf(content)));
  EXPECT_OK(store->collect_garbage(GcOptions{}).status());
  store.reset();
  testing::ExpectConsistent(root_);
}

}  // namespace
}  // namespace contentstore
