// Several nodes on one store: processes with their own ROOT each, sharing
// one catalog in PostgreSQL (Options::catalog_url) and one bucket for the
// blobs (Options::blobs), as `contentstore serve` processes on different
// machines would. Real servers, started by the CTest fixtures (labels s3 and
// postgres): Ceph RGW and PostgreSQL 15. Each node is a child process; the
// test process opens its own node only after its children are done (a
// forked child of a process with an open Store is not safe).

#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <set>

#include "../postgres/pg_test_env.h"
#include "../s3/server_env.h"
#include "contentstore/store.h"
#include "s3/client.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::ReadAll;
using testing::TempDir;
using testing::WriteBlob;

class MultiNodeServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CONTENTSTORE_REQUIRE_POSTGRES();
    if (s3::testing::SkipServerTests()) GTEST_SKIP() << "CONTENTSTORE_SKIP_SERVER_TESTS=1";
    auto server = s3::testing::S3Server::FromEnvironment();
    ASSERT_OK(server);
    s3_ = std::move(*server);
    s3_.ExportCredentials();
    schema_ = std::make_unique<testing::TestSchema>();
    prefix_ = testing::UniqueTestPrefix("multinode");
  }

  // The options of every node: the shared catalog and bucket.
  Options NodeOptions() const {
    Options o;
    o.catalog_url = schema_->url();
    o.blobs = fmt::format("s3://{}/{}?endpoint={}&region={}", s3_.bucket, prefix_, s3_.endpoint,
                          s3_.region);
    return o;
  }
  // Node `i`'s own directory.
  std::string NodeRoot(int i) const { return dir_ / fmt::format("node{}", i); }

  bool ObjectExists(const Digest& d) {
    auto client = s3::Client::Create(s3_.client_options());
    if (!client.ok()) return false;
    return (*client)
        ->head_object(s3_.bucket, prefix_ + "blobs/sha256/" + d.hex())
        .ok();
  }

  // Starts `body` in a child process as node `i`; returns its pid.
  pid_t StartNode(int i, const std::function<int(Store&)>& body) {
    const pid_t pid = ::fork();
    if (pid != 0) return pid;
    int code = 90;
    {
      auto store = Store::Open(NodeRoot(i), NodeOptions());
      if (!store.ok()) {
        std::fprintf(stderr, "node %d: %s\n", i, store.status().ToString().c_str());
        ::_exit(91);
      }
      code = body(**store);
    }
    ::_exit(code);
  }
  static int Wait(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  s3::testing::S3Server s3_;
  std::unique_ptr<testing::TestSchema> schema_;
  std::string prefix_;
  TempDir dir_;
};

TEST_F(MultiNodeServerTest, ACommitOnOneNodeIsVisibleOnAnotherAtOnce) {
  const std::string bytes = MakeContent(3 << 20, 1);
  const Digest d = DigestOf(bytes);
  ASSERT_EQ(Wait(StartNode(1, [&](Store& store) {
              return WriteBlob(store, "from-node-1", bytes, {{"node", "1"}}).ok() ? 0 : 1;
            })),
            0);
  // Node 2 never saw the upload: its ROOT has no file and no ingest.
  auto store = testing::OpenStore(NodeRoot(2), NodeOptions());
  ASSERT_NE(store, nullptr);
  auto info = store->info(d);
  ASSERT_OK(info);
  EXPECT_EQ(info->size, static_cast<int64_t>(bytes.size()));
  EXPECT_EQ(info->labels.at("node"), "1");
  auto read = ReadAll(*store, d);
  ASSERT_OK(read);
  EXPECT_TRUE(*read == bytes);
  EXPECT_TRUE(testing::ListDir(NodeRoot(2) + "/blobs").empty());
  // And what node 2 commits, node 1 sees.
  const std::string other = MakeContent(1000, 2);
  ASSERT_OK(WriteBlob(*store, "from-node-2", other));
  store.reset();
  ASSERT_EQ(Wait(StartNode(1, [&](Store& s) {
              auto r = ReadAll(s, DigestOf(other));
              return r.ok() && *r == other ? 0 : 1;
            })),
            0);
}

