// Several real processes on one store root: ref locks across processes, locks
// of killed writers, resume by another process after kill -9 at random
// points, and many concurrent commits with nothing lost.

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <functional>
#include <random>
#include <set>

#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

// A pipe for "I got this far" messages between parent and child.
class Pipe {
 public:
  Pipe() {
    if (::pipe(fds_) != 0) std::abort();
  }
  ~Pipe() {
    ::close(fds_[0]);
    ::close(fds_[1]);
  }
  void Send(int64_t v) {
    if (::write(fds_[1], &v, sizeof(v)) != sizeof(v)) std::abort();
  }
  int64_t Receive() {
    int64_t v = -1;
    if (::read(fds_[0], &v, sizeof(v)) != sizeof(v)) return -1;
    return v;
  }

 private:
  int fds_[2];
};

pid_t Spawn(const std::function<int()>& body) {
  const pid_t pid = testing::ForkAlone();
  if (pid == 0) ::_exit(body());
  return pid;
}

int Wait(pid_t pid) {
  int status = 0;
  if (pid < 0 || ::waitpid(pid, &status, 0) != pid) return -1;
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return 128 + WTERMSIG(status);
}

// A process that writes "from the holder" under ref "shared", runs `then`,
// says so on `ready`, holds the ref until told on `done`, and dies of SIGKILL.
pid_t SpawnHolder(const std::string& root, Pipe& ready, Pipe& done,
                  const std::function<void()>& then = {}) {
  return Spawn([&] {
    auto store = Store::Open(root, testing::StoreOptions(root));
    if (!store.ok()) return 2;
    WriterOptions options;
    options.ref = "shared";
    auto w = (*store)->writer(options);
    if (!w.ok() || !(*w)->write("from the holder").ok()) return 3;
    if (then) then();
    ready.Send(1);
    done.Receive();
    ::kill(::getpid(), SIGKILL);
    return 0;
  });
}

TEST(MultiProcess, SecondProcessGetsUnavailableAndTakesOverWhenTheHolderDies) {
  TempDir dir;
  Pipe ready, done;
  const pid_t holder = SpawnHolder(dir.path(), ready, done);
  ASSERT_EQ(ready.Receive(), 1);
  auto store = testing::OpenStore(dir.path());
  WriterOptions options;
  options.ref = "shared";
  auto w = store->writer(options);
  ASSERT_EQ(w.status().code(), Code::kUnavailable);
  EXPECT_NE(w.status().message().find("pid " + std::to_string(holder)), std::string::npos)
      << w.status().message();
  EXPECT_CODE(store->abort("shared"), kUnavailable);

  done.Send(1);
  ASSERT_EQ(Wait(holder), 128 + SIGKILL);
  w = store->writer(options);  // the kernel dropped the dead holder's lock
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->status().offset, 15);
  ASSERT_OK((*w)->write(" and the heir"));
  ASSERT_OK((*w)->commit(0, DigestOf("from the holder and the heir")));
}

// With a catalog server (PostgreSQL), a killed writer's ref lock there lasts
// until the server sees its connection close, which may be a moment after the
// kernel dropped its flock. Here the moment is made long: a grandchild keeps
// the holder's sockets (and nothing else) open for a while after the holder
// dies. The heir waits for it rather than report the ref locked.
TEST(MultiProcess, TheHeirWaitsForADeadHoldersCatalogSessionToEnd) {
  TempDir dir;
  Pipe ready, done;
  const pid_t holder = SpawnHolder(dir.path(), ready, done, [] {
    // Not ForkAlone: the grandchild calls only async-signal-safe functions.
    if (::fork() == 0) {
      for (int fd = 3; fd < 1024; ++fd) {
        struct stat st {};
        if (::fstat(fd, &st) == 0 && !S_ISSOCK(st.st_mode)) ::close(fd);
      }
      const timespec linger{0, 400 * 1000 * 1000};
      ::nanosleep(&linger, nullptr);
      ::_exit(0);
    }
  });
  ASSERT_EQ(ready.Receive(), 1);
  done.Send(1);
  ASSERT_EQ(Wait(holder), 128 + SIGKILL);
  auto store = testing::OpenStore(dir.path());
  WriterOptions options;
  options.ref = "shared";
  auto w = store->writer(options);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  EXPECT_EQ((*w)->status().offset, 15);
  ASSERT_OK((*w)->commit(15, DigestOf("from the holder")));
}

