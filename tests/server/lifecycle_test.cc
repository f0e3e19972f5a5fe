// The server as a process (`contentstore serve`): its socket (default path,
// mode 0660, live servers refused, stale sockets replaced), its root
// handling, --read-only (also as a user who cannot write the store),
// graceful stops on SIGTERM and SIGINT, a client killed
// mid-stream, and SIGKILL in the middle of a commit. Processes are started
// with posix_spawn and stopped by pid.

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <fstream>
#include <sstream>
#include <thread>

#include "server_test_util.h"

extern char** environ;

namespace contentstore::server::testing {
namespace {

constexpr const char* kBinary = CONTENTSTORE_CLI_PATH;

// A child process; its standard error goes to a file.
class Process {
 public:
  Process(const std::vector<std::string>& argv, const std::string& stderr_path,
          const std::vector<std::string>& extra_env = {}, int stdout_fd = -1) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 2, stderr_path.c_str(),
                                     O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, stdout_fd, 1);
    std::vector<char*> args;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<std::string> env_strings;
    for (char** e = environ; *e != nullptr; ++e) env_strings.emplace_back(*e);
    env_strings.insert(env_strings.end(), extra_env.begin(), extra_env.end());
    std::vector<char*> env;
    for (auto& e : env_strings) env.push_back(e.data());
    env.push_back(nullptr);
    // Children must not inherit blocked signals from gRPC's threads' mask.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attr, &none);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK);
    EXPECT_EQ(posix_spawn(&pid_, args[0], &actions, &attr, args.data(), env.data()), 0);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
  }
  ~Process() {
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }
  pid_t pid() const { return pid_; }
  void Signal(int sig) { ::kill(pid_, sig); }
  // The exit code, or 128+signal; -1 if still running after `limit`.
  int Wait(std::chrono::milliseconds limit = std::chrono::seconds(60)) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      const pid_t r = ::waitpid(pid_, &status, WNOHANG);
      if (r == pid_) {
        pid_ = -1;
        return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return -1;
  }

 private:
  pid_t pid_ = -1;
};

std::string ReadFile(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool CanConnect(const std::string& path) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  ::close(fd);
  return ok;
}