TEST_F(MultiNodeServerTest, TheSameDigestFromTwoNodesAtOnceEndsAsOneBlob) {
  for (int round = 0; round < 5; ++round) {
    SCOPED_TRACE(round);
    const std::string bytes = MakeContent(size_t{1} << (12 + 3 * round % 12), 10 + round);
    const Digest d = DigestOf(bytes);
    int go[2];
    ASSERT_EQ(::pipe(go), 0);
    std::vector<pid_t> nodes;
    for (int i = 1; i <= 3; ++i) {
      nodes.push_back(StartNode(i, [&, i](Store& store) {
        ::close(go[1]);
        char c;
        if (::read(go[0], &c, 1) != 0) return 2;  // released by the close
        Status s = WriteBlob(store, fmt::format("r{}-n{}", round, i), bytes);
        return s.ok() || s.IsAlreadyExists() ? 0 : 1;
      }));
    }
    ::close(go[0]);
    ::close(go[1]);  // all start at once
    for (pid_t pid : nodes) EXPECT_EQ(Wait(pid), 0);
    auto store = testing::OpenStore(NodeRoot(4), NodeOptions());
    ASSERT_NE(store, nullptr);
    std::vector<Digest> listed;
    ASSERT_OK(store->walk(
        [&](const Info& info) {
          if (info.digest == d) listed.push_back(info.digest);
          return Status::OK();
        },
        {}));
    EXPECT_EQ(listed.size(), 1u);
    auto read = ReadAll(*store, d);
    ASSERT_OK(read);
    EXPECT_TRUE(*read == bytes);
    auto ingests = store->list_ingests({});
    ASSERT_OK(ingests);
    EXPECT_TRUE(ingests->empty());
  }
}

// Node 1 commits rooted blobs and unrooted ones it then removes; node 2
// collects garbage over and over meanwhile. Every rooted blob stays, whole;
// every removed one goes, object included.
TEST_F(MultiNodeServerTest, CollectingOnOneNodeWhileAnotherCommitsLosesNothingInUse) {
  constexpr int kBlobs = 40;
  int done[2];
  ASSERT_EQ(::pipe(done), 0);
  const pid_t collector = StartNode(2, [&](Store& store) {
    ::close(done[1]);
    GcOptions gc;
    gc.grace = std::chrono::nanoseconds(0);
    int runs = 0;
    for (;;) {
      auto report = store.collect_garbage(gc);
      if (!report.ok()) {
        std::fprintf(stderr, "gc: %s\n", report.status().ToString().c_str());
        return 1;
      }
      ++runs;
      struct timeval tv {0, 0};
      fd_set fds;
      FD_ZERO(&fds);
      FD_SET(done[0], &fds);
      if (::select(done[0] + 1, &fds, nullptr, nullptr, &tv) > 0) break;
    }
    return runs > 1 ? 0 : 3;
  });
  const pid_t writer = StartNode(1, [&](Store& store) {
    ::close(done[0]);
    for (int i = 0; i < kBlobs; ++i) {
      const std::string kept = MakeContent(2000 + i, 100 + i);
      const std::string dropped = MakeContent(3000 + i, 500 + i);
      if (!WriteBlob(store, fmt::format("kept-{}", i), kept,
                     {{"containerd.io/gc.root", "test"}})
               .ok()) {
        return 1;
      }
      Status s = WriteBlob(store, fmt::format("dropped-{}", i), dropped);
      if (!s.ok() && !s.IsAlreadyExists()) return 2;
      s = store.remove(DigestOf(dropped));
      if (!s.ok() && !s.IsNotFound()) return 3;  // the collector may have taken it
    }
    ::close(done[1]);
    return 0;
  });
  ::close(done[0]);
  ::close(done[1]);
  EXPECT_EQ(Wait(writer), 0);
  EXPECT_EQ(Wait(collector), 0);
  auto store = testing::OpenStore(NodeRoot(3), NodeOptions());
  ASSERT_NE(store, nullptr);
  GcOptions gc;
  gc.grace = std::chrono::nanoseconds(0);
  ASSERT_OK(store->collect_garbage(gc));
  for (int i = 0; i < kBlobs; ++i) {
    const std::string kept = MakeContent(2000 + i, 100 + i);
    auto read = ReadAll(*store, DigestOf(kept));
    ASSERT_OK(read) << i;
    EXPECT_TRUE(*read == kept) << i;
    const Digest dropped = DigestOf(MakeContent(3000 + i, 500 + i));
    EXPECT_CODE(store->info(dropped).status(), kNotFound) << i;
    EXPECT_FALSE(ObjectExists(dropped)) << i;
  }
  auto report = store->fsck({});
  ASSERT_OK(report);
  for (const FsckProblem& p : report->problems) {
    ADD_FAILURE() << FsckKindName(p.kind) << " " << p.subject << ": " << p.detail;
  }
}