// kill -9 of a writer at random points, then resume in another process: the
// final digest is always that of the whole content.
TEST(MultiProcess, KilledWriterResumesElsewhereWithTheRightDigest) {
  TempDir dir;
  const std::string content = MakeContent(24 << 20, 42);
  const Digest digest = DigestOf(content);
  std::mt19937_64 rng(20261128);
  for (int round = 0; round < 12; ++round) {
    const std::string ref = "round-" + std::to_string(round);
    // Each round: one to three writers are killed at random offsets, then
    // the survivor finishes.
    const int kills = 1 + static_cast<int>(rng() % 3);
    for (int k = 0; k < kills; ++k) {
      const size_t stop = rng() % content.size();
      const size_t chunk = 1 + rng() % (512 << 10);
      const int64_t checkpoint = (int64_t{1} << 20) * static_cast<int64_t>(1 + rng() % 4);
      Pipe progress;
      const pid_t child = Spawn([&] {
        Options options;
        options.checkpoint_bytes = checkpoint;
        auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path(), options));
        if (!store.ok()) return 2;
        WriterOptions wo;
        wo.ref = ref;
        wo.total = static_cast<int64_t>(content.size());
        auto w = (*store)->writer(wo);
        if (!w.ok()) return 3;
        size_t offset = static_cast<size_t>((*w)->status().offset);
        if ((*w)->digest() != DigestOf(std::string_view(content).substr(0, offset))) return 4;
        while (offset < stop) {
          const size_t n = std::min(chunk, content.size() - offset);
          if (!(*w)->write(std::string_view(content).substr(offset, n)).ok()) return 5;
          offset += n;
        }
        progress.Send(static_cast<int64_t>(offset));
        ::pause();  // killed here, mid-ingest, without closing
        return 0;
      });
      const int64_t reached = progress.Receive();
      ::kill(child, SIGKILL);
      ASSERT_EQ(Wait(child), 128 + SIGKILL) << "round " << round << " writer " << k;
      ASSERT_GE(reached, 0) << "child failed before reaching its stop";
    }
    auto store = testing::OpenStore(dir.path());
    WriterOptions wo;
    wo.ref = ref;
    wo.total = static_cast<int64_t>(content.size());
    auto w = store->writer(wo);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    const auto offset = static_cast<size_t>((*w)->status().offset);
    ASSERT_LE(offset, content.size());
    ASSERT_EQ((*w)->digest(), DigestOf(std::string_view(content).substr(0, offset)));
    ASSERT_OK((*w)->write(std::string_view(content).substr(offset)));
    Status s = (*w)->commit(static_cast<int64_t>(content.size()), digest);
    ASSERT_TRUE(s.ok() || (round > 0 && s.IsAlreadyExists())) << s.ToString();
    if (round == 0) {
      ASSERT_OK(store->remove(digest));  // so every round commits for real
    } else if (s.ok()) {
      ASSERT_OK(store->remove(digest));
    }
  }
  testing::ExpectConsistent(dir.path());
}

// Two processes commit 200 blobs each, at the same time: identical content in
// one phase (every blob raced by both), distinct content in the other.
void CommitStorm(bool identical) {
  TempDir dir;
  { testing::OpenStore(dir.path()); }
  constexpr int kPerProcess = 200;
  auto content_of = [&](int process, int i) {
    return MakeContent(512 + static_cast<size_t>(i), identical ? uint64_t(i) + 1
                                                               : uint64_t(process) * 1000 + i + 1);
  };
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    children.push_back(Spawn([&, p] {
      auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
      if (!store.ok()) return 2;
      for (int i = 0; i < kPerProcess; ++i) {
        const std::string c = content_of(p, i);
        WriterOptions options;
        options.ref = "p" + std::to_string(p) + "-" + std::to_string(i);
        auto w = (*store)->writer(options);
        if (w.status().IsAlreadyExists()) continue;
        if (!w.ok()) return 3;
        if (!(*w)->write(c).ok()) return 4;
        Status s = (*w)->commit(static_cast<int64_t>(c.size()), DigestOf(c),
                                {{"writer", std::to_string(p)}});
        if (!s.ok() && !s.IsAlreadyExists()) return 5;
      }
      return 0;
    }));
  }
  for (pid_t child : children) ASSERT_EQ(Wait(child), 0);

  auto store = testing::OpenStore(dir.path());
  std::set<Digest> expected;
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < kPerProcess; ++i) expected.insert(DigestOf(content_of(p, i)));
  }
  std::set<Digest> walked;
  ASSERT_OK(store->walk([&](const Info& info) {
    walked.insert(info.digest);
    EXPECT_EQ(info.labels.size(), 1u);  // exactly one writer's labels won
    return Status::OK();
  }));
  EXPECT_EQ(walked, expected);
  auto active = store->list_ingests();
  ASSERT_TRUE(active.ok());
  EXPECT_TRUE(active->empty());
  store.reset();
  testing::ExpectConsistent(dir.path());
  EXPECT_TRUE(testing::ListDir(dir.path() + "/ingest").empty());
}

