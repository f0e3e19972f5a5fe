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
#include <functional>
#include <utility>

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

  std::vector<std::string> Spares() { return testing::SpareIngestDirs(dir_.path()); }

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

// An Env whose first refused flock runs `on_busy`, then carries on.
class BusyHookEnv : public EnvWrapper {
 public:
  explicit BusyHookEnv(std::function<void()> on_busy)
      : EnvWrapper(Env::Default()), on_busy_(std::move(on_busy)) {}
  Status TryLock(int fd, std::string_view path) override {
    Status s = EnvWrapper::TryLock(fd, path);
    if (s.IsUnavailable() && on_busy_) std::exchange(on_busy_, nullptr)();
    return s;
  }

 private:
  std::function<void()> on_busy_;
};

TEST_F(IngestDirsTest, ADirectoryThatBecameASpareWhileAWriterWaitedIsMadeAgain) {
  auto a = dirs_->CreateAndLock("aaaa");
  ASSERT_TRUE(a.ok());
  // A second writer for the same ref opened the directory and found its
  // flock taken; right then the first commits and the directory becomes a
  // spare, whose lock stays held. The second must make the directory again
  // rather than wait the lock out and give up.
  BusyHookEnv env([&] { dirs_->Retire("aaaa", std::move(*a)); });
  IngestDirs other(env, layout_);
  ASSERT_OK(other.Open());
  auto again = other.CreateAndLock("aaaa");
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  ASSERT_EQ(Spares().size(), 1u) << "the hook ran: the first directory is a spare";
  EXPECT_NE(Inode(dirs_->PathOf("aaaa")), Inode(dirs_->PathOf(Spares()[0])));
}

// An Env that runs `before` ahead of the first flock it is asked for.
class BeforeLockEnv : public EnvWrapper {
 public:
  explicit BeforeLockEnv(std::function<void()> before)
      : EnvWrapper(Env::Default()), before_(std::move(before)) {}
  Status TryLock(int fd, std::string_view path) override {
    if (before_) std::exchange(before_, nullptr)();
    return EnvWrapper::TryLock(fd, path);
  }

 private:
  std::function<void()> before_;
};

// Housekeeping (the sweep, gc, fsck, abort, open-time recovery) opens a
// directory by name and then locks it. If in between it became a spare and
// then another ingest's, the lock must not pass for the first name's.
TEST_F(IngestDirsTest, OpenLockedRefusesADirectoryThatLeftItsName) {
  {
    auto closed = dirs_->CreateAndLock("aaaa");  // a closed, resumable ingest
    ASSERT_TRUE(closed.ok());
  }
  ino_t moved = 0;
  BeforeLockEnv env([&] {
    // aaaa is resumed and committed; its directory serves bbbb, which closes.
    auto a = dirs_->CreateAndLock("aaaa");
    ASSERT_TRUE(a.ok());
    dirs_->Retire("aaaa", std::move(*a));
    auto b = dirs_->CreateAndLock("bbbb");
    ASSERT_TRUE(b.ok());
    moved = Inode(dirs_->PathOf("bbbb"));
  });
  IngestDirs housekeeping(env, layout_);
  ASSERT_OK(housekeeping.Open());
  const ino_t first = Inode(dirs_->PathOf("aaaa"));
  auto locked = housekeeping.OpenLocked("aaaa");
  ASSERT_EQ(moved, first) << "the hook ran, and bbbb took aaaa's directory";
  EXPECT_TRUE(locked.status().IsNotFound()) << locked.status().ToString();
  EXPECT_TRUE(Lockable(dirs_->PathOf("bbbb"))) << "no lock was kept on bbbb's directory";
  auto b = housekeeping.OpenLocked("bbbb");
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_TRUE(dirs_->OpenLocked("bbbb").status().IsUnavailable());
}

TEST_F(IngestDirsTest, SpareNamesAreNotIngestIds) {
  EXPECT_TRUE(IngestDirs::IsSpare(".spare-0a1b2c-7"));
  EXPECT_FALSE(IngestDirs::IsSpare(Layout::IngestId("spare")));
  EXPECT_FALSE(IngestDirs::IsSpare("spare"));
}

}  // namespace
}  // namespace contentstore
