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
    if (checkpoint_bytes_ > 0) o.checkpoint_bytes = checkpoint_bytes_;
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
    const pid_t pid = testing::ForkAlone();
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
  // Starts `body` as node `i` and returns its pid once the body has called
  // ready() (say, while it holds a writer it will be killed with); -1 when
  // it ended without.
  pid_t StartNodeUntilReady(int i,
                            const std::function<int(Store&, const std::function<void()>&)>& body) {
    int ready[2];
    if (::pipe(ready) != 0) return -1;
    const pid_t pid = StartNode(i, [&](Store& store) {
      ::close(ready[0]);
      return body(store, [&] { (void)!::write(ready[1], "x", 1); });
    });
    ::close(ready[1]);
    char c;
    const bool readied = ::read(ready[0], &c, 1) == 1;
    ::close(ready[0]);
    return readied ? pid : -1;
  }
  static int Wait(pid_t pid) {
    int status = 0;
    if (::waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  }

  // Uploads in progress under the nodes' ingests/ prefix.
  size_t UploadsInProgress() {
    auto client = s3::Client::Create(s3_.client_options());
    if (!client.ok()) return 999;
    s3::ListUploadsRequest request;
    request.prefix = prefix_ + "ingests/";
    auto page = (*client)->list_multipart_uploads(s3_.bucket, request);
    return page.ok() ? page->uploads.size() : 999;
  }

  s3::testing::S3Server s3_;
  std::unique_ptr<testing::TestSchema> schema_;
  std::string prefix_;
  int64_t checkpoint_bytes_ = 0;  // Options::checkpoint_bytes of every node, when set
  TempDir dir_;
};