TEST(MultiProcess, TwoProcessesCommitIdenticalContent) { CommitStorm(true); }
TEST(MultiProcess, TwoProcessesCommitDistinctContent) { CommitStorm(false); }

// Deleting and committing the same digests at once from two processes: a
// file is never unlinked under a row that names it.
TEST(MultiProcess, DeletesRacingCommitsNeverLeaveARowWithoutItsFile) {
  TempDir dir;
  { testing::OpenStore(dir.path()); }
  constexpr int kBlobs = 20;
  constexpr int kRounds = 30;
  auto content = [](int i) { return MakeContent(1000, uint64_t(i) + 77); };
  std::vector<pid_t> children;
  for (int p = 0; p < 2; ++p) {
    children.push_back(Spawn([&, p] {
      for (int round = 0; round < kRounds; ++round) {
        // A store per round: closing it flushes the queued file deletions,
        // so they happen while the other process is committing.
        auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
        if (!store.ok()) return 2;
        for (int i = 0; i < kBlobs; ++i) {
          const std::string c = content(i);
          if ((round + p) % 2 == 0) {
            Status s = testing::WriteBlob(**store, "p" + std::to_string(p) + "-" + std::to_string(i), c);
            if (!s.ok() && !s.IsAlreadyExists()) return 3;
          } else {
            Status s = (*store)->remove(DigestOf(c));
            if (!s.ok() && !s.IsNotFound()) return 4;
          }
        }
      }
      return 0;
    }));
  }
  for (pid_t child : children) ASSERT_EQ(Wait(child), 0);
  { testing::OpenStore(dir.path()); }  // flushes what is still queued
  testing::ExpectConsistent(dir.path());
}

// info() keeps its catalog snapshot between calls (see the SQLite catalog's
// Read): whatever another process commits must be seen by the first info()
// after that process's call has returned, never an older answer.
TEST(MultiProcess, InfoIsNeverStaleAfterAnotherProcessCommits) {
  TempDir dir;
  const std::string content = MakeContent(2000, 9);
  const Digest digest = DigestOf(content);
  constexpr int kRounds = 200;
  Pipe go, done;
  const pid_t child = Spawn([&] {
    ::alarm(120);  // never outlive a parent whose assertion failed mid-way
    if (go.Receive() != 0) return 2;
    auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
    if (!store.ok()) return 3;
    for (int i = 1; i <= kRounds; ++i) {
      Info info;
      info.digest = digest;
      info.labels = {{"round", std::to_string(i)}};
      if (!(*store)->update(info, {"labels.round"}).ok()) return 4;
      done.Send(i);
      if (go.Receive() != i) return 5;
    }
    if (!(*store)->remove(digest).ok()) return 6;
    done.Send(-2);
    return 0;
  });
  auto store = testing::OpenStore(dir.path());
  ASSERT_TRUE(testing::WriteBlob(*store, "blob", content).ok());
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(store->info(digest).ok());  // a warm snapshot
  go.Send(0);
  for (int i = 1; i <= kRounds; ++i) {
    ASSERT_EQ(done.Receive(), i);
    for (int j = 0; j < 3; ++j) {
      auto info = store->info(digest);
      ASSERT_TRUE(info.ok()) << info.status().ToString();
      ASSERT_EQ(info->labels["round"], std::to_string(i)) << "round " << i << ", read " << j;
    }
    go.Send(i);
  }
  ASSERT_EQ(done.Receive(), -2);
  EXPECT_TRUE(store->info(digest).status().IsNotFound());
  int walked = 0;
  ASSERT_TRUE(store->walk([&](const Info&) {
    ++walked;
    return Status::OK();
  }).ok());
  EXPECT_EQ(walked, 0);
  EXPECT_EQ(Wait(child), 0);
}

}  // namespace
}  // namespace contentstore
