// Ingest directories and their spares: an ended ingest's directory is kept,
// emptied and locked, under a spare name, and the next new ingest takes it
// instead of making one. What must hold: a spare carries nothing of the
// ingest it served, nobody else can lock it, an existing ingest directory is
// never replaced by one, and spares go with their owner.

#include "files/ingest_dirs.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <thread>

#include "files/commit_marker.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::TempDir;

class IngestDirsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(::mkdir((dir_.path() + "/ingest").c_str(), 0755), 0);
    dirs_ = std::make_unique<IngestDirs>(*Env::Default(), layout_);
    ASSERT_OK(dirs_->Open());
  }

  std::vector<std::string> Spares() {
    std::vector<std::string> out;
    for (const std::string& name : testing::ListDir(dir_.path() + "/ingest")) {
      if (IngestDirs::IsSpare(name)) out.push_back(name);
    }
    return out;
  }

  ino_t Inode(const std::string& path) {
    struct stat st {};
    EXPECT_EQ(::stat(path.c_str(), &st), 0) << path;
    return st.st_ino;
  }

  // Whether another open file description could take the directory's flock.
  bool Lockable(const std::string& path) {
    const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY);
    EXPECT_GE(fd, 0) << path;
    const bool got = ::flock(fd, LOCK_EX | LOCK_NB) == 0;
    ::close(fd);
    return got;
  }

  TempDir dir_;
  Layout layout_{dir_.path()};
  std::unique_ptr<IngestDirs> dirs_;
};

TEST_F(IngestDirsTest, AnEndedIngestsDirectoryServesTheNextOneEmptyAndUnmarked) {
  auto a = dirs_->CreateAndLock("aaaa");
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  std::ofstream(dirs_->PathOf("aaaa") + "/data") << "bytes of a";
  ASSERT_OK(WriteCommitMarker(*Env::Default(), a->get(), dirs_->PathOf("aaaa"), "sha256/00"));
  const ino_t inode = Inode(dirs_->PathOf("aaaa"));

  dirs_->Retire("aaaa", std::move(*a));
  EXPECT_FALSE(testing::FileExists(dirs_->PathOf("aaaa")));
  const std::vector<std::string> spares = Spares();
  ASSERT_EQ(spares.size(), 1u);
  EXPECT_EQ(dirs_->spare_count(), 1u);
  EXPECT_TRUE(testing::ListDir(dirs_->PathOf(spares[0])).empty());
  EXPECT_FALSE(Lockable(dirs_->PathOf(spares[0]))) << "a spare stays locked by its owner";

  auto b = dirs_->CreateAndLock("bbbb");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_EQ(Inode(dirs_->PathOf("bbbb")), inode) << "the spare, not a new directory";
  EXPECT_TRUE(Spares().empty());
  EXPECT_TRUE(testing::ListDir(dirs_->PathOf("bbbb")).empty());
  auto marker = ReadCommitMarker(*Env::Default(), b->get(), dirs_->PathOf("bbbb"));
  ASSERT_TRUE(marker.ok());
  EXPECT_FALSE(marker->has_value()) << "the earlier commit's marker went: " << **marker;
  EXPECT_FALSE(Lockable(dirs_->PathOf("bbbb")));
}

TEST_F(IngestDirsTest, AnExistingIngestDirectoryIsOpenedNotReplacedByASpare) {
  auto a = dirs_->CreateAndLock("aaaa");
  ASSERT_TRUE(a.ok());
  dirs_->Retire("aaaa", std::move(*a));
  ASSERT_EQ(dirs_->spare_count(), 1u);
  // A closed ingest to resume: its directory and data are there.
  ASSERT_EQ(::mkdir(dirs_->PathOf("cccc").c_str(), 0755), 0);
  std::ofstream(dirs_->PathOf("cccc") + "/data") << "resume me";
  const ino_t inode = Inode(dirs_->PathOf("cccc"));

  auto c = dirs_->CreateAndLock("cccc");
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(Inode(dirs_->PathOf("cccc")), inode);
  EXPECT_TRUE(testing::FileExists(dirs_->PathOf("cccc") + "/data"));
  EXPECT_EQ(dirs_->spare_count(), 1u) << "the spare waits for a new ingest";
}

TEST_F(IngestDirsTest, AtMostMaxSparesAreKeptAndTheOwnerRemovesThem) {
  std::vector<UniqueFd> held;
  const size_t n = IngestDirs::kMaxSpares + 3;
  for (size_t i = 0; i < n; ++i) {
    auto fd = dirs_->CreateAndLock("id" + std::to_string(i));
    ASSERT_TRUE(fd.ok());
    held.push_back(std::move(*fd));
  }
  for (size_t i = 0; i < n; ++i) dirs_->Retire("id" + std::to_string(i), std::move(held[i]));
  EXPECT_EQ(dirs_->spare_count(), IngestDirs::kMaxSpares);
  EXPECT_EQ(testing::ListDir(dir_.path() + "/ingest").size(), IngestDirs::kMaxSpares);
  dirs_.reset();
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/ingest").empty());
}

TEST_F(IngestDirsTest, ADirectoryThatBecameASpareWhileAWriterWaitedIsMadeAgain) {
  auto a = dirs_->CreateAndLock("aaaa");
  ASSERT_TRUE(a.ok());
  // A second writer for the same ref opened the directory and waits for
  // its flock; meanwhile the first commits and the directory becomes a
  // spare (whose lock stays held). The second must not wait that out.
  IngestDirs other(*Env::Default(), layout_);
  ASSERT_OK(other.Open());
  std::thread retire([&] {
    ::usleep(10000);
    dirs_->Retire("aaaa", std::move(*a));
  });
  auto again = other.CreateAndLock("aaaa");
  retire.join();
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(Spares().size(), 1u);
  EXPECT_NE(Inode(dirs_->PathOf("aaaa")), Inode(dirs_->PathOf(Spares()[0])));
}

TEST_F(IngestDirsTest, SpareNamesAreNotIngestIds) {
  EXPECT_TRUE(IngestDirs::IsSpare(".spare-0a1b2c-7"));
  EXPECT_FALSE(IngestDirs::IsSpare(Layout::IngestId("spare")));
  EXPECT_FALSE(IngestDirs::IsSpare("spare"));
}

}  // namespace
}  // namespace contentstore
