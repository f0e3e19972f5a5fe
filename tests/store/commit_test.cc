// The commit protocol under crashes: a child process is killed (SIGKILL) at
// each named step of commit(); the parent reopens the store, which recovers,
// and checks that the blob is either committed (file and row) or still a
// resumable ingest holding every byte, and that nothing is half there.

#include <signal.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <fstream>
#include <functional>

#include "files/commit_marker.h"
#include "files/layout.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

struct CrashCase {
  const char* point;
  bool committed;  // after recovery: true = blob committed, false = ingest resumable
};

// A crash point's name as a test name ("commit.after_rename" -> "commit_after_rename").
std::string TestName(std::string point) {
  for (char& c : point) {
    if (c == '.') c = '_';
  }
  return point;
}

class CommitCrash : public ::testing::TestWithParam<CrashCase> {};

// A child process writes `content` under ref "r" and is killed at `point` of
// its commit; returns its exit status (128 + SIGKILL when it got there).
// `meanwhile` runs in this process after the child has written and before it
// commits: this process may open a store only while the child runs, as it
// cannot fork with a store open (testing::ForkAlone).
int KilledCommitting(const std::string& root, const std::string& content, const char* point,
                     const std::function<void()>& meanwhile = {}) {
  int written[2], go[2];
  if (::pipe(written) != 0 || ::pipe(go) != 0) return -1;
  const pid_t pid = testing::StartInChild([&] {
    auto child = Store::Open(root, testing::StoreOptions(root));
    if (!child.ok()) return 2;
    WriterOptions options;
    options.ref = "r";
    auto w = (*child)->writer(options);
    if (!w.ok() || !(*w)->write(content).ok()) return 3;
    char byte = 1;
    if (::write(written[1], &byte, 1) != 1 || ::read(go[0], &byte, 1) != 1) return 4;
    testing::CrashAt(point);
    (void)(*w)->commit(0, std::nullopt);
    return 0;
  });
  ::close(written[1]);
  ::close(go[0]);
  char byte = 0;
  if (pid > 0 && ::read(written[0], &byte, 1) == 1) {
    if (meanwhile) meanwhile();
    (void)!::write(go[1], &byte, 1);
  }
  ::close(written[0]);
  ::close(go[1]);
  return testing::WaitForChild(pid);
}