// A ref being written on one node is locked on the others (each has its own
// ingest directory, so only the shared catalog can say so) until that
// writer closes or dies; then another node takes the ref over and commits.
TEST_F(MultiNodeServerTest, ARefBeingWrittenOnOneNodeIsLockedOnTheOthersUntilItsWriterDies) {
  const std::string bytes = MakeContent(1 << 20, 77);
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t holder = StartNode(1, [&](Store& store) {
    ::close(ready[0]);
    WriterOptions wo;
    wo.ref = "shared-ref";
    auto w = store.writer(wo);
    if (!w.ok()) return 1;
    if (!(*w)->write(std::as_bytes(std::span(bytes.data(), 1000))).ok()) return 2;
    if (::write(ready[1], "x", 1) != 1) return 3;
    ::pause();  // holds the writer until killed
    return 4;
  });
  ::close(ready[1]);
  char c;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  ::close(ready[0]);
  // Another node: refused while the holder lives.
  EXPECT_EQ(Wait(StartNode(2, [&](Store& store) {
              WriterOptions wo;
              wo.ref = "shared-ref";
              auto w = store.writer(wo);
              if (w.ok()) return 1;
              if (!w.status().IsUnavailable()) return 2;
              return w.status().message().find("another node") != std::string::npos ? 0 : 3;
            })),
            0);
  // A different ref on that node is not held up.
  EXPECT_EQ(Wait(StartNode(2, [&](Store& store) {
              return WriteBlob(store, "other-ref", "unrelated").ok() ? 0 : 1;
            })),
            0);
  ASSERT_EQ(::kill(holder, SIGKILL), 0);
  EXPECT_EQ(Wait(holder), 128 + SIGKILL);
  // The dead writer's session ends with it, and its lock; node 2 takes the
  // ref over (its bytes were on node 1, so it starts from the beginning).
  EXPECT_EQ(Wait(StartNode(2, [&](Store& store) {
              for (int attempt = 0; attempt < 100; ++attempt) {
                WriterOptions wo;
                wo.ref = "shared-ref";
                auto w = store.writer(wo);
                if (!w.ok()) {
                  if (!w.status().IsUnavailable()) return 1;
                  ::usleep(50'000);
                  continue;
                }
                if ((*w)->status().offset != 0) return 2;
                if (!(*w)->write(std::as_bytes(std::span(bytes))).ok()) return 3;
                return (*w)->commit({}).ok() ? 0 : 4;
              }
              return 5;
            })),
            0);
  auto store = testing::OpenStore(NodeRoot(3), NodeOptions());
  ASSERT_NE(store, nullptr);
  auto read = ReadAll(*store, DigestOf(bytes));
  ASSERT_OK(read);
  EXPECT_TRUE(*read == bytes);
  auto ingests = store->list_ingests({});
  ASSERT_OK(ingests);
  EXPECT_TRUE(ingests->empty());
}

}  // namespace
}  // namespace contentstore
