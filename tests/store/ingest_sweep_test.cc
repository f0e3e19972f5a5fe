// What killed writers leave under ingest/: directories no row names. They go
// at the next writable open and at each collection, unless a writer holds
// them; the store never fails to open over something odd there.

#include "store/ingest_sweep.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>

#include "files/layout.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::TempDir;

class IngestSweepTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    ASSERT_NE(store_, nullptr);
  }

  // A directory as a writer killed after deleting its row leaves it.
  std::string Orphan(const std::string& ref, const std::string& bytes) {
    const std::string path = dir_.path() + "/ingest/" + Layout::IngestId(ref);
    EXPECT_EQ(::mkdir(path.c_str(), 0755), 0);
    std::ofstream(path + "/data") << bytes;
    return path;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(IngestSweepTest, OrphanDirectoriesGoAtTheNextWritableOpen) {
  const std::string empty = Orphan("a", ""), full = Orphan("b", std::string(21875, 'x'));
  store_.reset();
  store_ = testing::OpenStore(dir_.path());
  EXPECT_FALSE(testing::FileExists(empty));
  EXPECT_FALSE(testing::FileExists(full));
  auto report = store_->fsck({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->clean());
}

TEST_F(IngestSweepTest, AndAtEachCollection) {
  const std::string orphan = Orphan("a", "abc");
  ASSERT_OK(store_->collect_garbage({}).status());
  EXPECT_FALSE(testing::FileExists(orphan));
}

TEST_F(IngestSweepTest, ADirectoryAWriterHoldsStays) {
  const std::string orphan = Orphan("a", "abc");
  const int fd = ::open(orphan.c_str(), O_RDONLY | O_DIRECTORY);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(::flock(fd, LOCK_EX | LOCK_NB), 0);  // as a writer between mkdir and its row
  ASSERT_OK(store_->collect_garbage({}).status());
  EXPECT_TRUE(testing::FileExists(orphan + "/data"));
  ::close(fd);
  ASSERT_OK(store_->collect_garbage({}).status());
  EXPECT_FALSE(testing::FileExists(orphan));
}

TEST_F(IngestSweepTest, IngestsInProgressStay) {
  WriterOptions options;
  options.ref = "live";
  auto live = store_->writer(options);
  ASSERT_TRUE(live.ok());
  ASSERT_OK((*live)->write("held"));
  options.ref = "closed";
  auto closed = store_->writer(options);
  ASSERT_TRUE(closed.ok());
  ASSERT_OK((*closed)->write("resumable"));
  ASSERT_OK((*closed)->close());
  auto other = testing::OpenStore(dir_.path());  // a writable open sweeps
  ASSERT_OK(other->collect_garbage({}).status());
  EXPECT_EQ(other->get_ingest("live")->offset, 4);
  EXPECT_EQ(other->get_ingest("closed")->offset, 9);
  ASSERT_OK((*live)->commit(4, testing::DigestOf("held")));
}

TEST_F(IngestSweepTest, SomethingOddUnderIngestNeverStopsAnOpen) {
  std::ofstream(dir_.path() + "/ingest/not-a-directory") << "x";
  ASSERT_EQ(::mkdir((dir_.path() + "/ingest/" + Layout::IngestId("junk")).c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir_.path() + "/ingest/" + Layout::IngestId("junk") + "/sub").c_str(), 0755),
            0);
  store_.reset();
  store_ = testing::OpenStore(dir_.path());
  ASSERT_NE(store_, nullptr);
  ASSERT_OK(store_->collect_garbage({}).status());
  EXPECT_TRUE(testing::FileExists(dir_.path() + "/ingest/not-a-directory"));
}

// Spare directories (files/ingest_dirs.h): a live process's are not
// problems and nobody else takes them; a dead one's go at the next sweep.
TEST_F(IngestSweepTest, SparesOfALiveStoreStayAndADeadProcesssGo) {
  auto spares = [&] { return static_cast<int>(testing::SpareIngestDirs(dir_.path()).size()); };
  // The other process, forked while this one has no store open (ForkAlone),
  // commits two blobs, says so, and waits to be killed with its spare held.
  store_.reset();
  int ready[2], told[2];
  ASSERT_EQ(::pipe(ready), 0);
  ASSERT_EQ(::pipe(told), 0);
  const pid_t child = testing::ForkAlone();
  ASSERT_GE(child, 0);
  if (child == 0) {
    auto store = testing::OpenStore(dir_.path());
    if (store == nullptr) ::_exit(2);
    for (const char* ref : {"theirs-1", "theirs-2"}) {
      if (!testing::WriteBlob(*store, ref, std::string("bytes of ") + ref).ok()) ::_exit(3);
    }
    char byte = 1;
    if (::write(ready[1], &byte, 1) != 1 || ::read(told[0], &byte, 1) != 1) ::_exit(4);
    ::kill(::getpid(), SIGKILL);  // no destructor runs
  }
  // Only the child writes `ready` and reads `told`: a child that fails
  // closes its end, and the read below fails instead of waiting forever.
  ::close(ready[1]);
  ::close(told[0]);
  char byte = 0;
  ASSERT_EQ(::read(ready[0], &byte, 1), 1) << "the other process failed";
  const int theirs = spares();
  ASSERT_GE(theirs, 1);

  store_ = testing::OpenStore(dir_.path());  // its open sweeps: a live process's spares stay
  ASSERT_NE(store_, nullptr);
  ASSERT_OK(testing::WriteBlob(*store_, "mine", "committed here"));
  ASSERT_EQ(spares(), theirs + 1);
  auto report = store_->fsck({});
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(report->clean()) << "a live spare is not a problem";
  auto other = testing::OpenStore(dir_.path());
  ASSERT_NE(other, nullptr);
  ASSERT_OK(other->collect_garbage({}).status());
  EXPECT_EQ(spares(), theirs + 1);
  other.reset();

  ASSERT_EQ(::write(told[1], &byte, 1), 1);
  int status = 0;
  ASSERT_EQ(::waitpid(child, &status, 0), child);
  ASSERT_TRUE(WIFSIGNALED(status)) << "child exited " << WEXITSTATUS(status);
  EXPECT_EQ(spares(), theirs + 1) << "the dead process's spares are left behind";
  report = store_->fsck({});
  ASSERT_TRUE(report.ok());
  EXPECT_TRUE(report->clean()) << "an empty leftover spare is not damage";
  ASSERT_OK(store_->collect_garbage({}).status());  // sweeps, as a writable open does
  EXPECT_EQ(spares(), 1) << "only this store's own spare is left";
  EXPECT_EQ(store_->info(testing::DigestOf("bytes of theirs-2"))->size, 17);
  store_.reset();
  EXPECT_EQ(spares(), 0);
  for (int fd : {ready[0], told[1]}) ::close(fd);
}

}  // namespace
}  // namespace contentstore