// A socket file bound at `path`, listening if `listen`; closed (stale) when
// the object dies or at once if !keep.
class RawSocket {
 public:
  RawSocket(const std::string& path, bool listen) {
    fd_ = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    std::strncpy(addr.sun_path, path.c_str(), sizeof(addr.sun_path) - 1);
    EXPECT_EQ(::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
    if (listen) {
      EXPECT_EQ(::listen(fd_, 1), 0);
    }
  }
  ~RawSocket() { ::close(fd_); }

 private:
  int fd_;
};

// `contentstore serve` on DIR/root, on `socket` ("" = the default).
class ServeProcess {
 public:
  ServeProcess(const TempDir& dir, std::string socket = "", std::vector<std::string> extra = {})
      : log_(dir / ("serve-" + std::to_string(counter_++) + ".log")),
        socket_(socket.empty() ? dir / "root/contentstore.sock" : socket) {
    std::vector<std::string> argv = {kBinary, "serve", "--root", dir / "root"};
    if (!socket.empty()) argv.insert(argv.end(), {"--address", socket});
    argv.insert(argv.end(), extra.begin(), extra.end());
    process_ = std::make_unique<Process>(argv, log_);
  }
  // Waits until the socket answers; false if the process ended first.
  bool WaitReady() {
    for (int i = 0; i < 2000; ++i) {
      if (CanConnect(socket_)) return true;
      int status = 0;
      if (::waitpid(process_->pid(), &status, WNOHANG) == process_->pid()) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    return false;
  }
  Process& process() { return *process_; }
  std::string log() const { return ReadFile(log_); }
  const std::string& socket() const { return socket_; }

 private:
  static inline int counter_ = 0;
  std::string log_;
  std::string socket_;
  std::unique_ptr<Process> process_;
};

TEST(LifecycleTest, DefaultSocketHasMode0660AndGoesAwayOnSigterm) {
  TempDir dir;
  ServeProcess serve(dir);
  ASSERT_TRUE(serve.WaitReady()) << serve.log();
  struct stat st {};
  ASSERT_EQ(::stat(serve.socket().c_str(), &st), 0);
  EXPECT_TRUE(S_ISSOCK(st.st_mode));
  EXPECT_EQ(st.st_mode & 07777, 0660u);
  auto stub = NewStub(serve.socket());
  ASSERT_GRPC_OK(Upload(*stub, "r", "over the default socket"));
  serve.process().Signal(SIGTERM);
  EXPECT_EQ(serve.process().Wait(), 0) << serve.log();
  EXPECT_NE(::access(serve.socket().c_str(), F_OK), 0);
  EXPECT_NE(::access((serve.socket() + ".lock").c_str(), F_OK), 0);
}

TEST(LifecycleTest, SigintStopsGracefullyToo) {
  TempDir dir;
  ServeProcess serve(dir);
  ASSERT_TRUE(serve.WaitReady()) << serve.log();
  serve.process().Signal(SIGINT);
  EXPECT_EQ(serve.process().Wait(), 0) << serve.log();
}

TEST(LifecycleTest, AnAddressHeldByALiveServerIsRefused) {
  TempDir dir;
  ServeProcess first(dir);
  ASSERT_TRUE(first.WaitReady()) << first.log();
  ServeProcess second(dir);
  EXPECT_EQ(second.process().Wait(), 5);
  EXPECT_NE(second.log().find("in use"), std::string::npos) << second.log();
  EXPECT_TRUE(CanConnect(first.socket()));  // the first one is untouched

  // Another program's live socket is refused the same way.
  RawSocket foreign(dir / "foreign.sock", /*listen=*/true);
  ServeProcess third(dir, dir / "foreign.sock");
  EXPECT_EQ(third.process().Wait(), 5);
  EXPECT_NE(third.log().find("a server is listening there"), std::string::npos) << third.log();
}

TEST(LifecycleTest, AStaleSocketIsReplaced) {
  TempDir dir;
  { RawSocket stale(dir / "stale.sock", /*listen=*/false); }
  ASSERT_EQ(::access((dir / "stale.sock").c_str(), F_OK), 0);
  ServeProcess serve(dir, dir / "stale.sock");
  ASSERT_TRUE(serve.WaitReady()) << serve.log();
  auto stub = NewStub(serve.socket());
  EXPECT_GRPC_OK(Upload(*stub, "r", "after a stale socket"));
}

TEST(LifecycleTest, SomethingElseAtTheAddressIsNotTouched) {
  TempDir dir;
  { std::ofstream(dir / "file.sock") << "not a socket"; }
  ServeProcess serve(dir, dir / "file.sock");
  EXPECT_EQ(serve.process().Wait(), 2);
  EXPECT_NE(serve.log().find("is not a socket"), std::string::npos) << serve.log();
  EXPECT_EQ(ReadFile(dir / "file.sock"), "not a socket");
}

TEST(LifecycleTest, ABadRootFailsLikeOtherCommands) {
  TempDir dir;
  { std::ofstream(dir / "root") << "a file"; }
  ServeProcess serve(dir, dir / "s.sock");
  EXPECT_EQ(serve.process().Wait(), 2);
  EXPECT_NE(serve.log().find("contentstore: serve: opening the store at"), std::string::npos)
      << serve.log();
}

// Stores `data` through a short-lived writable server on DIR/root.
void StoreThroughAServer(const TempDir& dir, const std::string& data) {
  ServeProcess serve(dir);
  ASSERT_TRUE(serve.WaitReady()) << serve.log();
  auto stub = NewStub(serve.socket());
  ASSERT_GRPC_OK(Upload(*stub, "kept", data));
  serve.process().Signal(SIGTERM);
  ASSERT_EQ(serve.process().Wait(), 0) << serve.log();
}

TEST(LifecycleTest, ReadOnlyServesReadsAndRefusesWrites) {
  TempDir dir;
  const std::string data = MakeContent(5000, 51);
  StoreThroughAServer(dir, data);
  ServeProcess serve(dir, dir / "ro.sock", {"--read-only"});
  ASSERT_TRUE(serve.WaitReady()) << serve.log();
  auto stub = NewStub(serve.socket());
  std::string out;
  ASSERT_GRPC_OK(ReadBlob(*stub, Sha256(data), &out));
  EXPECT_TRUE(out == data);
  EXPECT_GRPC_CODE(Upload(*stub, "new", "refused"), FAILED_PRECONDITION);
  EXPECT_GRPC_CODE(DeleteBlob(*stub, Sha256(data)), FAILED_PRECONDITION);
  serve.process().Signal(SIGTERM);
  EXPECT_EQ(serve.process().Wait(), 0) << serve.log();
  EXPECT_NE(serve.log().find("(read-only)"), std::string::npos) << serve.log();

  // Reading never creates a store at a mistyped root.
  TempDir empty;
  ServeProcess missing(empty, empty / "s.sock", {"--read-only"});
  EXPECT_NE(missing.process().Wait(), 0);
  EXPECT_NE(missing.log().find("no store at"), std::string::npos) << missing.log();
  EXPECT_NE(::access((empty / "root").c_str(), F_OK), 0);
}

TEST(LifecycleTest, ReadOnlyServesAStoreThisUserCannotWrite) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to serve as the user nobody";
  TempDir dir;
  const std::string data = MakeContent(5000, 52);
  StoreThroughAServer(dir, data);
  // Only the store's own permissions keep nobody out; the socket goes in a
  // directory nobody may write.
  ASSERT_EQ(::chmod(dir.path().c_str(), 0755), 0);
  ASSERT_EQ(::mkdir((dir / "run").c_str(), 0777), 0);
  ASSERT_EQ(::chmod((dir / "run").c_str(), 0777), 0);
  const std::string socket = dir / "run/s.sock";
  Process serve({"/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups", kBinary,
                 "serve", "--root", dir / "root", "--read-only", "--address", socket},
                dir / "nobody.log");
  bool ready = false;
  for (int i = 0; i < 2000 && !ready; ++i) {
    ready = CanConnect(socket);
    if (!ready) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(ready) << ReadFile(dir / "nobody.log");
  auto stub = NewStub(socket);
  std::string out;
  ASSERT_GRPC_OK(ReadBlob(*stub, Sha256(data), &out));
  EXPECT_TRUE(out == data);
  EXPECT_GRPC_CODE(Upload(*stub, "new", "refused"), FAILED_PRECONDITION);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0) << ReadFile(dir / "nobody.log");
}

TEST(LifecycleTest, SigtermMidWriteEndsTheStreamAndTheIngestResumes) {
  TempDir dir;
  const std::string data = MakeContent(6 << 20, 41);
  {
    ServeProcess serve(dir);
    ASSERT_TRUE(serve.WaitReady()) << serve.log();
    auto stub = NewStub(serve.socket());
    WriteCall call(*stub);
    ASSERT_TRUE(call.Send(Stat("interrupted", 6 << 20)));
    ASSERT_TRUE(call.Send(WriteAt(0, data.substr(0, 3 << 20))));
    serve.process().Signal(SIGTERM);
    EXPECT_EQ(serve.process().Wait(), 0) << serve.log();
    const grpc::Status ended = call.Finish();
    EXPECT_FALSE(ended.ok());
    EXPECT_NE(ended.error_code(), grpc::StatusCode::DEADLINE_EXCEEDED) << Describe(ended);
  }
  ServeProcess serve(dir);
  ASSERT_TRUE(serve.WaitReady()) << serve.log();
  auto stub = NewStub(serve.socket());
  WriteCall call(*stub);
  ASSERT_TRUE(call.Send(Stat("interrupted")));
  EXPECT_EQ(call.response.offset(), 3 << 20);
  EXPECT_EQ(call.response.digest(), Sha256(data.substr(0, 3 << 20)));
  ASSERT_TRUE(call.Send(WriteAt(3 << 20, data.substr(3 << 20))));
  ASSERT_TRUE(call.Send(CommitAt(6 << 20, 6 << 20, Sha256(data))));
  EXPECT_GRPC_OK(call.Finish());
}

// The child half of ClientKilledMidStream: writes `bytes` on `ref`, says so
// on standard output, and waits to be killed.
int HangingWriter(const std::string& socket, const std::string& ref, int64_t bytes) {
  auto stub = NewStub(socket);
  WriteCall call(*stub);
  if (!call.Send(Stat(ref))) return 1;
  if (!call.Send(WriteAt(0, MakeContent(bytes, 51)))) return 1;
  if (::write(1, "ready\n", 6) != 6) return 1;
  for (;;) ::pause();
}

TEST(LifecycleTest, AClientKilledMidStreamFreesTheRefAndTheIngestResumes) {
  TestServer server;
  int pipe_fds[2];
  ASSERT_EQ(::pipe2(pipe_fds, O_CLOEXEC), 0);
  const int64_t bytes = 5 << 20;
  Process child({"/proc/self/exe"}, server.dir() + "/child.log",
                {"CONTENTSTORE_SERVER_TEST_CHILD=hanging-writer", "CHILD_SOCKET=" + server.socket(),
                 "CHILD_REF=killed", "CHILD_BYTES=" + std::to_string(bytes)},
                pipe_fds[1]);
  ::close(pipe_fds[1]);
  char buf[8] = {};
  ASSERT_EQ(::read(pipe_fds[0], buf, 6), 6) << ReadFile(server.dir() + "/child.log");
  ::close(pipe_fds[0]);
  child.Signal(SIGKILL);
  EXPECT_EQ(child.Wait(), 128 + SIGKILL);

  auto stub = server.stub();
  WriteCall call(*stub);
  ASSERT_TRUE(call.Send(Stat("killed"))) << Describe(call.Finish());
  EXPECT_EQ(call.response.offset(), bytes);
  const std::string data = MakeContent(bytes, 51) + "tail";
  ASSERT_TRUE(call.Send(WriteAt(bytes, "tail")));
  ASSERT_TRUE(call.Send(CommitAt(bytes + 4, bytes + 4, Sha256(data))));
  EXPECT_GRPC_OK(call.Finish());
}

TEST(LifecycleTest, SigkillMidCommitLosesNothingCommittedAndTheIngestResumes) {
  TempDir dir;
  const std::string anchor = MakeContent(100000, 61);
  const std::string big = MakeContent(24 << 20, 62);
  {
    ServeProcess serve(dir);
    ASSERT_TRUE(serve.WaitReady()) << serve.log();
    auto stub = NewStub(serve.socket());
    ASSERT_GRPC_OK(Upload(*stub, "anchor", anchor));
    serve.process().Signal(SIGTERM);
    ASSERT_EQ(serve.process().Wait(), 0);
  }
  // Kill the server at different moments after it received COMMIT (from
  // before the commit starts to after it ends).
  int committed = 0, resumed = 0;
  for (int delay_us : {0, 200, 500, 1000, 2000, 4000, 8000, 16000, 32000, 64000}) {
    SCOPED_TRACE("kill after " + std::to_string(delay_us) + " us");
    const std::string ref = "big-" + std::to_string(delay_us);
    const std::string blob = std::to_string(delay_us) + big;  // a distinct digest each round
    {
      ServeProcess serve(dir);
      ASSERT_TRUE(serve.WaitReady()) << serve.log();
      auto stub = NewStub(serve.socket());
      WriteCall call(*stub);
      ASSERT_TRUE(call.Send(Stat(ref, static_cast<int64_t>(blob.size()), Sha256(blob))));
      for (size_t at = 0; at < blob.size(); at += 1 << 20) {
        ASSERT_TRUE(call.Send(WriteAt(static_cast<int64_t>(at), blob.substr(at, 1 << 20))));
      }
      ASSERT_TRUE(call.stream->Write(CommitAt(static_cast<int64_t>(blob.size()),
                                         static_cast<int64_t>(blob.size()), Sha256(blob))));
      std::this_thread::sleep_for(std::chrono::microseconds(delay_us));
      serve.process().Signal(SIGKILL);
      EXPECT_EQ(serve.process().Wait(), 128 + SIGKILL);
      call.context->TryCancel();
      (void)call.Finish();
    }
    ServeProcess serve(dir);
    ASSERT_TRUE(serve.WaitReady()) << serve.log();
    auto stub = NewStub(serve.socket());
    std::string out;
    ASSERT_GRPC_OK(ReadBlob(*stub, Sha256(anchor), &out));
    EXPECT_EQ(out, anchor);
    const grpc::Status found = GetInfo(*stub, Sha256(blob));
    if (found.ok()) {
      ++committed;
      ASSERT_GRPC_OK(ReadBlob(*stub, Sha256(blob), &out));
      EXPECT_TRUE(out == blob);
    } else {
      EXPECT_EQ(found.error_code(), grpc::StatusCode::NOT_FOUND) << Describe(found);
      ++resumed;
      WriteCall call(*stub);
      ASSERT_TRUE(call.Send(Stat(ref, static_cast<int64_t>(blob.size()), Sha256(blob))))
          << Describe(call.Finish());
      const int64_t at = call.response.offset();
      ASSERT_LE(at, static_cast<int64_t>(blob.size()));
      EXPECT_EQ(call.response.digest(), Sha256(std::string_view(blob).substr(0, at)));
      if (at < static_cast<int64_t>(blob.size())) {
        ASSERT_TRUE(call.Send(WriteAt(at, blob.substr(at))));
      }
      ASSERT_TRUE(call.Send(CommitAt(static_cast<int64_t>(blob.size()),
                                     static_cast<int64_t>(blob.size()), Sha256(blob))));
      ASSERT_GRPC_OK(call.Finish());
      ASSERT_GRPC_OK(ReadBlob(*stub, Sha256(blob), &out));
      EXPECT_TRUE(out == blob);
    }
    serve.process().Signal(SIGTERM);
    EXPECT_EQ(serve.process().Wait(), 0) << serve.log();
  }
  std::cerr << "killed mid-commit: " << committed << " committed, " << resumed << " resumed\n";
  // Every blob is whole. An ingest directory left without its row (a kill
  // after the commit's transaction, before the directory went) is garbage
  // the library's fsck --repair removes; nothing else may be wrong.
  auto store = Store::Open(dir / "root");
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  FsckOptions verify;
  verify.verify = true;
  auto report = (*store)->fsck(verify);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blobs_checked, 11);
  for (const FsckProblem& p : report->problems) {
    EXPECT_EQ(p.kind, FsckProblem::Kind::kDataWithoutIngest)
        << FsckKindName(p.kind) << " " << p.subject << ": " << p.detail;
    std::cerr << "after the kills: " << FsckKindName(p.kind) << " " << p.subject << "\n";
  }
}

}  // namespace

// For the child processes some tests start (see HangingWriter).
int ChildMain(const std::string& mode) {
  if (mode == "hanging-writer") {
    return HangingWriter(std::getenv("CHILD_SOCKET"), std::getenv("CHILD_REF"),
                         std::stoll(std::getenv("CHILD_BYTES")));
  }
  return 2;
}

}  // namespace contentstore::server::testing