// Opens `ref` on `store`, waiting out a dead writer's lock on another node
// (its session ends a moment after the process).
Result<std::unique_ptr<Writer>> OpenWhenFree(Store& store, const std::string& ref) {
  for (int attempt = 0;; ++attempt) {
    WriterOptions wo;
    wo.ref = ref;
    auto w = store.writer(wo);
    if (w.ok() || !w.status().IsUnavailable() || attempt == 100) return w;
    ::usleep(50'000);
  }
}

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
  const pid_t holder = StartNodeUntilReady(1, [&](Store& store, const auto& ready) {
    WriterOptions wo;
    wo.ref = "shared-ref";
    auto w = store.writer(wo);
    if (!w.ok()) return 1;
    if (!(*w)->write(std::as_bytes(std::span(bytes.data(), 1000))).ok()) return 2;
    ready();
    ::pause();  // holds the writer until killed
    return 4;
  });
  ASSERT_GT(holder, 0);
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
              auto w = OpenWhenFree(store, "shared-ref");
              if (!w.ok()) return w.status().IsUnavailable() ? 5 : 1;
              if ((*w)->status().offset != 0) return 2;
              if (!(*w)->write(std::as_bytes(std::span(bytes))).ok()) return 3;
              return (*w)->commit({}).ok() ? 0 : 4;
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

// A writer killed with -9 on node 1 resumes on node 2 from the parts node 1
// sent to the bucket, without them being sent again: node 2 is offered the
// offset the parts hold and writes only the rest. Node 2 also has a local
// file of the same ref from before node 1 took it over, longer than what
// node 1 wrote: the row says node 1 staged the bytes past the parts, so that
// file is not taken for them (else the commit's digest would not match).
TEST_F(MultiNodeServerTest, AWriterKilledOnOneNodeResumesOnAnotherFromItsParts) {
  checkpoint_bytes_ = 6 << 20;
  const std::string bytes = MakeContent((20 << 20) + 3, 78);
  const Digest digest = DigestOf(bytes);
  // Node 2 starts the ref with other bytes, and lets go.
  ASSERT_EQ(Wait(StartNode(2, [&](Store& store) {
              auto w = OpenWhenFree(store, "layer");
              if (!w.ok()) return 1;
              const std::string other = MakeContent(24 << 20, 79);
              if (!(*w)->write(other).ok()) return 2;
              return (*w)->close().ok() ? 0 : 3;
            })),
            0);
  const pid_t writer = StartNodeUntilReady(1, [&](Store& store, const auto& ready) {
    auto w = OpenWhenFree(store, "layer");
    if (!w.ok()) return 1;
    // Node 2's parts are this node's to resume too; these bytes are others.
    if ((*w)->status().offset > 0 && !(*w)->truncate(0).ok()) return 2;
    for (size_t off = 0; off < bytes.size(); off += 1 << 20) {
      if (!(*w)->write(std::string_view(bytes).substr(off, 1 << 20)).ok()) return 3;
    }
    // Past 8 MiB the data file's thread writes and checkpoints behind
    // write(), at its own buffers' bounds: wait for a checkpoint past 12 MiB
    // (two parts at least) to be in the catalog, so the kill comes after it.
    // (list_ingests says what the catalog says; get_ingest, the local file.)
    for (int i = 0; i < 200; ++i) {
      auto recorded = store.list_ingests({"ref==layer"});
      if (recorded.ok() && recorded->size() == 1 && (*recorded)[0].offset >= (12 << 20)) break;
      ::usleep(50'000);
    }
    ready();
    ::pause();  // killed while holding the writer
    return 5;
  });
  ASSERT_GT(writer, 0);
  ASSERT_EQ(::kill(writer, SIGKILL), 0);
  EXPECT_EQ(Wait(writer), 128 + SIGKILL);
  int pipe_offset[2];
  ASSERT_EQ(::pipe(pipe_offset), 0);
  EXPECT_EQ(Wait(StartNode(2, [&](Store& store) {
              ::close(pipe_offset[0]);
              auto w = OpenWhenFree(store, "layer");
              if (!w.ok()) return 1;
              const int64_t offset = (*w)->status().offset;
              if (::write(pipe_offset[1], &offset, sizeof offset) != sizeof offset) return 2;
              if (offset <= 0 || offset > static_cast<int64_t>(bytes.size())) return 3;
              if (!(*w)->write(std::string_view(bytes).substr(static_cast<size_t>(offset))).ok()) {
                return 4;
              }
              Status s = (*w)->commit(static_cast<int64_t>(bytes.size()), digest);
              if (!s.ok()) std::fprintf(stderr, "node 2 commit: %s\n", s.ToString().c_str());
              return s.ok() ? 0 : 5;
            })),
            0);
  ::close(pipe_offset[1]);
  int64_t resumed_at = -1;
  ASSERT_EQ(::read(pipe_offset[0], &resumed_at, sizeof resumed_at),
            static_cast<ssize_t>(sizeof resumed_at));
  ::close(pipe_offset[0]);
  // The parts of those checkpoints were not sent again.
  EXPECT_GE(resumed_at, int64_t{12} << 20);
  auto store = testing::OpenStore(NodeRoot(3), NodeOptions());
  ASSERT_NE(store, nullptr);
  auto read = ReadAll(*store, digest);
  ASSERT_OK(read);
  EXPECT_TRUE(*read == bytes);
  auto ingests = store->list_ingests({});
  ASSERT_OK(ingests);
  EXPECT_TRUE(ingests->empty());
  EXPECT_EQ(UploadsInProgress(), 0u);
}

// The catalog records where the blobs are when the first node opens it with
// a bucket; a node that names another prefix, or none, is refused before it
// could take every blob for missing.
TEST_F(MultiNodeServerTest, EveryNodeMustNameTheCatalogsBucket) {
  ASSERT_EQ(Wait(StartNode(1, [&](Store& store) {
              return WriteBlob(store, "a", "recorded").ok() ? 0 : 1;
            })),
            0);
  const pid_t other = testing::ForkAlone();
  ASSERT_GE(other, 0);
  if (other == 0) {
    Options o = NodeOptions();
    o.blobs = fmt::format("s3://{}/{}other/?endpoint={}&region={}", s3_.bucket, prefix_,
                          s3_.endpoint, s3_.region);
    auto store = Store::Open(NodeRoot(2), o);
    if (store.ok()) ::_exit(1);
    if (!store.status().IsInvalidArgument()) ::_exit(2);
    ::_exit(store.status().message().find("every node") != std::string::npos ? 0 : 3);
  }
  EXPECT_EQ(Wait(other), 0);
  const pid_t none = testing::ForkAlone();
  ASSERT_GE(none, 0);
  if (none == 0) {
    Options o = NodeOptions();
    o.blobs.clear();
    auto store = Store::Open(NodeRoot(3), o);
    if (store.ok()) ::_exit(1);
    ::_exit(store.status().IsFailedPrecondition() ? 0 : 2);
  }
  EXPECT_EQ(Wait(none), 0);
  // A node naming the same bucket and prefix joins.
  auto store = testing::OpenStore(NodeRoot(4), NodeOptions());
  ASSERT_NE(store, nullptr);
  auto read = ReadAll(*store, DigestOf("recorded"));
  ASSERT_OK(read);
  EXPECT_EQ(*read, "recorded");
}

}  // namespace
}  // namespace contentstore