TEST_P(CommitCrash, StoreIsConsistentAfterRecovery) {
  TempDir dir;
  const std::string content = MakeContent(3 << 20, 11);
  const Digest digest = DigestOf(content);
  const int rc = testing::RunInChild([&] {
    auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
    if (!store.ok()) return 2;
    WriterOptions options;
    options.ref = "crash-ref";
    auto w = (*store)->writer(options);
    if (!w.ok()) return 3;
    if (!(*w)->write(content).ok()) return 4;
    testing::CrashAt(GetParam().point);
    Status s = (*w)->commit(static_cast<int64_t>(content.size()), digest, {{"k", "v"}});
    return s.ok() ? 0 : 5;
  });
  ASSERT_EQ(rc, 128 + SIGKILL) << "the child did not reach " << GetParam().point;

  {
    auto store = testing::OpenStore(dir.path());  // recovers
    ASSERT_NE(store, nullptr);
  }
  testing::ExpectConsistent(dir.path());
  auto store = testing::OpenStore(dir.path());
  auto info = store->info(digest);
  if (GetParam().committed) {
    ASSERT_TRUE(info.ok()) << info.status().ToString();
    EXPECT_EQ(info->labels, (Labels{{"k", "v"}}));
    EXPECT_CODE(store->get_ingest("crash-ref").status(), kNotFound);
    auto bytes = testing::ReadAll(*store, digest);
    ASSERT_TRUE(bytes.ok());
    EXPECT_TRUE(*bytes == content);
  } else {
    EXPECT_CODE(info.status(), kNotFound);
    auto st = store->get_ingest("crash-ref");
    ASSERT_TRUE(st.ok()) << st.status().ToString();
    EXPECT_EQ(st->offset, static_cast<int64_t>(content.size()));
    // Resume and commit: the digest must be right.
    WriterOptions options;
    options.ref = "crash-ref";
    auto w = store->writer(options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_EQ((*w)->status().offset, static_cast<int64_t>(content.size()));
    EXPECT_EQ((*w)->digest(), digest);
    ASSERT_OK((*w)->commit(static_cast<int64_t>(content.size()), digest));
    testing::ExpectConsistent(dir.path());
  }
}

INSTANTIATE_TEST_SUITE_P(
    EveryStep, CommitCrash,
    ::testing::Values(CrashCase{"commit.before_marker", false},
                      CrashCase{"commit.after_marker", false},
                      CrashCase{"commit.after_rename", false},
                      CrashCase{"commit.after_dir_sync", false},
                      CrashCase{"commit.after_catalog", true},
                      // The commit's end: its directory becoming a spare.
                      CrashCase{"ingest_dirs.retire_before_rename", true},
                      CrashCase{"ingest_dirs.retire_after_rename", true}),
    [](const ::testing::TestParamInfo<CrashCase>& param) { return TestName(param.param.point); });

// A writer killed while it takes a spare directory for its new ingest (the
// spare came from the commit before): the next open finds either a spare or
// a directory without a row, removes it, and the ref starts afresh.
class TakeSpareCrash : public ::testing::TestWithParam<const char*> {};

TEST_P(TakeSpareCrash, TheNextOpenCleansUpAndTheRefStartsAfresh) {
  TempDir dir;
  const int rc = testing::RunInChild([&] {
    auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
    if (!store.ok()) return 2;
    if (!testing::WriteBlob(**store, "first", "makes a spare").ok()) return 3;
    testing::CrashAt(GetParam());
    WriterOptions options;
    options.ref = "second";
    (void)(*store)->writer(options);
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL) << "the child did not reach " << GetParam();
  {
    auto store = testing::OpenStore(dir.path());  // sweeps
    ASSERT_NE(store, nullptr);
  }
  testing::ExpectConsistent(dir.path());
  EXPECT_TRUE(testing::ListDir(dir.path() + "/ingest").empty());
  auto store = testing::OpenStore(dir.path());
  EXPECT_EQ(store->info(DigestOf("makes a spare"))->size, 13);
  ASSERT_OK(testing::WriteBlob(*store, "second", "after the crash"));
  testing::ExpectConsistent(dir.path());
}

INSTANTIATE_TEST_SUITE_P(EveryStep, TakeSpareCrash,
                         ::testing::Values("ingest_dirs.take_before_rename",
                                           "ingest_dirs.take_after_rename"),
                         [](const ::testing::TestParamInfo<const char*>& param) {
                           return TestName(param.param);
                         });

TEST(CommitCrashOpen, WriterKilledRightAfterClaimingLeavesTheRefFree) {
  TempDir dir;
  const int rc = testing::RunInChild([&] {
    auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
    if (!store.ok()) return 2;
    testing::CrashAt("open.after_claim");
    WriterOptions options;
    options.ref = "r";
    (void)(*store)->writer(options);
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  auto store = testing::OpenStore(dir.path());
  WriterOptions options;
  options.ref = "r";
  auto w = store->writer(options);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  ASSERT_OK((*w)->write("abc"));
  ASSERT_OK((*w)->commit(3, DigestOf("abc")));
}

// A commit that died after its rename, recovered by a writer of the same ref
// rather than by Store::Open: the writer finds the marker and puts the file
// back before resuming.
TEST(CommitCrashOpen, ResumingWriterRollsBackAHalfDoneCommit) {
  TempDir dir;
  std::unique_ptr<Store> store;  // open before the crash: no open-time recovery
  const std::string content = MakeContent(10000, 5);
  ASSERT_EQ(KilledCommitting(dir.path(), content, "commit.after_rename",
                             [&] { store = testing::OpenStore(dir.path()); }),
            128 + SIGKILL);
  ASSERT_NE(store, nullptr);
  EXPECT_TRUE(testing::FileExists(dir.path() + "/blobs/sha256/" + DigestOf(content).hex()));
  WriterOptions options;
  options.ref = "r";
  auto w = store->writer(options);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->status().offset, 10000);
  EXPECT_FALSE(testing::FileExists(dir.path() + "/blobs/sha256/" + DigestOf(content).hex()));
  ASSERT_OK((*w)->commit(10000, DigestOf(content)));
  testing::ExpectConsistent(dir.path());
}

// The same half-done commit met by abort(): the blob file goes with the
// ingest instead of staying behind without a row.
TEST(CommitCrashOpen, AbortCleansUpAHalfDoneCommit) {
  TempDir dir;
  std::unique_ptr<Store> store;
  const std::string content = MakeContent(10000, 6);
  ASSERT_EQ(KilledCommitting(dir.path(), content, "commit.after_dir_sync",
                             [&] { store = testing::OpenStore(dir.path()); }),
            128 + SIGKILL);
  ASSERT_NE(store, nullptr);
  ASSERT_OK(store->abort("r"));
  store.reset();
  testing::ExpectConsistent(dir.path());
  EXPECT_TRUE(testing::ListDir(dir.path() + "/blobs/sha256").empty());
  EXPECT_TRUE(testing::ListDir(dir.path() + "/ingest").empty());
}

// A directory serves several ingests in turn (as a spare, files/ingest_dirs.h).
// If a crash kept the marker of the commit it served before, the next
// ingest's recovery must not take that marker for its own: the blob it names
// is committed, and this ingest's row and lease must stay as they are.
TEST(CommitCrashOpen, AnEarlierIngestsMarkerIsNotTakenForThisOnes) {
  TempDir dir;
  auto store = testing::OpenStore(dir.path());
  ASSERT_OK(testing::WriteBlob(*store, "earlier", "committed before"));
  const Digest earlier = DigestOf("committed before");
  LeaseOptions lease;
  lease.id = "hold";
  ASSERT_OK(store->create_lease(lease).status());
  WriterOptions options;
  options.ref = "next";
  options.lease = "hold";
  {
    auto w = store->writer(options);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    ASSERT_OK((*w)->close());
  }
  // What a lost clearing would leave: no data yet, the earlier commit's marker.
  const std::string next_dir = dir.path() + "/ingest/" + Layout::IngestId("next");
  ::unlink((next_dir + "/data").c_str());
  const std::string stale =
      CommitMarkerValue(Layout::BlobRelativePath(earlier), Layout::IngestId("earlier"));
  ASSERT_EQ(::setxattr(next_dir.c_str(), "user.contentstore.commit", stale.data(), stale.size(), 0),
            0);

  auto w = store->writer(options);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->status().offset, 0);
  auto held = store->lease_resources("hold");
  ASSERT_TRUE(held.ok());
  const std::vector<LeaseResource> want = {{LeaseResource::Type::kIngest, "next"}};
  EXPECT_EQ(*held, want) << "the lease still holds this ingest, not the earlier blob";
  ASSERT_OK((*w)->write("next bytes"));
  ASSERT_OK((*w)->commit(10, DigestOf("next bytes")));
  EXPECT_EQ(store->info(earlier)->size, 16);
  testing::ExpectConsistent(dir.path());
}

TEST(Commit, IdenticalContentFromTwoWritersGivesOneBlob) {
  TempDir dir;
  auto store = testing::OpenStore(dir.path());
  const std::string content = MakeContent(5000);
  WriterOptions a, b;
  a.ref = "a";
  b.ref = "b";
  auto wa = store->writer(a);
  auto wb = store->writer(b);
  ASSERT_TRUE(wa.ok() && wb.ok());
  ASSERT_OK((*wa)->write(content));
  ASSERT_OK((*wb)->write(content));
  ASSERT_OK((*wa)->commit(0, std::nullopt, {{"from", "a"}}));
  EXPECT_CODE((*wb)->commit(0, std::nullopt, {{"from", "b"}}), kAlreadyExists);
  EXPECT_CODE(store->get_ingest("b").status(), kNotFound);  // AlreadyExists removes the ingest
  EXPECT_EQ(store->info(DigestOf(content))->labels, (Labels{{"from", "a"}}));
  store.reset();
  testing::ExpectConsistent(dir.path());
}

// A blob file of the right name but the wrong size (damage, or a crash in
// another tool) is replaced by the verified bytes of the commit.
TEST(Commit, DamagedFileWithoutRowIsReplaced) {
  TempDir dir;
  auto store = testing::OpenStore(dir.path());
  const std::string content = MakeContent(5000);
  ASSERT_EQ(::mkdir((dir.path() + "/blobs/sha256").c_str(), 0755), 0);
  {
    std::ofstream out(dir.path() + "/blobs/sha256/" + DigestOf(content).hex());
    out << "torn";
  }
  ASSERT_OK(testing::WriteBlob(*store, "r", content));
  auto bytes = testing::ReadAll(*store, DigestOf(content));
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_TRUE(*bytes == content);
}

}  // namespace
}  // namespace contentstore
