// End-to-end tests of the `contentstore` command. Each test runs the built
// binary as a user would (posix_spawn, pipes on its three standard streams)
// against a store root of its own, and checks exit codes, standard output and
// standard error, and the catalog through the sqlite3 shell, so the command is
// tested through the same doors its users go through.

#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <functional>
#include <atomic>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/store.h"

extern char** environ;

namespace {

namespace fs = std::filesystem;
using nlohmann::json;

constexpr const char* kBinary = CONTENTSTORE_CLI_PATH;
constexpr size_t kMiB = 1 << 20;

// --- Processes ---------------------------------------------------------------

// How a child ended and what it said.
struct Outcome {
  int exit_code = -1;  // -1 when it died of a signal
  int signal = 0;
  std::string out;
  std::string err;
  long maxrss_kb = 0;  // the child's peak resident set, from wait4()
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "exit " << o.exit_code << " signal " << o.signal << "\nstdout: " << o.out
            << "\nstderr: " << o.err;
}

// Supplies the child's standard input a chunk at a time; an empty view ends it.
using Source = std::function<std::string_view()>;
// Receives the child's standard output as it comes; false closes the pipe.
using Sink = std::function<bool(std::string_view)>;

void SetNonBlocking(int fd) { ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK); }

// A running child with pipes on stdin (unless given a file), stdout, stderr.
class Child {
 public:
  Child(const std::vector<std::string>& argv, const std::vector<std::string>& env,
        int stdin_from = -1) {
    int in[2] = {-1, -1}, out[2], err[2];
    if (stdin_from < 0) {
      EXPECT_EQ(::pipe2(in, O_CLOEXEC), 0);
    }
    EXPECT_EQ(::pipe2(out, O_CLOEXEC), 0);
    EXPECT_EQ(::pipe2(err, O_CLOEXEC), 0);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, stdin_from >= 0 ? stdin_from : in[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err[1], 2);
    // The test ignores SIGPIPE; the child starts with the default, as from a shell.
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    sigset_t defaults;
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGPIPE);
    posix_spawnattr_setsigdefault(&attr, &defaults);
    posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGDEF);
    std::vector<char*> args, envp;
    for (const auto& a : argv) args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    for (const auto& e : env) envp.push_back(const_cast<char*>(e.c_str()));
    envp.push_back(nullptr);
    const int rc = ::posix_spawnp(&pid_, args[0], &actions, &attr, args.data(), envp.data());
    EXPECT_EQ(rc, 0) << "spawning " << argv[0] << ": " << std::strerror(rc);
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attr);
    if (stdin_from < 0) {
      ::close(in[0]);
      in_ = in[1];
    }
    ::close(out[1]);
    ::close(err[1]);
    out_ = out[0];
    err_ = err[0];
  }

  ~Child() {
    for (int fd : {in_, out_, err_}) {
      if (fd >= 0) ::close(fd);
    }
    if (pid_ > 0) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, nullptr, 0);
    }
  }

  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  pid_t pid() const { return pid_; }

  // Writes all of `data` to the child's stdin (blocking). False if the child
  // closed its end.
  bool Feed(std::string_view data) {
    while (!data.empty()) {
      const ssize_t n = ::write(in_, data.data(), data.size());
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) return false;
      data.remove_prefix(static_cast<size_t>(n));
    }
    return true;
  }

  void CloseStdin() {
    if (in_ >= 0) ::close(in_);
    in_ = -1;
  }

  // Feeds `source` to stdin (then closes it), drains stdout into `sink` (or
  // Outcome::out) and stderr into Outcome::err, all at once so no pipe can
  // fill up and stall the other side, then reaps the child.
  Outcome Finish(Source source = nullptr, Sink sink = nullptr) {
    Outcome outcome;
    if (!source) CloseStdin();
    if (in_ >= 0) SetNonBlocking(in_);
    std::string_view pending;
    std::vector<char> buf(256 * 1024);
    while (out_ >= 0 || err_ >= 0 || in_ >= 0) {
      if (in_ >= 0 && pending.empty()) {
        pending = source();
        if (pending.empty()) {
          CloseStdin();
          continue;
        }
      }
      std::array<pollfd, 3> fds{};
      int n = 0;
      int in_slot = -1, out_slot = -1, err_slot = -1;
      if (in_ >= 0) fds[in_slot = n++] = {in_, POLLOUT, 0};
      if (out_ >= 0) fds[out_slot = n++] = {out_, POLLIN, 0};
      if (err_ >= 0) fds[err_slot = n++] = {err_, POLLIN, 0};
      if (::poll(fds.data(), static_cast<nfds_t>(n), -1) < 0) {
        if (errno == EINTR) continue;
        ADD_FAILURE() << "poll: " << std::strerror(errno);
        break;
      }
      if (in_slot >= 0 && fds[in_slot].revents != 0) {
        const ssize_t w = ::write(in_, pending.data(), pending.size());
        if (w > 0) {
          pending.remove_prefix(static_cast<size_t>(w));
        } else if (w < 0 && errno != EAGAIN && errno != EINTR) {
          CloseStdin();  // the child stopped reading (EPIPE): fine, it decides
        }
      }
      auto drain = [&](int& fd, int slot, bool is_out) {
        if (slot < 0 || fds[slot].revents == 0) return;
        const ssize_t r = ::read(fd, buf.data(), buf.size());
        if (r < 0 && errno == EINTR) return;
        if (r <= 0) {
          ::close(fd);
          fd = -1;
          return;
        }
        const std::string_view chunk(buf.data(), static_cast<size_t>(r));
        if (!is_out) {
          outcome.err += chunk;
        } else if (!sink) {
          outcome.out += chunk;
        } else if (!sink(chunk)) {
          ::close(fd);
          fd = -1;
        }
      };
      drain(out_, out_slot, true);
      drain(err_, err_slot, false);
    }
    int status = 0;
    struct rusage usage {};
    EXPECT_EQ(::wait4(pid_, &status, 0, &usage), pid_);
    pid_ = -1;
    if (WIFEXITED(status)) outcome.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) outcome.signal = WTERMSIG(status);
    outcome.maxrss_kb = usage.ru_maxrss;
    return outcome;
  }

  // Sends `sig` and reaps the child.
  Outcome KillAndWait(int sig) {
    ::kill(pid_, sig);
    CloseStdin();
    return Finish();
  }

 private:
  pid_t pid_ = -1;
  int in_ = -1;
  int out_ = -1;
  int err_ = -1;
};

// A source that hands out `data` once.
Source Once(std::string_view data) {
  return [data, done = false]() mutable -> std::string_view {
    if (done) return {};
    done = true;
    return data;
  };
}

// --- Content -------------------------------------------------------------------

// `size` bytes from splitmix64 seeded with `seed`: same seed, same bytes.
std::string Bytes(size_t size, uint64_t seed = 1) {
  std::string out(size, '\0');
  uint64_t x = seed;
  for (size_t i = 0; i < size; i += 8) {
    uint64_t z = (x += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    z ^= z >> 31;
    std::memcpy(out.data() + i, &z, std::min<size_t>(8, size - i));
  }
  return out;
}

std::string DigestOf(std::string_view bytes,
                     contentstore::Algorithm algorithm = contentstore::Algorithm::kSHA256) {
  contentstore::Digester d(algorithm);
  d.update(bytes);
  return d.digest().str();
}

std::string HexOf(const std::string& digest) { return digest.substr(digest.find(':') + 1); }

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream f(path, std::ios::binary | std::ios::trunc);
  f.write(data.data(), static_cast<std::streamsize>(data.size()));
  ASSERT_TRUE(f.good()) << path;
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// The error contract: one line on stderr, "contentstore: ...", nothing else.
void ExpectOneErrorLine(const Outcome& o) {
  EXPECT_EQ(o.signal, 0) << o;
  ASSERT_FALSE(o.err.empty()) << o;
  EXPECT_EQ(o.err.rfind("contentstore: ", 0), 0u) << o;
  EXPECT_EQ(std::count(o.err.begin(), o.err.end(), '\n'), 1) << o;
  EXPECT_EQ(o.err.back(), '\n') << o;
  EXPECT_EQ(o.err.find("terminate called"), std::string::npos) << o;
}

// "2026-11-28T05:50:00.123456789Z": digits where the template has 'd'.
// (Not std::regex: GCC 12 warns inside <regex> under the sanitizers.)
bool IsRfc3339Nanos(std::string_view text) {
  constexpr std::string_view kTemplate = "dddd-dd-ddTdd:dd:dd.dddddddddZ";
  if (text.size() != kTemplate.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    const bool digit = text[i] >= '0' && text[i] <= '9';
    if (kTemplate[i] == 'd' ? !digit : text[i] != kTemplate[i]) return false;
  }
  return true;
}

// --- Fixture -------------------------------------------------------------------

class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string tmpl = (fs::temp_directory_path() / "contentstore-cli-XXXXXX").string();
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    dir_ = tmpl;
    root_ = dir_ + "/root";
    home_ = dir_ + "/home";
    fs::create_directories(home_);
  }

  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }

  // PATH and a private HOME, plus the sanitizers' settings, so nothing of
  // the user's environment (a real store) leaks into a test.
  std::vector<std::string> BaseEnv() const {
    std::vector<std::string> env = {"HOME=" + home_};
    for (char** e = environ; *e != nullptr; ++e) {
      const std::string_view var(*e);
      for (std::string_view keep : {"PATH=", "ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS="}) {
        if (var.starts_with(keep)) env.emplace_back(var);
      }
    }
    return env;
  }

  std::vector<std::string> Argv(const std::vector<std::string>& args) const {
    std::vector<std::string> argv = {kBinary, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    return argv;
  }

  // Runs `contentstore --root ROOT args...` with `input` on stdin.
  Outcome Cs(const std::vector<std::string>& args, std::string_view input = {}) {
    Child child(Argv(args), BaseEnv());
    return child.Finish(Once(input));
  }

  // Runs the binary with exactly `args` (no --root) and environment `env`.
  Outcome Raw(const std::vector<std::string>& args, const std::vector<std::string>& env) {
    std::vector<std::string> argv = {kBinary};
    argv.insert(argv.end(), args.begin(), args.end());
    Child child(argv, env);
    return child.Finish();
  }

  // Ingests `content` under `ref`, expects success, returns the digest.
  std::string Ingest(const std::string& ref, std::string_view content,
                     std::vector<std::string> extra = {}) {
    std::vector<std::string> args = {"ingest", ref};
    args.insert(args.end(), extra.begin(), extra.end());
    const Outcome o = Cs(args, content);
    EXPECT_EQ(o.exit_code, 0) << o;
    EXPECT_EQ(o.err, "") << o;
    std::string digest = o.out;
    if (!digest.empty() && digest.back() == '\n') digest.pop_back();
    return digest;
  }

  // `sqlite3 ROOT/catalog.db query`, one row a line, columns split by '|'.
  std::string Sql(const std::string& query) {
    Child child({"sqlite3", root_ + "/catalog.db", query}, BaseEnv());
    const Outcome o = child.Finish();
    EXPECT_EQ(o.exit_code, 0) << query << "\n" << o;
    return o.out;
  }

  std::string BlobPath(const std::string& digest) const {
    const std::string alg = digest.substr(0, digest.find(':'));
    return root_ + "/blobs/" + alg + "/" + HexOf(digest);
  }

  // ROOT/ingest/<id>/data, where <id> is the sha256 of the ref in hex.
  std::string IngestDataPath(const std::string& ref) const {
    return root_ + "/ingest/" + HexOf(DigestOf(ref)) + "/data";
  }

  // Runs `argv` (a tool on PATH, not contentstore) and expects it to succeed.
  void Tool(const std::vector<std::string>& argv) {
    Child child(argv, BaseEnv());
    const Outcome o = child.Finish();
    EXPECT_EQ(o.exit_code, 0) << argv[0] << "\n" << o;
  }

  // Two hours older than it is: past gc's default grace of one hour.
  void MakeOld(const std::string& digest) {
    Sql("update blobs set created_at = created_at - 7200000000000 where digest = '" + digest + "'");
  }

  // Not written for two days, in the catalog and on disk: past gc's default
  // ingest expiry of 24 hours, by both of the clocks it reads.
  void MakeStale(const std::string& ref) {
    Sql("update ingests set updated_at = updated_at - 172800000000000 where ref = '" + ref + "'");
    Tool({"touch", "-d", "2 days ago", IngestDataPath(ref)});
  }

  // `lease create args...`, expecting success; returns the id printed.
  std::string CreateLease(std::vector<std::string> args = {}) {
    args.insert(args.begin(), {"lease", "create"});
    const Outcome o = Cs(args);
    EXPECT_EQ(o.exit_code, 0) << o;
    EXPECT_EQ(o.err, "") << o;
    std::string id = o.out;
    if (!id.empty() && id.back() == '\n') id.pop_back();
    return id;
  }

  // The parsed standard output of a --json run that printed one object.
  static json JsonOf(const Outcome& o) {
    EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1) << o;
    return json::parse(o.out);
  }

  std::string dir_;
  std::string root_;
  std::string home_;
};

// --- Help and usage ------------------------------------------------------------

TEST_F(CliTest, HelpListsEveryCommand) {
  const Outcome o = Cs({"--help"});
  ASSERT_EQ(o.exit_code, 0) << o;
  for (const char* cmd : {"ingest", "get", "info", "ls", "label", "rm", "active", "status", "abort",
                          "lease", "image", "gc", "fsck", "--root"}) {
    EXPECT_NE(o.out.find(cmd), std::string::npos) << cmd;
  }
  EXPECT_EQ(o.out.find("Reserved"), std::string::npos) << o.out;
  EXPECT_EQ(o.out.find("not implemented"), std::string::npos) << o.out;
  const std::vector<std::pair<std::vector<std::string>, std::vector<const char*>>> expected = {
      {{"ingest"},
       {"--expected-digest", "--expected-size", "--label", "--no-commit", "--algorithm", "--lease",
        "--progress", "--no-progress"}},
      {{"lease"}, {"create", "ls, list", "rm, delete, del, remove", "add", "drop", "show"}},
      {{"lease", "create"}, {"--id", "--expire", "--label"}},
      {{"lease", "ls"}, {"FILTER", "--quiet", "--json"}},
      {{"lease", "rm"}, {"ID", "--sync"}},
      {{"lease", "add"}, {"ID", "DIGEST", "--ingest"}},
      {{"lease", "drop"}, {"ID", "DIGEST", "--ingest"}},
      {{"lease", "show"}, {"ID", "--json"}},
      {{"image"}, {"ls, list", "rm, delete, del, remove", "tag"}},
      {{"image", "ls"}, {"FILTER", "--quiet", "--json"}},
      {{"image", "rm"}, {"NAME"}},
      {{"image", "tag"}, {"SRC", "DST"}},
      {{"gc"}, {"--dry-run", "--json", "--verbose", "--grace", "--ingest-expiry"}},
      {{"fsck"}, {"--verify", "--repair", "--json", "--progress", "--no-progress"}},
  };
  for (const auto& [command, options] : expected) {
    std::vector<std::string> args = command;
    args.push_back("--help");
    const Outcome help = Cs(args);
    ASSERT_EQ(help.exit_code, 0) << help;
    for (const char* opt : options) {
      EXPECT_NE(help.out.find(opt), std::string::npos) << command.back() << " " << opt;
    }
  }
  const Outcome version = Cs({"--version"});
  EXPECT_EQ(version.exit_code, 0) << version;
  EXPECT_FALSE(version.out.empty());
}

TEST_F(CliTest, BadInputsExit2WithOneLine) {
  const std::string digest = Ingest("r", "x");
  const std::vector<std::vector<std::string>> cases = {
      {},
      {"bogus"},
      {"--bogus"},
      {"ls", "--bogus"},
      {"get"},
      {"get", "sha256:abc"},
      {"get", "md5:d41d8cd98f00b204e9800998ecf8427e"},
      {"get", "nonsense"},
      {"info", "SHA256:" + HexOf(digest)},
      {"rm", "sha256:" + std::string(64, 'g')},
      {"label", digest, "novalue"},
      {"label", digest, "=v"},
      {"label", "sha256:1", "a=b"},
      {"ls", "labels.a==\"unterminated"},
      {"ls", "nosuchfield==1"},
      {"ls", "digest~=("},
      {"active", "size==1"},
      {"active", "ref~=["},
      {"ingest"},
      {"ingest", "r", "--expected-size", "-1"},
      {"ingest", "r", "--expected-size", "abc"},
      {"ingest", "r", "--algorithm", "md5"},
      {"ingest", "r", "--algorithm", "sha512", "--expected-digest", digest},
      {"ingest", "r", "--expected-digest", "sha256:nothex"},
      {"ingest", "r", "--label", "novalue"},
      {"ingest", "r", "--label", "k="},
      {"ingest", "r", "--progress", "--no-progress"},
      {"ingest", ""},
      {"ingest", "bad\x01ref"},
      {"status", "bad\nref"},
      {"ls", "-q", "--json"},
      {"info", digest, "--json", "extra"},
      {"ls", "--root"},
      {"ls", "--root", "/elsewhere"},  // a second --root: Argv() gave one
      {"ingest", "r", "--lease", ""},
      {"ingest", "r", "--lease", "bad\x01id"},
      {"ingest", "r", "--label", "k=" + std::string(5000, 'v')},
      {"label", digest, "ok=1", std::string(4097, 'k') + "=v"},
      {"label", digest, "k=\xff"},
      {"lease"},
      {"lease", "bogus"},
      {"lease", "--bogus"},
      {"lease", "create", "--id", ""},
      {"lease", "create", "--id", std::string(257, 'i')},
      {"lease", "create", "--id", "a\tb"},
      {"lease", "create", "--expire", "tomorrow"},
      {"lease", "create", "--label", "novalue"},
      {"lease", "create", "--label", "k="},
      {"lease", "create", "--label", "k=" + std::string(5000, 'v')},
      {"lease", "create", "--label", "containerd.io/gc.expire=tomorrow"},
      {"lease", "create", "--expire", "1h", "--label",
       "containerd.io/gc.expire=2030-01-01T00:00:00Z"},
      {"lease", "ls", "size==1"},
      {"lease", "ls", "-q", "--json"},
      {"lease", "rm"},
      {"lease", "rm", "bad\x01id"},
      {"lease", "add", "L"},
      {"lease", "add", "L", "sha256:1"},
      {"lease", "add", "L", "--ingest", "bad\x01ref"},
      {"lease", "drop", "L", digest, "nonsense"},
      {"lease", "show"},
      {"lease", "show", ""},
      {"gc", "--grace", "1x"},
      {"gc", "--grace", "90"},
      {"gc", "--ingest-expiry", "-1h"},
      {"gc", "--bogus"},
      {"fsck", "extra"},
      {"fsck", "--progress", "--no-progress"},
  };
  for (const auto& args : cases) {
    std::string shown;
    for (const auto& a : args) shown += "[" + a + "] ";
    SCOPED_TRACE(shown);
    const Outcome o = Cs(args, "data");
    EXPECT_EQ(o.exit_code, 2) << o;
    ExpectOneErrorLine(o);
  }
  // Nothing above may have changed the store.
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  EXPECT_EQ(Sql("select count(*) from blobs"), "1\n");
  EXPECT_EQ(Sql("select count(*) from blob_labels"), "0\n");
  EXPECT_EQ(Sql("select count(*) from leases"), "0\n");
  EXPECT_TRUE(fs::is_empty(root_ + "/ingest"));
}

TEST_F(CliTest, UsageErrorsNameTheProblem) {
  EXPECT_EQ(Cs({"bogus"}).err,
            "contentstore: unknown command \"bogus\" (run 'contentstore --help' for usage)\n");
  EXPECT_EQ(Cs({"--bogus"}).err,
            "contentstore: unknown option \"--bogus\" (run 'contentstore --help' for usage)\n");
  const Outcome o = Cs({"ls", "--bogus"});
  EXPECT_NE(o.err.find("--bogus"), std::string::npos) << o;
  EXPECT_NE(o.err.find("contentstore ls --help"), std::string::npos) << o;
  // The same for the commands under `lease`.
  EXPECT_EQ(Cs({"lease"}).err,
            "contentstore: no command given (run 'contentstore lease --help' for usage)\n");
  EXPECT_EQ(
      Cs({"lease", "bogus"}).err,
      "contentstore: unknown command \"bogus\" (run 'contentstore lease --help' for usage)\n");
  const Outcome nested = Cs({"lease", "create", "--bogus"});
  EXPECT_NE(nested.err.find("--bogus"), std::string::npos) << nested;
  EXPECT_NE(nested.err.find("contentstore lease create --help"), std::string::npos) << nested;
}

// --- Exit code 1 ---------------------------------------------------------------

TEST_F(CliTest, OtherFailuresExit1) {
  ASSERT_EQ(Cs({"ingest", "r"}, "x").exit_code, 0);  // creates the store
  // A missing input file.
  Outcome o = Cs({"ingest", "r", dir_ + "/no-such-file"});
  EXPECT_EQ(o.exit_code, 1) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n") << "no ingest for a typo";
  // A catalog from a newer contentstore.
  Sql("pragma user_version = 99");
  o = Cs({"ls"});
  EXPECT_EQ(o.exit_code, 1) << o;
  ExpectOneErrorLine(o);
  // A catalog that is not a database at all.
  WriteFile(root_ + "/catalog.db", Bytes(8192));
  fs::remove(root_ + "/catalog.db-wal");
  fs::remove(root_ + "/catalog.db-shm");
  o = Cs({"ls"});
  EXPECT_EQ(o.exit_code, 1) << o;
  ExpectOneErrorLine(o);
}

// --- ingest ---------------------------------------------------------------------

TEST_F(CliTest, IngestFromStdinFileAndDashRecordsTheBlob) {
  const std::string a = Bytes(5000, 1), b = Bytes(7000, 2), c = Bytes(9000, 3);
  EXPECT_EQ(Ingest("from-stdin", a), DigestOf(a));
  WriteFile(dir_ + "/b", b);
  const Outcome fo = Cs({"ingest", "from-file", dir_ + "/b"});
  EXPECT_EQ(fo.exit_code, 0) << fo;
  EXPECT_EQ(fo.out, DigestOf(b) + "\n");
  EXPECT_EQ(Ingest("from-dash", c, {"-"}), DigestOf(c));

  EXPECT_EQ(Sql("select digest, size, created_at = updated_at from blobs order by size"),
            DigestOf(a) + "|5000|1\n" + DigestOf(b) + "|7000|1\n" + DigestOf(c) + "|9000|1\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  std::ifstream f(BlobPath(DigestOf(b)), std::ios::binary);
  EXPECT_EQ(std::string(std::istreambuf_iterator<char>(f), {}), b);
  const std::string created =
      Sql("select created from blobs_readable where digest = '" + DigestOf(a) + "'");
  EXPECT_TRUE(IsRfc3339Nanos(created.substr(0, created.size() - 1))) << created;
}

TEST_F(CliTest, IngestSetsLabels) {
  const std::string d =
      Ingest("r", "labelled",
             {"--label", "a=1", "--label", "b=two=2", "--label", "containerd.io/gc.root=yes"});
  EXPECT_EQ(Sql("select key, value from blob_labels where digest = '" + d + "' order by key"),
            "a|1\nb|two=2\ncontainerd.io/gc.root|yes\n");
  EXPECT_EQ(Sql("select labels from blobs_readable"), "a=1,b=two=2,containerd.io/gc.root=yes\n");
}

TEST_F(CliTest, IngestEmptyBlob) {
  const std::string d = Ingest("empty", "");
  EXPECT_EQ(d, DigestOf(""));
  EXPECT_EQ(Sql("select size from blobs"), "0\n");
  const Outcome get = Cs({"get", d, "--verify"});
  EXPECT_EQ(get.exit_code, 0) << get;
  EXPECT_EQ(get.out, "");
  const Outcome info = Cs({"info", d, "--json"});
  ASSERT_EQ(info.exit_code, 0) << info;
  EXPECT_EQ(json::parse(info.out)["size"], 0);
  EXPECT_EQ(Ingest("empty-sized", "", {"--expected-size", "0"}), DigestOf(""));
}

TEST_F(CliTest, IngestWithExpectedDigestAndSize) {
  const std::string data = Bytes(3 * kMiB + 17);
  EXPECT_EQ(
      Ingest("r", data,
             {"--expected-digest", DigestOf(data), "--expected-size", std::to_string(data.size())}),
      DigestOf(data));
  EXPECT_EQ(Sql("select size from blobs"), std::to_string(data.size()) + "\n");
}

TEST_F(CliTest, IngestAlgorithms) {
  using contentstore::Algorithm;
  const std::string data = Bytes(100000);
  EXPECT_EQ(Ingest("a384", data, {"--algorithm", "sha384"}), DigestOf(data, Algorithm::kSHA384));
  EXPECT_EQ(Ingest("a512", data, {"--algorithm", "sha512"}), DigestOf(data, Algorithm::kSHA512));
  // The expected digest implies the algorithm; naming the same one is fine.
  const std::string more = data + "more";
  const std::string d512 = DigestOf(more, Algorithm::kSHA512);
  EXPECT_EQ(Ingest("implied", more, {"--expected-digest", d512}), d512);
  EXPECT_EQ(Ingest("same", more + "!", {"--algorithm", "sha256"}), DigestOf(more + "!"));
  EXPECT_TRUE(fs::exists(BlobPath(d512)));
  const Outcome conflict =
      Cs({"ingest", "c", "--algorithm", "sha384", "--expected-digest", d512}, more);
  EXPECT_EQ(conflict.exit_code, 2) << conflict;
  ExpectOneErrorLine(conflict);
}

TEST_F(CliTest, IngestSizeMismatchExits6AndKeepsTheIngest) {
  const std::string data = Bytes(10000);
  // Too short.
  Outcome o = Cs({"ingest", "short", "--expected-size", "20000"}, data);
  EXPECT_EQ(o.exit_code, 6) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(Sql("select offset, total from ingests where ref = 'short'"), "10000|20000\n");
  // Too long: the ingest keeps no more than the expected size.
  o = Cs({"ingest", "long", "--expected-size", "4000"}, data);
  EXPECT_EQ(o.exit_code, 6) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(Sql("select offset, total from ingests where ref = 'long'"), "4000|4000\n");
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  // The kept prefix resumes with the right input.
  EXPECT_EQ(Ingest("long", data.substr(0, 4000)), DigestOf(data.substr(0, 4000)));
}

TEST_F(CliTest, IngestDigestMismatchExits6AndKeepsTheIngest) {
  const std::string data = Bytes(10000);
  const Outcome o = Cs({"ingest", "r", "--expected-digest", DigestOf("other")}, data);
  EXPECT_EQ(o.exit_code, 6) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(Sql("select offset, expected from ingests_readable"),
            "10000|" + DigestOf("other") + "\n");
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  EXPECT_NE(Cs({"active"}).out.find("\nr "), std::string::npos);
}

TEST_F(CliTest, IngestOfCommittedContentSucceedsAndAddsLabels) {
  const std::string data = Bytes(4096);
  const std::string d = Ingest("first", data, {"--label", "keep=1", "--label", "over=old"});
  // Found at commit: same bytes under another ref.
  EXPECT_EQ(Ingest("second", data, {"--label", "over=new", "--label", "added=2"}), d);
  EXPECT_EQ(Sql("select labels from blobs_readable"), "added=2,keep=1,over=new\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  // Found at open, thanks to --expected-digest: the input is not even needed.
  EXPECT_EQ(Ingest("third", "", {"--expected-digest", d, "--label", "third=3"}), d);
  EXPECT_EQ(Sql("select labels from blobs_readable"), "added=2,keep=1,over=new,third=3\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  // ... but a different expected size is a mismatch.
  const Outcome o = Cs({"ingest", "fourth", "--expected-digest", d, "--expected-size", "1"});
  EXPECT_EQ(o.exit_code, 6) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, NoCommitOfCommittedContentExits4) {
  const std::string data = Bytes(4096);
  const std::string d = Ingest("first", data);
  const Outcome o = Cs({"ingest", "again", "--no-commit", "--expected-digest", d}, data);
  EXPECT_EQ(o.exit_code, 4) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
}

TEST_F(CliTest, NoCommitLeavesTheIngestActive) {
  const std::string data = Bytes(2 * kMiB + 5);
  const Outcome o = Cs({"ingest", "later", "--no-commit", "--expected-size",
                        std::to_string(data.size()), "--expected-digest", DigestOf(data)},
                       std::string_view(data).substr(0, kMiB));
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(Sql("select ref, offset, total, expected, locked_by_pid from ingests_readable"),
            "later|" + std::to_string(kMiB) + "|" + std::to_string(data.size()) + "|" +
                DigestOf(data) + "|\n");
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  // The rest can come later, even as a --no-commit of everything.
  EXPECT_EQ(Cs({"ingest", "later", "--no-commit"}, data).exit_code, 0);
  EXPECT_EQ(Sql("select offset from ingests"), std::to_string(data.size()) + "\n");
  EXPECT_EQ(Ingest("later", data), DigestOf(data));
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
}

// The resumed run gets the whole input again but must skip what the ingest
// holds. Its first K bytes are garbage here: only a real skip still yields
// the digest of the original data.
TEST_F(CliTest, ResumeFromAPipeSkipsWhatTheIngestHolds) {
  const std::string data = Bytes(3 * kMiB + 123);
  const size_t k = kMiB + 7;
  ASSERT_EQ(Cs({"ingest", "r", "--no-commit"}, std::string_view(data).substr(0, k)).exit_code, 0);
  EXPECT_EQ(Sql("select offset from ingests where ref = 'r'"), std::to_string(k) + "\n");
  const std::string resumed = std::string(k, 'x') + data.substr(k);
  EXPECT_EQ(Ingest("r", resumed), DigestOf(data));
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  EXPECT_EQ(Sql("select size from blobs"), std::to_string(data.size()) + "\n");
}

TEST_F(CliTest, ResumeFromAFileSeeksPastWhatTheIngestHolds) {
  const std::string data = Bytes(3 * kMiB + 123);
  const size_t k = 2 * kMiB + 1;
  WriteFile(dir_ + "/prefix", data.substr(0, k));
  ASSERT_EQ(Cs({"ingest", "r", dir_ + "/prefix", "--no-commit"}).exit_code, 0);
  WriteFile(dir_ + "/full", std::string(k, 'x') + data.substr(k));
  const Outcome o = Cs({"ingest", "r", dir_ + "/full"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, DigestOf(data) + "\n");
  // Standard input redirected from a file seeks too.
  const std::string more = Bytes(kMiB, 9);
  ASSERT_EQ(Cs({"ingest", "s", "--no-commit"}, std::string_view(more).substr(0, 1000)).exit_code,
            0);
  WriteFile(dir_ + "/more", std::string(1000, 'y') + more.substr(1000));
  const int fd = ::open((dir_ + "/more").c_str(), O_RDONLY | O_CLOEXEC);
  ASSERT_GE(fd, 0);
  Child child(Argv({"ingest", "s"}), BaseEnv(), fd);
  ::close(fd);
  const Outcome s = child.Finish();
  EXPECT_EQ(s.exit_code, 0) << s;
  EXPECT_EQ(s.out, DigestOf(more) + "\n");
}

TEST_F(CliTest, ResumeWithShorterInputExits6AndLeavesTheIngest) {
  const std::string data = Bytes(100000);
  ASSERT_EQ(Cs({"ingest", "r", "--no-commit"}, std::string_view(data).substr(0, 50000)).exit_code,
            0);
  const std::string before = Sql("select offset, total, expected, started from ingests_readable");
  Outcome o = Cs({"ingest", "r"}, std::string_view(data).substr(0, 40000));
  EXPECT_EQ(o.exit_code, 6) << o;
  ExpectOneErrorLine(o);
  WriteFile(dir_ + "/short", data.substr(0, 49999));
  o = Cs({"ingest", "r", dir_ + "/short"});
  EXPECT_EQ(o.exit_code, 6) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(Sql("select offset, total, expected, started from ingests_readable"), before);
  const Outcome status = Cs({"status", "r", "--json"});
  EXPECT_EQ(json::parse(status.out)["offset"], 50000);
  EXPECT_EQ(Ingest("r", data), DigestOf(data));
}

TEST_F(CliTest, ConcurrentIngestOfOneRefExits5) {
  const std::string data = Bytes(3 * kMiB);
  Child first(Argv({"ingest", "shared"}), BaseEnv());
  ASSERT_TRUE(first.Feed(std::string_view(data).substr(0, kMiB)));
  // Wait until the first one holds the ref.
  Outcome status;
  for (int i = 0; i < 500; ++i) {
    status = Cs({"status", "shared"});
    if (status.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status.exit_code, 0) << status;

  const Outcome second = Cs({"ingest", "shared"}, data);
  EXPECT_EQ(second.exit_code, 5) << second;
  ExpectOneErrorLine(second);
  const Outcome abort = Cs({"abort", "shared"});
  EXPECT_EQ(abort.exit_code, 5) << abort;
  ExpectOneErrorLine(abort);
  EXPECT_EQ(Sql("select count(*) from ingests where lock_pid = " + std::to_string(first.pid())),
            "1\n");

  const Outcome done = first.Finish(Once(std::string_view(data).substr(kMiB)));
  EXPECT_EQ(done.exit_code, 0) << done;
  EXPECT_EQ(done.out, DigestOf(data) + "\n");
}

TEST_F(CliTest, KillDashNineMidStreamThenResume) {
  const std::string data = Bytes(6 * kMiB + 99);
  const int64_t fed = 4 * kMiB;
  Child child(Argv({"ingest", "victim"}), BaseEnv());
  ASSERT_TRUE(child.Feed(std::string_view(data).substr(0, fed)));
  json status;
  for (int i = 0; i < 1000; ++i) {
    const Outcome o = Cs({"status", "victim", "--json"});
    if (o.exit_code == 0) {
      status = json::parse(o.out);
      if (status["offset"] == fed) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status["offset"], fed) << status;
  const Outcome killed = child.KillAndWait(SIGKILL);
  EXPECT_EQ(killed.signal, SIGKILL) << killed;

  EXPECT_EQ(Sql("select count(*) from ingests where ref = 'victim'"), "1\n");
  const Outcome active = Cs({"active", "--json"});
  ASSERT_EQ(active.exit_code, 0) << active;
  EXPECT_EQ(json::parse(active.out)["ref"], "victim");
  // The dead writer's ref is taken over; the resumed run skips what is there.
  EXPECT_EQ(Ingest("victim", std::string(fed, 'z') + data.substr(fed)), DigestOf(data));
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  const Outcome get = Cs({"get", DigestOf(data), "--verify"});
  EXPECT_EQ(get.exit_code, 0) << get.err;
  EXPECT_TRUE(get.out == data);
}

TEST_F(CliTest, ProgressBarOnlyWhenAskedOrOnATerminal) {
  const std::string data = Bytes(3 * kMiB);
  Outcome o = Cs({"ingest", "quiet-by-default"}, data);  // stderr is a pipe here
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.err, "");
  o = Cs({"ingest", "forced", "--progress", "--expected-size", std::to_string(data.size())}, data);
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, DigestOf(data) + "\n");
  EXPECT_NE(o.err.find("\rforced"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("MiB"), std::string::npos) << o.err;
  EXPECT_TRUE(o.err.ends_with("\r\x1b[K")) << "the bar erases its line at the end";
  EXPECT_EQ(o.err.find('\n'), std::string::npos) << "the bar never scrolls";
  o = Cs({"ingest", "off", "--no-progress"}, data + "x");
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.err, "");
}

// --- get -------------------------------------------------------------------------

TEST_F(CliTest, GetWritesTheBlob) {
  const std::string data = Bytes(2 * kMiB + 3);
  const std::string d = Ingest("r", data);
  Outcome o = Cs({"get", d});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(o.out == data);
  o = Cs({"get", "--verify", d});
  EXPECT_EQ(o.exit_code, 0) << o.err;
  EXPECT_TRUE(o.out == data);
  o = Cs({"get", DigestOf("missing")});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, GetVerifyDetectsCorruptionExits7) {
  const std::string data = Bytes(300000);
  const std::string d = Ingest("r", data);
  const std::string path = BlobPath(d);
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(123456);
    f.put(static_cast<char>(data[123456] ^ 0x01));
  }
  // Without --verify the damaged bytes go out unnoticed...
  Outcome o = Cs({"get", d});
  EXPECT_EQ(o.exit_code, 0) << o;
  // ... with it, they still go out, and the exit code says what they are.
  o = Cs({"get", d, "--verify"});
  EXPECT_EQ(o.exit_code, 7) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(o.out.size(), data.size());
  EXPECT_NE(o.err.find(d), std::string::npos) << o.err;
  // A blob file of the wrong size is caught even without --verify.
  ::truncate(path.c_str(), 1000);
  o = Cs({"get", d});
  EXPECT_EQ(o.exit_code, 7) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, GetIntoAClosedPipeExitsQuietly) {
  const std::string data = Bytes(8 * kMiB);
  const std::string d = Ingest("r", data);
  for (const bool verify : {false, true}) {
    std::vector<std::string> args = {"get", d};
    if (verify) args.push_back("--verify");
    Child child(Argv(args), BaseEnv());
    size_t got = 0;
    // Like `head -c1`: take one byte, then close the pipe.
    const Outcome o = child.Finish(nullptr, [&](std::string_view chunk) {
      got += chunk.size();
      return false;
    });
    EXPECT_GT(got, 0u);
    EXPECT_EQ(o.signal, 0) << o;
    EXPECT_EQ(o.exit_code, 0) << o;
    EXPECT_EQ(o.err, "");
  }
  // The same for a listing.
  Child ls(Argv({"ls", "--json"}), BaseEnv());
  const Outcome o = ls.Finish(nullptr, [](std::string_view) { return false; });
  EXPECT_EQ(o.signal, 0) << o;
  EXPECT_EQ(o.err, "");
}

// --- info, ls ----------------------------------------------------------------------

TEST_F(CliTest, InfoHumanAndJson) {
  const std::string data = Bytes(1536);
  const std::string d = Ingest("r", data, {"--label", "b=2", "--label", "a=1"});
  Outcome o = Cs({"info", d});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 5u) << o.out;
  EXPECT_EQ(lines[0], "digest:  " + d);
  EXPECT_EQ(lines[1], "size:    1536 bytes (1.5 KiB)");
  EXPECT_TRUE(lines[2].starts_with("created: ")) << lines[2];
  EXPECT_TRUE(lines[2].ends_with(" (just now)")) << lines[2];
  EXPECT_TRUE(lines[3].starts_with("updated: ")) << lines[3];
  EXPECT_EQ(lines[4], "labels:  a=1,b=2");

  o = Cs({"info", "--json", d});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(std::count(o.out.begin(), o.out.end(), '\n'), 1);
  const json j = json::parse(o.out);
  ASSERT_TRUE(j.is_object());
  EXPECT_EQ(j.size(), 5u);
  EXPECT_EQ(j["digest"], d);
  EXPECT_EQ(j["size"], 1536);
  EXPECT_EQ(j["labels"], json({{"a", "1"}, {"b", "2"}}));
  EXPECT_EQ(j["created_at"].get<std::string>() + "\n", Sql("select created from blobs_readable"));
  EXPECT_EQ(j["updated_at"].get<std::string>() + "\n", Sql("select updated from blobs_readable"));

  o = Cs({"info", DigestOf("nothing")});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, TimesAreRfc3339WithNanosecondsAndAgesAreHuman) {
  const std::string d = Ingest("r", "timed");
  // The example of the spec: 2026-11-28T05:50:00.123456789Z.
  Sql("update blobs set created_at = 1795845000123456789, updated_at = 1795845000000000001");
  const json j = json::parse(Cs({"info", d, "--json"}).out);
  EXPECT_EQ(j["created_at"], "2026-11-28T05:50:00.123456789Z");
  EXPECT_EQ(j["updated_at"], "2026-11-28T05:50:00.000000001Z");
  EXPECT_EQ(j["created_at"].get<std::string>() + "\n", Sql("select created from blobs_readable"));

  const std::string d2 = Ingest("r2", "second"), d3 = Ingest("r3", "third");
  const std::string d4 = Ingest("r4", "fourth");
  const std::string now = "cast((julianday('now') - 2440587.5) * 86400000000000 as integer)";
  auto age = [&](const std::string& digest, const std::string& seconds) {
    Sql("update blobs set created_at = " + now + " - " + seconds +
        " * 1000000000 where digest = '" + digest + "'");
  };
  age(d, "(5 * 86400 + 30)");
  age(d2, "(3 * 60 + 5)");
  age(d3, "(2 * 3600 + 100)");
  const std::string out = Cs({"ls"}).out;
  for (const auto& [digest, text] : std::vector<std::pair<std::string, std::string>>{
           {d, "5 days ago"}, {d2, "3 minutes ago"}, {d3, "2 hours ago"}, {d4, "just now"}}) {
    const size_t row = out.find(digest);
    ASSERT_NE(row, std::string::npos);
    const std::string line = out.substr(row, out.find('\n', row) - row);
    EXPECT_NE(line.find("  " + text + "  "), std::string::npos) << line;
  }
}

TEST_F(CliTest, LsHumanQuietAndJson) {
  const std::string small = Ingest("s", Bytes(512), {"--label", "z=last", "--label", "a=first"});
  const std::string big = Ingest("b", Bytes(12 * kMiB + 300 * 1024));
  const std::string none = Ingest("n", "");
  // On a loaded machine the ingests may take seconds: make them all "now"
  // (the unix epoch in ns, as the catalog keeps times).
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  Sql("UPDATE blobs SET created_at = " + std::to_string(now_ns));

  Outcome o = Cs({"ls"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 4u) << o.out;
  const std::string& header = lines[0];
  EXPECT_TRUE(header.starts_with("DIGEST ")) << header;
  const size_t size_end = header.find("SIZE") + 4;  // sizes are right-aligned
  const size_t age_at = header.find("AGE");
  const size_t labels_at = header.find("LABELS");
  ASSERT_NE(labels_at, std::string::npos);
  std::map<std::string, std::string> rows;
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string& line = lines[i];
    rows[line.substr(0, line.find(' '))] = line;
    EXPECT_EQ(line[size_end], ' ') << line;
    EXPECT_NE(line[size_end - 1], ' ') << line;
    EXPECT_EQ(line.substr(age_at, 8), "just now") << line;
    EXPECT_EQ(line[labels_at - 1], ' ') << line;
    EXPECT_NE(line[labels_at], ' ') << line;
  }
  EXPECT_TRUE(rows[small].ends_with("512 B  just now  a=first,z=last")) << rows[small];
  EXPECT_NE(rows[big].find("12.3 MiB"), std::string::npos) << rows[big];
  EXPECT_TRUE(rows[big].ends_with("  -")) << rows[big];
  EXPECT_NE(rows[none].find(" 0 B  "), std::string::npos) << rows[none];

  o = Cs({"ls", "-q"});
  ASSERT_EQ(o.exit_code, 0) << o;
  std::vector<std::string> sorted = {small, big, none};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Lines(o.out), sorted);
  EXPECT_EQ(Cs({"list", "--quiet"}).out, o.out);

  o = Cs({"ls", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto json_lines = Lines(o.out);
  ASSERT_EQ(json_lines.size(), 3u);
  for (size_t i = 0; i < json_lines.size(); ++i) {
    const json j = json::parse(json_lines[i]);
    EXPECT_EQ(j["digest"], sorted[i]);
    EXPECT_EQ(j["size"],
              std::stoll(Sql("select size from blobs where digest = '" + sorted[i] + "'")));
    EXPECT_TRUE(IsRfc3339Nanos(j["created_at"].get<std::string>())) << j;
    EXPECT_TRUE(IsRfc3339Nanos(j["updated_at"].get<std::string>())) << j;
    EXPECT_TRUE(j["labels"].is_object());
    EXPECT_EQ(json::parse(Cs({"info", sorted[i], "--json"}).out), j);
  }
  EXPECT_EQ(json::parse(Cs({"info", small, "--json"}).out)["labels"],
            json({{"a", "first"}, {"z", "last"}}));
}

TEST_F(CliTest, LsFilters) {
  const std::string a =
      Ingest("a", "aaa", {"--label", "containerd.io/gc.root=2024", "--label", "team=x"});
  const std::string b = Ingest("b", "bbbbbb", {"--label", "team=y"});
  const std::string c = Ingest("c", "c");
  auto ls = [&](std::vector<std::string> filters) {
    filters.insert(filters.begin(), {"ls", "-q"});
    const Outcome o = Cs(filters);
    EXPECT_EQ(o.exit_code, 0) << o;
    auto lines = Lines(o.out);
    std::sort(lines.begin(), lines.end());
    return lines;
  };
  auto sorted = [](std::vector<std::string> v) {
    std::sort(v.begin(), v.end());
    return v;
  };
  EXPECT_EQ(ls({"labels.\"containerd.io/gc.root\""}), sorted({a}));
  EXPECT_EQ(ls({"labels.team==y"}), sorted({b}));
  EXPECT_EQ(ls({"labels.team!=y"}), sorted({a, c}));
  EXPECT_EQ(ls({"labels.team~=^[xy]$"}), sorted({a, b}));
  EXPECT_EQ(ls({"size==6"}), sorted({b}));
  EXPECT_EQ(ls({"digest==" + c}), sorted({c}));
  EXPECT_EQ(ls({"labels.team==x,size==3"}), sorted({a}));
  EXPECT_EQ(ls({"labels.team==x,size==6"}), sorted(std::vector<std::string>{}));
  EXPECT_EQ(ls({"size==1", "size==6"}), sorted({b, c}));  // several filters: OR
}

// --- label, rm ------------------------------------------------------------------

TEST_F(CliTest, LabelSetsAndRemovesAndPrintsTheResult) {
  const std::string d = Ingest("r", "x", {"--label", "keep=1", "--label", "drop=2"});
  const std::string created = Sql("select created_at from blobs");
  Outcome o = Cs({"label", d, "drop=", "new=v=w", "containerd.io/gc.ref.content.l.0=" + d});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "containerd.io/gc.ref.content.l.0=" + d + "\nkeep=1\nnew=v=w\n");
  EXPECT_EQ(Sql("select key, value from blob_labels order by key"),
            "containerd.io/gc.ref.content.l.0|" + d + "\nkeep|1\nnew|v=w\n");
  EXPECT_EQ(Sql("select created_at from blobs"), created);
  EXPECT_EQ(Sql("select updated_at > created_at from blobs"), "1\n");
  // No KEY=VALUE: just show them.
  o = Cs({"label", d});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "containerd.io/gc.ref.content.l.0=" + d + "\nkeep=1\nnew=v=w\n");
  // One bad argument changes nothing.
  o = Cs({"label", d, "keep=", "oops"});
  EXPECT_EQ(o.exit_code, 2) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(Sql("select count(*) from blob_labels where key = 'keep'"), "1\n");
  o = Cs({"label", DigestOf("missing"), "a=b"});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, RmDeletesBlobsUnderEveryAlias) {
  std::vector<std::string> digests;
  for (int i = 0; i < 5; ++i) digests.push_back(Ingest("r" + std::to_string(i), Bytes(100, i)));
  Outcome o = Cs({"rm", digests[0], digests[1]});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, digests[0] + "\n" + digests[1] + "\n");
  size_t next = 2;
  for (const char* alias : {"delete", "del", "remove"}) {
    const std::string& d = digests[next++];
    o = Cs({alias, d});
    EXPECT_EQ(o.exit_code, 0) << alias << o;
    EXPECT_EQ(o.out, d + "\n");
  }
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  EXPECT_EQ(Sql("select count(*) from blob_labels"), "0\n");
  for (const auto& d : digests) EXPECT_FALSE(fs::exists(BlobPath(d))) << d;
}

TEST_F(CliTest, SeveralArgumentsActOnAllAndExitWithTheFirstFailure) {
  const std::string a = Ingest("a", "a", {"--label", "k=v"}), b = Ingest("b", "b");
  Outcome o = Cs({"rm", DigestOf("missing"), a, "bad-digest", b});
  EXPECT_EQ(o.exit_code, 3) << o;
  EXPECT_EQ(o.out, a + "\n" + b + "\n");
  EXPECT_EQ(Lines(o.err).size(), 2u) << o.err;
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  EXPECT_EQ(Sql("select count(*) from blob_labels"), "0\n");

  ASSERT_EQ(Cs({"ingest", "x", "--no-commit"}, "x").exit_code, 0);
  ASSERT_EQ(Cs({"ingest", "y", "--no-commit"}, "y").exit_code, 0);
  o = Cs({"abort", "bad\x01ref", "x", "nope", "y"});
  EXPECT_EQ(o.exit_code, 2) << o;
  EXPECT_EQ(o.out, "x\ny\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
}

// --- active, status, abort --------------------------------------------------------

TEST_F(CliTest, ActiveHumanAndJson) {
  const std::string data = Bytes(3 * kMiB);
  ASSERT_EQ(Cs({"ingest", "layer-1", "--no-commit", "--expected-size", std::to_string(data.size()),
                "--expected-digest", DigestOf(data)},
               std::string_view(data).substr(0, kMiB + kMiB / 2))
                .exit_code,
            0);
  ASSERT_EQ(Cs({"ingest", "config", "--no-commit"}, "{}").exit_code, 0);

  Outcome o = Cs({"active"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 3u) << o.out;
  EXPECT_TRUE(lines[0].starts_with("REF ")) << lines[0];
  for (const char* column : {"OFFSET", "TOTAL", "AGE"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << column;
  }
  EXPECT_TRUE(lines[1].starts_with("config ")) << lines[1];
  EXPECT_NE(lines[1].find("2 B"), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("  -  "), std::string::npos) << lines[1];
  EXPECT_TRUE(lines[1].ends_with("just now")) << lines[1];
  EXPECT_NE(lines[2].find("1.5 MiB"), std::string::npos) << lines[2];
  EXPECT_NE(lines[2].find("3.0 MiB"), std::string::npos) << lines[2];
  EXPECT_EQ(lines[1].find("just now"), lines[2].find("just now"));

  o = Cs({"active", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto json_lines = Lines(o.out);
  ASSERT_EQ(json_lines.size(), 2u);
  const json config = json::parse(json_lines[0]), layer = json::parse(json_lines[1]);
  EXPECT_EQ(config.size(), 6u);
  EXPECT_EQ(config["ref"], "config");
  EXPECT_EQ(config["offset"], 2);
  EXPECT_TRUE(config["total"].is_null());
  EXPECT_TRUE(config["expected"].is_null());
  EXPECT_EQ(layer["ref"], "layer-1");
  EXPECT_EQ(layer["offset"], kMiB + kMiB / 2);
  EXPECT_EQ(layer["total"], data.size());
  EXPECT_EQ(layer["expected"], DigestOf(data));
  EXPECT_EQ(
      layer["started_at"].get<std::string>() + "|" + layer["updated_at"].get<std::string>() + "\n",
      Sql("select started, updated from ingests_readable where ref = 'layer-1'"));

  o = Cs({"active", "ref~=^layer-", "--json"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(Lines(o.out).size(), 1u);
  EXPECT_EQ(json::parse(o.out)["ref"], "layer-1");
  o = Cs({"active", "ref==nothing"});
  EXPECT_EQ(Lines(o.out).size(), 1u) << "just the header";
}

TEST_F(CliTest, StatusHumanAndJson) {
  ASSERT_EQ(Cs({"ingest", "r", "--no-commit", "--expected-size", "4096"}, Bytes(2048)).exit_code,
            0);
  Outcome o = Cs({"status", "r"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 6u) << o.out;
  EXPECT_EQ(lines[0], "ref:      r");
  EXPECT_EQ(lines[1], "offset:   2048 bytes (2.0 KiB)");
  EXPECT_EQ(lines[2], "total:    4096 bytes (4.0 KiB)");
  EXPECT_EQ(lines[3], "expected: -");
  EXPECT_TRUE(lines[4].starts_with("started:  ")) << lines[4];
  EXPECT_TRUE(lines[5].starts_with("updated:  ")) << lines[5];

  o = Cs({"status", "r", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const json j = json::parse(o.out);
  EXPECT_EQ(j["ref"], "r");
  EXPECT_EQ(j["offset"], 2048);
  EXPECT_EQ(j["total"], 4096);
  EXPECT_TRUE(j["expected"].is_null());
  EXPECT_TRUE(IsRfc3339Nanos(j["started_at"].get<std::string>()));
  EXPECT_TRUE(IsRfc3339Nanos(j["updated_at"].get<std::string>()));

  o = Cs({"status", "nope"});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, AbortRemovesIngests) {
  ASSERT_EQ(Cs({"ingest", "a", "--no-commit"}, Bytes(5000)).exit_code, 0);
  ASSERT_EQ(Cs({"ingest", "b", "--no-commit"}, Bytes(5000)).exit_code, 0);
  ASSERT_EQ(Cs({"ingest", "c", "--no-commit"}, Bytes(5000)).exit_code, 0);
  EXPECT_EQ(Sql("select count(*) from ingests"), "3\n");
  Outcome o = Cs({"abort", "a", "c"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "a\nc\n");
  EXPECT_EQ(Sql("select ref from ingests"), "b\n");
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  o = Cs({"abort", "a"});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
  // An aborted ref starts from scratch.
  EXPECT_EQ(Ingest("a", "fresh"), DigestOf("fresh"));
}

// --- Store root ---------------------------------------------------------------------

TEST_F(CliTest, RootOptionBeforeOrAfterTheCommand) {
  const std::string other = dir_ + "/other";
  std::vector<std::string> env = BaseEnv();
  Outcome o = Raw({"ingest", "r", "--root", other}, env);
  // No input was given: standard input is empty, so that is the empty blob.
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(fs::exists(other + "/catalog.db"));
  o = Raw({"ls", "-q", "--root=" + other}, env);
  EXPECT_EQ(o.out, DigestOf("") + "\n") << o;
  o = Raw({"--root", other, "ls", "-q"}, env);
  EXPECT_EQ(o.out, DigestOf("") + "\n") << o;
  EXPECT_FALSE(fs::exists(root_));
  o = Raw({"--root", "", "ls"}, env);
  EXPECT_EQ(o.exit_code, 2) << o;
  ExpectOneErrorLine(o);
}

TEST_F(CliTest, RootFromEnvironment) {
  const std::string env_root = dir_ + "/env-root", xdg = dir_ + "/xdg";
  const std::string home_store = home_ + "/.local/share/contentstore";
  auto env_with = [&](std::vector<std::string> extra) {
    std::vector<std::string> env = BaseEnv();
    env.insert(env.end(), extra.begin(), extra.end());
    return env;
  };
  auto ingest = [&](const std::string& ref, std::vector<std::string> env) {
    std::vector<std::string> argv = {kBinary, "ingest", ref};
    Child child(argv, env);
    const Outcome o = child.Finish(Once(ref));
    EXPECT_EQ(o.exit_code, 0) << o;
  };
  auto has = [&](const std::string& root, const std::string& ref) {
    return fs::exists(root + "/blobs/sha256/" + HexOf(DigestOf(ref)));
  };
  // HOME alone: ~/.local/share/contentstore, created on first use.
  ingest("home", env_with({}));
  EXPECT_TRUE(has(home_store, "home"));
  // XDG_DATA_HOME beats HOME; a relative one is ignored, as is an empty one.
  ingest("xdg", env_with({"XDG_DATA_HOME=" + xdg}));
  EXPECT_TRUE(has(xdg + "/contentstore", "xdg"));
  ingest("relative-xdg", env_with({"XDG_DATA_HOME=relative/dir"}));
  EXPECT_TRUE(has(home_store, "relative-xdg"));
  // CONTENTSTORE_ROOT beats both; an empty one counts as unset.
  ingest("env", env_with({"XDG_DATA_HOME=" + xdg, "CONTENTSTORE_ROOT=" + env_root}));
  EXPECT_TRUE(has(env_root, "env"));
  ingest("empty-env", env_with({"XDG_DATA_HOME=" + xdg, "CONTENTSTORE_ROOT="}));
  EXPECT_TRUE(has(xdg + "/contentstore", "empty-env"));
  // --root beats everything.
  std::vector<std::string> argv = {kBinary, "--root", root_, "ingest", "flag"};
  Child child(argv, env_with({"XDG_DATA_HOME=" + xdg, "CONTENTSTORE_ROOT=" + env_root}));
  EXPECT_EQ(child.Finish(Once("flag")).exit_code, 0);
  EXPECT_TRUE(has(root_, "flag"));
  EXPECT_FALSE(has(env_root, "flag"));
  // A root that is a file is an invalid argument.
  WriteFile(dir_ + "/file-root", "not a directory");
  const Outcome file_root = Raw({"--root", dir_ + "/file-root", "ls"}, env_with({}));
  EXPECT_EQ(file_root.exit_code, 2) << file_root;
  ExpectOneErrorLine(file_root);
}

// --- Read-only commands and label checks ------------------------------------------

TEST_F(CliTest, ReadOnlyCommandsOnAMissingRootExit3AndCreateNothing) {
  const std::string d = DigestOf("x");
  const std::vector<std::vector<std::string>> read_only = {
      {"ls"},          {"info", d},          {"get", d},          {"active"},
      {"status", "r"}, {"label", d},         {"lease", "ls"},     {"lease", "show", "L"},
      {"fsck"},        {"fsck", "--verify"}, {"gc", "--dry-run"},
  };
  // No directory at all, then a directory without a catalog (a mistyped
  // --root that happens to exist): neither becomes a store.
  for (const bool dir_exists : {false, true}) {
    if (dir_exists) fs::create_directories(root_);
    for (const auto& args : read_only) {
      std::string name = args[0];
      if (args[0] == "lease") name += " " + args[1];
      SCOPED_TRACE(name);
      const Outcome o = Cs(args);
      EXPECT_EQ(o.exit_code, 3) << o;
      EXPECT_EQ(o.err, "contentstore: " + name + ": no store at " + root_ + "\n");
      EXPECT_EQ(o.out, "");
    }
    EXPECT_EQ(fs::exists(root_), dir_exists);
    if (dir_exists) {
      EXPECT_TRUE(fs::is_empty(root_));
    }
  }
  // Commands that write still create the store on first use.
  const std::vector<std::vector<std::string>> writing = {
      {"ingest", "r"},
      {"lease", "create"},
      {"gc"},
  };
  for (const auto& args : writing) {
    fs::remove_all(root_);
    const Outcome o = Cs(args);
    EXPECT_EQ(o.exit_code, 0) << o;
    EXPECT_TRUE(fs::exists(root_ + "/catalog.db")) << args[0];
  }
  // ... and the read-only ones find it (what they look for may still be missing).
  for (const auto& args : read_only) {
    const Outcome r = Cs(args);
    EXPECT_EQ(r.err.find("no store"), std::string::npos) << r;
  }
}

TEST_F(CliTest, IngestWithATooLongLabelExits2BeforeReadingItsInput) {
  const std::string existing = Ingest("existing", "x");  // so "nothing created" means something
  int in[2];
  ASSERT_EQ(::pipe2(in, O_CLOEXEC), 0);
  const std::string input = "these bytes must still be in the pipe afterwards";
  ASSERT_EQ(::write(in[1], input.data(), input.size()), static_cast<ssize_t>(input.size()));
  // Closed, so an ingest that reads (the bug) gets to the end and fails the
  // check below instead of waiting forever.
  ::close(in[1]);
  Child child(Argv({"ingest", "r", "--label", "ok=1", "--label", "k=" + std::string(5000, 'v')}),
              BaseEnv(), in[0]);
  const Outcome o = child.Finish();
  EXPECT_EQ(o.exit_code, 2) << o;
  ExpectOneErrorLine(o);
  EXPECT_NE(o.err.find("5001 bytes"), std::string::npos) << o.err;
  std::string left(input.size() + 1, '\0');
  const ssize_t n = ::read(in[0], left.data(), left.size());
  ::close(in[0]);
  EXPECT_EQ(n, static_cast<ssize_t>(input.size()));
  EXPECT_EQ(left.substr(0, input.size()), input) << "the input was not read";
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  EXPECT_TRUE(fs::is_empty(root_ + "/ingest"));
  EXPECT_EQ(Sql("select digest from blobs"), existing + "\n");
}

// --- lease ---------------------------------------------------------------------------

TEST_F(CliTest, LeaseCreateWithAnId) {
  const Outcome o = Cs({"lease", "create", "--id", "build-42"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "build-42\n");
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(Sql("select id, expires_at is null, created_at > 0 from leases"), "build-42|1|1\n");
  EXPECT_EQ(Sql("select count(*) from lease_labels"), "0\n");
  // Any UTF-8 without control characters will do.
  EXPECT_EQ(CreateLease({"--id", "pull \"alpine\", ü/1.0"}), "pull \"alpine\", ü/1.0");
}

TEST_F(CliTest, LeaseCreateWithoutAnIdPicksARandomOne) {
  const std::string a = CreateLease(), b = CreateLease();
  EXPECT_NE(a, b);
  for (const std::string& id : {a, b}) {
    // containerd's form: "<unix nanoseconds>-<random>".
    const size_t dash = id.find('-');
    ASSERT_NE(dash, std::string::npos) << id;
    EXPECT_TRUE(std::all_of(id.begin(), id.begin() + static_cast<ptrdiff_t>(dash), [](char c) {
      return c >= '0' && c <= '9';
    })) << id;
    EXPECT_GT(id.size(), dash + 1) << id;
  }
  std::vector<std::string> sorted = {a, b};
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(Sql("select id from leases order by id"), sorted[0] + "\n" + sorted[1] + "\n");
}

TEST_F(CliTest, LeaseCreateExpireTakesDurations) {
  const std::vector<std::pair<std::string, int64_t>> cases = {
      {"30s", 30},         {"15m", 900}, {"24h", 86400}, {"1h30m", 5400}, {"2d", 172800},
      {"1d2h3m4s", 93784}, {"0s", 0},    {"0", 0},       {"007m", 420},
  };
  for (const auto& [text, seconds] : cases) {
    const std::string id = CreateLease({"--id", "e" + text, "--expire", text});
    // Exact to the nanosecond: the expiry is the creation time plus DURATION.
    EXPECT_EQ(Sql("select expires_at - created_at from leases where id = '" + id + "'"),
              std::to_string(seconds * 1000000000) + "\n")
        << text;
    EXPECT_EQ(Sql("select count(*) from lease_labels where lease_id = '" + id +
                  "' and key = 'containerd.io/gc.expire'"),
              "1\n");
  }
}

TEST_F(CliTest, LeaseCreateBadDurationExits2) {
  // 106751d fits in 64-bit nanoseconds, but not once added to the time now.
  for (const char* bad : {"", "1x", "90", "1.5h", "-1s", "+1s", "1 h", "h", "1h1h", "30m1h", "1hh",
                          "1s30m", "106751d", "106752d", "99999999999999999999s"}) {
    SCOPED_TRACE(bad);
    const Outcome o = Cs({"lease", "create", "--expire", bad});
    EXPECT_EQ(o.exit_code, 2) << o;
    ExpectOneErrorLine(o);
    EXPECT_EQ(o.out, "");
  }
  EXPECT_FALSE(fs::exists(root_)) << "checked before the store is opened";
  const Outcome century = Cs({"lease", "create", "--expire", "36500d"});
  EXPECT_EQ(century.exit_code, 0) << century;
  EXPECT_EQ(Sql("select count(*) from leases"), "1\n");
}

TEST_F(CliTest, LeaseCreateWithLabels) {
  const std::string id = CreateLease({"--id", "L", "--label", "team=ci", "--label", "a=b=c",
                                      "--label", "containerd.io/gc.expire=2030-01-02T03:04:05Z"});
  EXPECT_EQ(Sql("select key, value from lease_labels where lease_id = 'L' order by key"),
            "a|b=c\ncontainerd.io/gc.expire|2030-01-02T03:04:05Z\nteam|ci\n");
  // The expiry label sets the expiry, as --expire does.
  EXPECT_EQ(Sql("select expires_at from leases"), "1893553445000000000\n");
}

TEST_F(CliTest, LeaseCreateDuplicateIdExits4) {
  CreateLease({"--id", "dup", "--label", "first=1"});
  const Outcome o = Cs({"lease", "create", "--id", "dup", "--label", "second=2"});
  EXPECT_EQ(o.exit_code, 4) << o;
  ExpectOneErrorLine(o);
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(Sql("select lease_id, key from lease_labels"), "dup|first\n");
}

// --- Images ------------------------------------------------------------------

// Names come from importers (the library's put_image); the command lists,
// copies and removes them, and ROOT/index.json follows.
std::string ReadFile(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(f), {});
}

TEST_F(CliTest, ImageLsRmTag) {
  const std::string manifest = DigestOf("manifest"), other = DigestOf("other");
  {
    using namespace contentstore;
    auto store = Store::Open(root_, Options{});
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    for (const auto& [name, digest, labels] :
         std::vector<std::tuple<std::string, std::string, Labels>>{
             {"docker.io/library/app:1", manifest, {{"team", "blue"}}},
             {"app:2", other, {}}}) {
      Image image;
      image.name = name;
      image.target = {"application/vnd.oci.image.manifest.v1+json", *Digest::Parse(digest), 1234};
      image.labels = labels;
      ASSERT_TRUE((*store)->put_image(image).ok());
    }
  }
  Outcome o = Cs({"image", "ls"});
  ASSERT_EQ(o.exit_code, 0) << o;
  auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 3u) << o.out;
  EXPECT_TRUE(lines[0].starts_with("NAME ")) << lines[0];
  for (const char* column : {"TYPE", "DIGEST", "SIZE", "UPDATED", "LABELS"}) {
    EXPECT_NE(lines[0].find(column), std::string::npos) << column;
  }
  EXPECT_TRUE(lines[1].starts_with("app:2 ")) << lines[1];
  EXPECT_NE(lines[1].find(other), std::string::npos) << lines[1];
  EXPECT_NE(lines[1].find("1.2 KiB"), std::string::npos) << lines[1];
  EXPECT_TRUE(lines[2].ends_with("  team=blue")) << lines[2];

  o = Cs({"image", "ls", "--json", "name~=docker"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto listed = json::parse(o.out);
  EXPECT_EQ(listed["name"], "docker.io/library/app:1");
  EXPECT_EQ(listed["target"]["digest"], manifest);
  EXPECT_EQ(listed["target"]["size"], 1234);
  EXPECT_EQ(listed["labels"]["team"], "blue");
  EXPECT_EQ(Cs({"image", "ls", "-q", "target.digest==" + other}).out, "app:2\n");
  EXPECT_EQ(Cs({"image", "ls", "-q", "bogus==1"}).exit_code, 2);

  o = Cs({"image", "tag", "app:2", "app:latest"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "app:latest\n");
  EXPECT_EQ(Cs({"image", "tag", "missing", "x"}).exit_code, 3);
  EXPECT_EQ(Cs({"image", "tag", "app:2", ""}).exit_code, 2);
  EXPECT_EQ(Cs({"image", "ls", "-q"}).out, "app:2\napp:latest\ndocker.io/library/app:1\n");
  const auto index = json::parse(ReadFile(root_ + "/index.json"));
  ASSERT_EQ(index["manifests"].size(), 3u);
  EXPECT_EQ(index["manifests"][1]["annotations"]["org.opencontainers.image.ref.name"],
            "app:latest");

  // Every name is tried; the first failure decides the exit code.
  o = Cs({"image", "rm", "missing", "app:2", "app:latest"});
  EXPECT_EQ(o.exit_code, 3) << o;
  EXPECT_EQ(o.out, "app:2\napp:latest\n");
  EXPECT_EQ(Cs({"image", "ls", "-q"}).out, "docker.io/library/app:1\n");
  EXPECT_EQ(json::parse(ReadFile(root_ + "/index.json"))["manifests"].size(), 1u);
  // index.json is what fsck expects.
  EXPECT_EQ(Cs({"fsck"}).exit_code, 0);
}

TEST_F(CliTest, LeaseLsColumnsAndFilters) {
  CreateLease({"--id", "a", "--label", "team=x"});
  CreateLease({"--id", "b", "--label", "team=y", "--expire", "2d"});
  CreateLease({"--id", "c", "--expire", "0s"});  // expired at once
  Outcome o = Cs({"lease", "ls"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 4u) << o.out;
  const std::string& header = lines[0];
  EXPECT_TRUE(header.starts_with("ID ")) << header;
  const size_t created_at = header.find("CREATED"), expires_at = header.find("EXPIRES");
  const size_t labels_at = header.find("LABELS");
  ASSERT_NE(labels_at, std::string::npos) << header;
  ASSERT_LT(created_at, expires_at);
  // Relative and recent (each command takes a while to start on a busy or
  // sanitized build): "just now" or "N second(s) ago".
  for (size_t i = 1; i < lines.size(); ++i) {
    const std::string created = lines[i].substr(created_at, expires_at - created_at);
    EXPECT_TRUE(created.starts_with("just now") ||
                created.find(" second ago") != std::string::npos ||
                created.find(" seconds ago") != std::string::npos)
        << lines[i];
  }
  EXPECT_TRUE(lines[1].starts_with("a ")) << lines[1];
  EXPECT_EQ(lines[1].substr(expires_at, 6), "never ") << lines[1];
  EXPECT_TRUE(lines[1].ends_with("  team=x")) << lines[1];
  const std::string b_expiry = lines[2].substr(expires_at, 30);
  EXPECT_TRUE(IsRfc3339Nanos(b_expiry)) << lines[2];
  EXPECT_EQ(lines[2].find("(expired)"), std::string::npos) << lines[2];
  EXPECT_TRUE(lines[2].ends_with(",team=y")) << lines[2];
  EXPECT_TRUE(IsRfc3339Nanos(lines[3].substr(expires_at, 30))) << lines[3];
  EXPECT_EQ(lines[3].substr(expires_at + 30, 10), " (expired)") << lines[3];

  auto ids = [&](std::vector<std::string> args) {
    args.insert(args.begin(), {"lease", "ls", "-q"});
    const Outcome r = Cs(args);
    EXPECT_EQ(r.exit_code, 0) << r;
    return r.out;
  };
  EXPECT_EQ(ids({}), "a\nb\nc\n");
  EXPECT_EQ(ids({"id==b"}), "b\n");
  EXPECT_EQ(ids({"id~=^[ac]$"}), "a\nc\n");
  EXPECT_EQ(ids({"labels.team"}), "a\nb\n");
  EXPECT_EQ(ids({"labels.team==y"}), "b\n");
  EXPECT_EQ(ids({"labels.team!=y"}), "a\nc\n");
  EXPECT_EQ(ids({"labels.\"containerd.io/gc.expire\""}), "b\nc\n");
  EXPECT_EQ(ids({"labels.team==x,id==b"}), "");
  EXPECT_EQ(ids({"labels.team==x", "id==c"}), "a\nc\n");  // several filters: OR
  EXPECT_EQ(Cs({"lease", "list", "--quiet", "id==a"}).out, "a\n");
  EXPECT_EQ(Lines(Cs({"lease", "ls", "id==nothing"}).out).size(), 1u) << "just the header";
  // --root may follow the command, as everywhere.
  o = Raw({"lease", "ls", "-q", "--root", root_}, BaseEnv());
  EXPECT_EQ(o.out, "a\nb\nc\n") << o;
}

TEST_F(CliTest, LeaseLsJson) {
  CreateLease({"--id", "a", "--label", "team=x", "--label", "b=2"});
  CreateLease({"--id", "b", "--expire", "1h"});
  const Outcome o = Cs({"lease", "ls", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  const json a = json::parse(lines[0]), b = json::parse(lines[1]);
  EXPECT_EQ(a.size(), 4u) << a;
  EXPECT_EQ(a["id"], "a");
  EXPECT_TRUE(IsRfc3339Nanos(a["created_at"].get<std::string>())) << a;
  EXPECT_TRUE(a["expires_at"].is_null()) << a;
  EXPECT_EQ(a["labels"], json({{"b", "2"}, {"team", "x"}}));
  EXPECT_EQ(b["id"], "b");
  ASSERT_TRUE(b["expires_at"].is_string()) << b;
  EXPECT_TRUE(IsRfc3339Nanos(b["expires_at"].get<std::string>())) << b;
  EXPECT_EQ(b["labels"], json({{"containerd.io/gc.expire", b["expires_at"]}}));
  EXPECT_GT(b["expires_at"].get<std::string>(), b["created_at"].get<std::string>());
  // created_at is the catalog's, to the nanosecond.
  const std::string nanos = Sql("select created_at % 1000000000 from leases where id = 'a'");
  EXPECT_EQ(std::stoll(a["created_at"].get<std::string>().substr(20, 9)), std::stoll(nanos));
  EXPECT_EQ(Cs({"lease", "ls", "--json", "labels.team==x"}).out, lines[0] + "\n");
}

TEST_F(CliTest, LeaseRmUnknownExits3) {
  CreateLease({"--id", "known"});
  const Outcome o = Cs({"lease", "rm", "unknown"});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
  EXPECT_NE(o.err.find("unknown"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(Sql("select id from leases"), "known\n");
}

TEST_F(CliTest, LeaseRmSeveralIdsActsOnAllUnderEveryAlias) {
  const std::string d = Ingest("r", "held");
  for (const char* id : {"a", "b", "c", "d", "e", "f"}) CreateLease({"--id", id});
  ASSERT_EQ(Cs({"lease", "add", "a", d}).exit_code, 0);
  Outcome o = Cs({"lease", "rm", "a", "nope", "b", "bad\x01id"});
  EXPECT_EQ(o.exit_code, 3) << o;
  EXPECT_EQ(o.out, "a\nb\n");
  EXPECT_EQ(Lines(o.err).size(), 2u) << o.err;
  EXPECT_EQ(Sql("select id from leases order by id"), "c\nd\ne\nf\n");
  EXPECT_EQ(Sql("select count(*) from lease_resources"), "0\n") << "they went with lease a";
  EXPECT_EQ(Sql("select count(*) from blobs"), "1\n") << "without --sync nothing is collected";
  o = Cs({"lease", "delete", "c"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "c\n");
  o = Cs({"lease", "del", "d"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "d\n");
  o = Cs({"lease", "remove", "e", "f"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "e\nf\n");
  EXPECT_EQ(Sql("select count(*) from leases"), "0\n");
}

TEST_F(CliTest, LeaseRmSyncCollectsWhatOnlyTheLeaseHeld) {
  const std::string held = Ingest("held", "held by the lease");
  const std::string other = Ingest("other", "held by another lease");
  MakeOld(held);
  MakeOld(other);
  CreateLease({"--id", "L"});
  CreateLease({"--id", "M"});
  ASSERT_EQ(Cs({"lease", "add", "L", held}).exit_code, 0);
  ASSERT_EQ(Cs({"lease", "add", "M", other}).exit_code, 0);
  const Outcome o = Cs({"lease", "rm", "--sync", "L"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "L\n");
  EXPECT_EQ(Sql("select digest from blobs"), other + "\n");
  EXPECT_FALSE(fs::exists(BlobPath(held)));
  EXPECT_TRUE(fs::exists(BlobPath(other)));
  EXPECT_EQ(Sql("select lease_id, type, id from lease_resources"), "M|content|" + other + "\n");
}

TEST_F(CliTest, LeaseAddDropAndShow) {
  const std::string a = Ingest("a", "aaa"), b = DigestOf("not committed yet");
  CreateLease({"--id", "L", "--label", "team=ci"});
  Outcome o = Cs({"lease", "add", "L", a, b, "--ingest", "layer-1", "--ingest", "layer-2"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, a + "\n" + b + "\nlayer-1\nlayer-2\n");
  const std::vector<std::string> content = [&] {
    std::vector<std::string> v = {a, b};
    std::sort(v.begin(), v.end());
    return v;
  }();
  EXPECT_EQ(Sql("select lease_id, type, id from lease_resources order by type, id"),
            "L|content|" + content[0] + "\nL|content|" + content[1] +
                "\nL|ingest|layer-1\nL|ingest|layer-2\n");
  // Adding what is held already is fine.
  EXPECT_EQ(Cs({"lease", "add", "L", a}).exit_code, 0);
  EXPECT_EQ(Sql("select count(*) from lease_resources"), "4\n");

  o = Cs({"lease", "show", "L"});
  ASSERT_EQ(o.exit_code, 0) << o;
  auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 9u) << o.out;
  EXPECT_EQ(lines[0], "id:        L");
  EXPECT_TRUE(lines[1].starts_with("created:   ")) << lines[1];
  EXPECT_TRUE(lines[1].ends_with(" (just now)")) << lines[1];
  EXPECT_EQ(lines[2], "expires:   never");
  EXPECT_EQ(lines[3], "labels:    team=ci");
  EXPECT_EQ(lines[4], "resources: 4");
  EXPECT_EQ(lines[5], "  content  " + content[0]);
  EXPECT_EQ(lines[6], "  content  " + content[1]);
  EXPECT_EQ(lines[7], "  ingest   layer-1");
  EXPECT_EQ(lines[8], "  ingest   layer-2");

  o = Cs({"lease", "drop", "L", a, "--ingest", "layer-1", "--ingest", "never-held"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, a + "\nlayer-1\nnever-held\n");
  EXPECT_EQ(Sql("select type, id from lease_resources order by type, id"),
            "content|" + b + "\ningest|layer-2\n");

  o = Cs({"lease", "show", "L", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const json j = JsonOf(o);
  EXPECT_EQ(j.size(), 5u) << j;
  EXPECT_EQ(j["id"], "L");
  EXPECT_TRUE(j["expires_at"].is_null());
  EXPECT_EQ(j["labels"], json({{"team", "ci"}}));
  EXPECT_EQ(j["resources"], json::parse(R"([{"type":"content","id":")" + b +
                                        R"("},{"type":"ingest","id":"layer-2"}])"));
  const json listed = json::parse(Cs({"lease", "ls", "--json"}).out);
  EXPECT_EQ(listed["created_at"], j["created_at"]);

  // An unknown lease: one error line, however many resources were named.
  for (const char* cmd : {"add", "drop"}) {
    o = Cs({"lease", cmd, "nope", a, b, "--ingest", "x"});
    EXPECT_EQ(o.exit_code, 3) << cmd << o;
    ExpectOneErrorLine(o);
    EXPECT_EQ(o.out, "");
  }
  o = Cs({"lease", "show", "nope"});
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
  // Ids the filter syntax would need quoted are still found.
  CreateLease({"--id", "odd \"id\", with\\ comma"});
  o = Cs({"lease", "show", "odd \"id\", with\\ comma", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["id"], "odd \"id\", with\\ comma");
  // ... and so are those it cannot express (it refuses U+FFFD).
  CreateLease({"--id", "r\xEF\xBF\xBDx"});
  o = Cs({"lease", "show", "r\xEF\xBF\xBDx", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["id"], "r\xEF\xBF\xBDx");
}

TEST_F(CliTest, IngestUnderALeaseIsHeldByIt) {
  CreateLease({"--id", "L"});
  const std::string data = Bytes(5000);
  const std::string d = Ingest("r", data, {"--lease", "L"});
  EXPECT_EQ(d, DigestOf(data));
  // The lease held the ingest; at commit it holds the blob instead.
  EXPECT_EQ(Sql("select lease_id, type, id from lease_resources"), "L|content|" + d + "\n");
  // Content that is already a blob, found at commit or at open
  // (--expected-digest), is held too.
  CreateLease({"--id", "M"});
  CreateLease({"--id", "N"});
  EXPECT_EQ(Ingest("again", data, {"--lease", "M"}), d);
  EXPECT_EQ(Ingest("third", "", {"--lease", "N", "--expected-digest", d}), d);
  EXPECT_EQ(Sql("select lease_id, type, id from lease_resources order by lease_id"),
            "L|content|" + d + "\nM|content|" + d + "\nN|content|" + d + "\n");
  // An ingest left active is held as an ingest.
  ASSERT_EQ(Cs({"ingest", "partial", "--no-commit", "--lease", "L"}, "part").exit_code, 0);
  EXPECT_EQ(Sql("select type, id from lease_resources where lease_id = 'L' order by type"),
            "content|" + d + "\ningest|partial\n");
}

TEST_F(CliTest, IngestUnderAnUnknownLeaseExits3AndLeavesNothing) {
  CreateLease({"--id", "known"});
  const Outcome o = Cs({"ingest", "r", "--lease", "nope"}, "data");
  EXPECT_EQ(o.exit_code, 3) << o;
  ExpectOneErrorLine(o);
  EXPECT_NE(o.err.find("nope"), std::string::npos) << o.err;
  EXPECT_EQ(o.out, "");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  // Not even an ingest directory, which fsck would report (data-without-ingest).
  EXPECT_TRUE(fs::is_empty(root_ + "/ingest"));
}

TEST_F(CliTest, LeaseRemovedWhileAnIngestStreamsStillLetsItCommit) {
  CreateLease({"--id", "L"});
  const std::string data = Bytes(3 * kMiB);
  Child ingest(Argv({"ingest", "streamed", "--lease", "L"}), BaseEnv());
  ASSERT_TRUE(ingest.Feed(std::string_view(data).substr(0, kMiB)));
  // Wait until the ingest is open (and so held by the lease).
  Outcome status;
  for (int i = 0; i < 500; ++i) {
    status = Cs({"status", "streamed"});
    if (status.exit_code == 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(status.exit_code, 0) << status;
  EXPECT_EQ(Sql("select type, id from lease_resources"), "ingest|streamed\n");

  const Outcome rm = Cs({"lease", "rm", "L"});
  EXPECT_EQ(rm.exit_code, 0) << rm;
  EXPECT_EQ(Sql("select count(*) from leases"), "0\n");

  const Outcome done = ingest.Finish(Once(std::string_view(data).substr(kMiB)));
  EXPECT_EQ(done.exit_code, 0) << done;
  EXPECT_EQ(done.out, DigestOf(data) + "\n");
  EXPECT_EQ(done.err, "");
  EXPECT_EQ(Sql("select digest, size from blobs"),
            DigestOf(data) + "|" + std::to_string(data.size()) + "\n");
  EXPECT_EQ(Sql("select count(*) from lease_resources"), "0\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
}

// --- gc ------------------------------------------------------------------------------

TEST_F(CliTest, GcRemovesUnreferencedBlobsOlderThanTheGrace) {
  const std::string old_blob = Ingest("old", Bytes(3000, 1));
  const std::string young = Ingest("young", Bytes(2000, 2));
  // The statement of the brief: every blob two hours older.
  Sql("update blobs set created_at = created_at - 7200000000000");
  Sql("update blobs set created_at = created_at + 7200000000000 where digest = '" + young + "'");
  Outcome o = Cs({"gc"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_TRUE(o.out.starts_with("removed 1 blob (2.9 KiB), 0 ingests, 0 expired leases in "))
      << o.out;
  EXPECT_TRUE(o.out.ends_with(" ms\n")) << o.out;
  EXPECT_EQ(Lines(o.out).size(), 1u) << o.out;
  EXPECT_EQ(o.err, "");
  EXPECT_EQ(Sql("select digest from blobs"), young + "\n");
  EXPECT_FALSE(fs::exists(BlobPath(old_blob)));
  EXPECT_TRUE(fs::exists(BlobPath(young)));
  EXPECT_EQ(Sql("select count(*) from pending_file_deletions"), "0\n");
  // Nothing left to do.
  o = Cs({"gc", "-v"});
  EXPECT_TRUE(o.out.starts_with("removed 0 blobs (0 B), 0 ingests, 0 expired leases in ")) << o.out;
}

TEST_F(CliTest, GcGraceZeroRemovesNewBlobsToo) {
  const std::string d = Ingest("new", "just committed");
  Outcome o = Cs({"gc", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array()) << "the default grace keeps it";
  o = Cs({"gc", "--grace", "0s", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array({d}));
  EXPECT_EQ(JsonOf(o)["bytes_freed"], 14);
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  // A grace longer than the blob's age keeps it.
  const std::string e = Ingest("newer", "another");
  MakeOld(e);
  o = Cs({"gc", "--grace", "3h", "--json"});
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array());
  o = Cs({"gc", "--grace", "1h59m", "--json"});
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array({e}));
}

TEST_F(CliTest, GcKeepsBlobsLabelledGcRootAndWhatTheyReference) {
  const std::string child = Ingest("child", "a layer");
  const std::string root = Ingest("root", "a manifest",
                                  {"--label", "containerd.io/gc.root=2026", "--label",
                                   "containerd.io/gc.ref.content.l.0=" + child});
  const std::string loose = Ingest("loose", "unreferenced");
  for (const auto& d : {child, root, loose}) MakeOld(d);
  const Outcome o = Cs({"gc", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array({loose}));
  std::vector<std::string> kept = {child, root};
  std::sort(kept.begin(), kept.end());
  EXPECT_EQ(Sql("select digest from blobs order by digest"), kept[0] + "\n" + kept[1] + "\n");
}

TEST_F(CliTest, GcKeepsLeasedBlobs) {
  CreateLease({"--id", "L"});
  const std::string leased = Ingest("leased", "held by a lease", {"--lease", "L"});
  const std::string added = Ingest("added", "added to a lease");
  ASSERT_EQ(Cs({"lease", "add", "L", added}).exit_code, 0);
  const std::string loose = Ingest("loose", "held by nothing");
  for (const auto& d : {leased, added, loose}) MakeOld(d);
  Outcome o = Cs({"gc", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array({loose}));
  EXPECT_EQ(Sql("select count(*) from blobs"), "2\n");
  EXPECT_TRUE(fs::exists(BlobPath(leased)));
  // Dropped from the lease, the blob goes.
  ASSERT_EQ(Cs({"lease", "drop", "L", added}).exit_code, 0);
  o = Cs({"gc", "--json"});
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array({added}));
  EXPECT_EQ(Sql("select digest from blobs"), leased + "\n");
}

TEST_F(CliTest, GcKeepsWhatAnIngestUnderALeaseLeft) {
  CreateLease({"--id", "L"});
  const std::string d = Ingest("r", "committed under a lease", {"--lease", "L"});
  ASSERT_EQ(Cs({"ingest", "partial", "--no-commit", "--lease", "L"}, "part").exit_code, 0);
  MakeOld(d);
  MakeStale("partial");
  // However old, and with no grace or expiry at all.
  Outcome o = Cs({"gc", "--grace", "0s", "--ingest-expiry", "0s", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array());
  EXPECT_EQ(JsonOf(o)["removed_ingests"], json::array());
  EXPECT_EQ(Sql("select count(*) from blobs"), "1\n");
  EXPECT_EQ(Sql("select ref from ingests"), "partial\n");
  // Until the lease goes.
  ASSERT_EQ(Cs({"lease", "rm", "L"}).exit_code, 0);
  o = Cs({"gc", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(JsonOf(o)["removed_blobs"], json::array({d}));
  EXPECT_EQ(JsonOf(o)["removed_ingests"], json::array({"partial"}));
  EXPECT_EQ(Sql("select count(*) from blobs"), "0\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
}

TEST_F(CliTest, GcRemovesStaleIngests) {
  ASSERT_EQ(Cs({"ingest", "stale", "--no-commit"}, Bytes(4000)).exit_code, 0);
  ASSERT_EQ(Cs({"ingest", "recent", "--no-commit"}, Bytes(4000)).exit_code, 0);
  const std::string dir = root_ + "/ingest/" + HexOf(DigestOf("stale"));
  ASSERT_TRUE(fs::exists(dir + "/data"));
  MakeStale("stale");
  Outcome o = Cs({"gc", "-v"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_EQ(lines[0], "ingest  stale");
  EXPECT_TRUE(lines[1].starts_with("removed 0 blobs (0 B), 1 ingest, 0 expired leases in "))
      << lines[1];
  EXPECT_EQ(Sql("select ref from ingests"), "recent\n");
  EXPECT_FALSE(fs::exists(dir));
  EXPECT_TRUE(fs::exists(IngestDataPath("recent")));
  // --ingest-expiry 0s: whatever no live writer holds.
  o = Cs({"gc", "--ingest-expiry", "0s", "--json"});
  EXPECT_EQ(JsonOf(o)["removed_ingests"], json::array({"recent"}));
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  EXPECT_TRUE(fs::is_empty(root_ + "/ingest"));
}

TEST_F(CliTest, GcRemovesExpiredLeases) {
  CreateLease({"--id", "expired", "--expire", "0s"});
  CreateLease({"--id", "alive", "--expire", "1h"});
  CreateLease({"--id", "forever"});
  const Outcome o = Cs({"gc", "-v"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_EQ(lines[0], "lease   expired");
  EXPECT_TRUE(lines[1].starts_with("removed 0 blobs (0 B), 0 ingests, 1 expired lease in "))
      << lines[1];
  EXPECT_EQ(Sql("select id from leases order by id"), "alive\nforever\n");
}

TEST_F(CliTest, GcDryRunChangesNothingAndListsWhatARealRunRemoves) {
  const std::string a = Ingest("a", Bytes(1500, 1)), b = Ingest("b", Bytes(2500, 2));
  const std::string kept = Ingest("kept", "kept", {"--label", "containerd.io/gc.root=1"});
  for (const auto& d : {a, b, kept}) MakeOld(d);
  ASSERT_EQ(Cs({"ingest", "stale", "--no-commit"}, "partial").exit_code, 0);
  MakeStale("stale");
  CreateLease({"--id", "gone", "--expire", "0s"});
  auto snapshot = [&] {
    return Sql("select digest, size, created_at from blobs order by digest") +
           Sql("select ref, offset, updated_at from ingests") + Sql("select id from leases") +
           Sql("select * from lease_resources");
  };
  const std::string before = snapshot();

  Outcome o = Cs({"gc", "--dry-run", "-v"});
  ASSERT_EQ(o.exit_code, 0) << o;
  std::vector<std::string> blobs = {a, b};
  std::sort(blobs.begin(), blobs.end());
  auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 5u) << o.out;
  EXPECT_EQ(lines[0], "blob    " + blobs[0]);
  EXPECT_EQ(lines[1], "blob    " + blobs[1]);
  EXPECT_EQ(lines[2], "ingest  stale");
  EXPECT_EQ(lines[3], "lease   gone");
  EXPECT_TRUE(lines[4].starts_with("would remove 2 blobs (3.9 KiB), 1 ingest, 1 expired lease in "))
      << lines[4];

  o = Cs({"gc", "--dry-run", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  json dry = JsonOf(o);
  EXPECT_EQ(dry["dry_run"], true);
  EXPECT_EQ(snapshot(), before) << "a dry run changes nothing";
  for (const auto& d : {a, b}) EXPECT_TRUE(fs::exists(BlobPath(d)));
  EXPECT_TRUE(fs::exists(IngestDataPath("stale")));

  o = Cs({"gc", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  json real = JsonOf(o);
  EXPECT_EQ(real["dry_run"], false);
  for (const char* key : {"removed_blobs", "removed_ingests", "removed_leases", "bytes_freed"}) {
    EXPECT_EQ(real[key], dry[key]) << key;
  }
  EXPECT_EQ(Sql("select digest from blobs"), kept + "\n");
  EXPECT_EQ(Sql("select count(*) from ingests"), "0\n");
  EXPECT_EQ(Sql("select count(*) from leases"), "0\n");
  for (const auto& d : {a, b}) EXPECT_FALSE(fs::exists(BlobPath(d)));
  EXPECT_FALSE(fs::exists(IngestDataPath("stale")));
}

TEST_F(CliTest, GcJsonIsOneObject) {
  const std::string a = Ingest("a", Bytes(1000, 1)), b = Ingest("b", Bytes(24, 2));
  MakeOld(a);
  MakeOld(b);
  ASSERT_EQ(Cs({"ingest", "stale", "--no-commit"}, "x").exit_code, 0);
  MakeStale("stale");
  CreateLease({"--id", "gone", "--expire", "0s"});
  const Outcome o = Cs({"gc", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.err, "");
  const json j = JsonOf(o);
  ASSERT_TRUE(j.is_object()) << j;
  std::vector<std::string> keys;  // in the order printed
  const auto ordered = nlohmann::ordered_json::parse(o.out);
  for (const auto& item : ordered.items()) keys.push_back(item.key());
  EXPECT_EQ(keys, (std::vector<std::string>{"removed_blobs", "removed_ingests", "removed_leases",
                                            "bytes_freed", "duration_ms", "dry_run"}));
  std::vector<std::string> blobs = {a, b};
  std::sort(blobs.begin(), blobs.end());
  EXPECT_EQ(j["removed_blobs"], json(blobs));
  EXPECT_EQ(j["removed_ingests"], json::array({"stale"}));
  EXPECT_EQ(j["removed_leases"], json::array({"gone"}));
  EXPECT_EQ(j["bytes_freed"], 1024);
  EXPECT_TRUE(j["duration_ms"].is_number_integer()) << j;
  EXPECT_GE(j["duration_ms"].get<int64_t>(), 0);
  EXPECT_EQ(j["dry_run"], false);
}

// Ingesting content that a removal of the same digest takes at the same
// moment (rm in a loop, or collections with no grace) either stores it again
// or finds it committed; it never fails (the torture run saw NotFound, exit
// 3, when labels went onto a blob removed a moment before).
// Inspecting a store one does not own is a core use: as an unprivileged user
// (nobody), every command that only reads works on a root-owned store, and
// so does the sqlite3 shell; a command that writes fails clearly.
TEST_F(CliTest, ReadOnlyCommandsWorkForAUserWhoCannotWriteTheStore) {
  if (::geteuid() != 0) GTEST_SKIP() << "needs root, to run commands as the user nobody";
  const std::string digest = Ingest("blob", "inspect me", {"--label", "k=v"});
  ASSERT_EQ(Cs({"ingest", "half", "--no-commit"}, "partial").exit_code, 0);
  CreateLease({"--id", "L"});
  // Only the store's own permissions keep nobody out: 0755, files 0644.
  ASSERT_EQ(::chmod(dir_.c_str(), 0755), 0);
  auto as_nobody = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {"setpriv", "--reuid=65534", "--regid=65534",
                                     "--clear-groups"};
    argv.insert(argv.end(), args.begin(), args.end());
    Child child(argv, BaseEnv());
    return child.Finish();
  };
  auto cs = [&](std::vector<std::string> args) {
    std::vector<std::string> argv = {kBinary, "--root", root_};
    argv.insert(argv.end(), args.begin(), args.end());
    return as_nobody(argv);
  };
  ASSERT_EQ(as_nobody({"id", "-u"}).out, "65534\n");
  for (const std::vector<std::string>& args :
       std::vector<std::vector<std::string>>{{"ls"},
                                             {"info", digest},
                                             {"get", "--verify", digest},
                                             {"active"},
                                             {"status", "half"},
                                             {"fsck"},
                                             {"fsck", "--verify"},
                                             {"lease", "ls"},
                                             {"lease", "show", "L"},
                                             {"gc", "--dry-run"}}) {
    const Outcome o = cs(args);
    EXPECT_EQ(o.exit_code, 0) << args[0] << ": " << o;
    EXPECT_EQ(o.err, "") << args[0] << ": " << o;
  }
  EXPECT_EQ(cs({"get", digest}).out, "inspect me");
  EXPECT_NE(cs({"ls"}).out.find("k=v"), std::string::npos);
  // Writing is refused, with the operating system's reason.
  const Outcome rm = cs({"rm", digest});
  EXPECT_NE(rm.exit_code, 0) << rm;
  EXPECT_NE(rm.err.find("contentstore: "), std::string::npos) << rm;
  // The README's way to read the catalog with sqlite3.
  const Outcome shell =
      as_nobody({"sqlite3", "-readonly", root_ + "/catalog.db", "select count(*) from blobs"});
  EXPECT_EQ(shell.exit_code, 0) << shell;
  EXPECT_EQ(shell.out, "1\n");
  // Nothing changed, and root can still use the store.
  EXPECT_EQ(Cs({"info", digest}).exit_code, 0);
}

// A read-only command skips recovery, and says so when some is pending.
TEST_F(CliTest, ReadOnlyCommandsSayWhenRecoveryIsPending) {
  const std::string digest = Ingest("blob", "gone soon");
  // What a process killed after removing a blob leaves: its file queued.
  Sql("INSERT INTO pending_file_deletions (digest, deleted_at) VALUES ('" + digest + "', 1)");
  const Outcome o = Cs({"ls"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_NE(o.err.find("note: recovery is pending (1 removed blob whose files are not deleted yet)"),
            std::string::npos)
      << o;
}

class IngestRaceTest : public CliTest, public ::testing::WithParamInterface<const char*> {};

TEST_P(IngestRaceTest, IngestOfContentBeingRemovedNeverFails) {
  const std::string digest = Ingest("seed", "");
  const std::string remover_kind = GetParam();
  std::atomic<bool> stop{false};
  std::thread remover([&] {
    while (!stop) {
      if (remover_kind == "rm") {
        (void)Cs({"rm", digest});
      } else {
        (void)Cs({"gc", "--grace", "0s"});
      }
    }
  });
  std::map<int, int> codes;
  for (int i = 0; i < 120; ++i) {
    std::vector<std::string> args = {"ingest", "ref" + std::to_string(i), "--label", "a=b"};
    if (i % 2 == 1) args.insert(args.end(), {"--expected-digest", digest});
    const Outcome o = Cs(args, "");
    ++codes[o.exit_code];
    EXPECT_EQ(o.exit_code, 0) << o;
  }
  stop = true;
  remover.join();
  EXPECT_EQ(codes[0], 120);
}

INSTANTIATE_TEST_SUITE_P(Removers, IngestRaceTest, ::testing::Values("rm", "gc"));

TEST_F(CliTest, GcDryRunAgreesWithTheReadmeQuery) {
  std::vector<std::string> digests;
  for (int i = 0; i < 8; ++i) digests.push_back(Ingest("b" + std::to_string(i), Bytes(100, i)));
  CreateLease({"--id", "L"});
  ASSERT_EQ(Cs({"lease", "add", "L", digests[0]}).exit_code, 0);
  ASSERT_EQ(Cs({"label", digests[1], "containerd.io/gc.root=x",
                "containerd.io/gc.ref.content.m=" + digests[2]})
                .exit_code,
            0);
  ASSERT_EQ(Cs({"label", digests[3], "containerd.io/gc.ref.content=" + digests[4]}).exit_code, 0);
  for (int i = 0; i < 6; ++i) MakeOld(digests[static_cast<size_t>(i)]);  // 6 and 7 stay young
  const std::string query =
      "select digest from gc_unreachable where created_at < (select now from gc_now) - 3600 * "
      "1000000000";
  std::vector<std::string> from_sql = Lines(Sql(query));
  std::sort(from_sql.begin(), from_sql.end());
  const Outcome o = Cs({"gc", "--dry-run", "--json"});
  ASSERT_EQ(o.exit_code, 0) << o;
  const json j = JsonOf(o);
  std::vector<std::string> from_gc;
  for (const auto& d : j["removed_blobs"]) from_gc.push_back(d.get<std::string>());
  EXPECT_EQ(from_gc, from_sql);
  // 3 references 4, but nothing roots 3: both go, as does 5.
  std::vector<std::string> expected = {digests[3], digests[4], digests[5]};
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(from_gc, expected);
}

// --- fsck ----------------------------------------------------------------------------

TEST_F(CliTest, FsckOnACleanStoreExits0) {
  Ingest("a", Bytes(1000, 1));
  Ingest("b", Bytes(2000, 2));
  Outcome o = Cs({"fsck"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "checked 2 blobs, verified 0 bytes: 0 problems (0 repaired)\n");
  EXPECT_EQ(o.err, "");
  o = Cs({"fsck", "--verify"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_EQ(o.out, "checked 2 blobs, verified 3000 bytes: 0 problems (0 repaired)\n");
  EXPECT_EQ(o.err, "") << "no progress bar when standard error is not a terminal";
  o = Cs({"fsck", "--verify", "--json"});
  EXPECT_EQ(o.exit_code, 0) << o;
  const json j = JsonOf(o);
  std::vector<std::string> keys;  // in the order printed
  const auto ordered = nlohmann::ordered_json::parse(o.out);
  for (const auto& item : ordered.items()) keys.push_back(item.key());
  EXPECT_EQ(keys,
            (std::vector<std::string>{"clean", "blobs_checked", "bytes_verified", "problems"}));
  EXPECT_EQ(j["clean"], true);
  EXPECT_EQ(j["blobs_checked"], 2);
  EXPECT_EQ(j["bytes_verified"], 3000);
  EXPECT_EQ(j["problems"], json::array());
}

TEST_F(CliTest, FsckRebuildCatalogBringsBackAnEmptiedCatalog) {
  const std::string a = Ingest("a", Bytes(1000, 1), {"--label", "containerd.io/gc.root=x"});
  const std::string b = Ingest("b", Bytes(2000, 2));
  ASSERT_EQ(::truncate((root_ + "/catalog.db").c_str(), 0), 0);
  ASSERT_EQ(::truncate((root_ + "/catalog.db-wal").c_str(), 0), 0);
  Outcome o = Cs({"ls"});
  EXPECT_EQ(o.exit_code, 7) << o;
  EXPECT_THAT(o.err, ::testing::HasSubstr("fsck --rebuild-catalog")) << o;

  o = Cs({"fsck", "--rebuild-catalog", "--repair"});
  EXPECT_NE(o.exit_code, 0) << "--rebuild-catalog goes alone: " << o;
  o = Cs({"fsck", "--rebuild-catalog"});
  EXPECT_EQ(o.exit_code, 7) << "labels were lost: " << o;
  EXPECT_THAT(o.out, ::testing::HasSubstr("old catalog moved to " + root_ + "/catalog.db.damaged-")) << o;
  EXPECT_THAT(o.out, ::testing::HasSubstr("2 blobs back in the catalog, 0 blobs with their labels")) << o;
  EXPECT_THAT(o.out, ::testing::HasSubstr("2 blobs lost their labels; lease contentstore.rebuild-")) << o;
  o = Cs({"ls", "-q"});
  EXPECT_EQ(o.exit_code, 0) << o;
  std::vector<std::string> both = {a, b};
  std::sort(both.begin(), both.end());
  EXPECT_EQ(Lines(o.out), both);
  EXPECT_EQ(Cs({"fsck"}).exit_code, 0);

  // A readable catalog comes back whole: exit 0, labels kept.
  o = Cs({"fsck", "--rebuild-catalog", "--json"});
  EXPECT_EQ(o.exit_code, 0) << o;
  const json j = JsonOf(o);
  EXPECT_EQ(j["blobs"], 2);
  EXPECT_EQ(j["blobs_unlabelled"], 0);
  EXPECT_EQ(j["leases"], 1) << "the rescue lease is a lease like any other";
}

TEST_F(CliTest, FsckFindsADeletedBlobFileExits7AndRepairFixesIt) {
  const std::string gone = Ingest("gone", Bytes(1000, 1));
  const std::string kept = Ingest("kept", Bytes(2000, 2));
  fs::remove(BlobPath(gone));
  Outcome o = Cs({"fsck"});
  EXPECT_EQ(o.exit_code, 7) << o;
  EXPECT_EQ(o.err, "");
  auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_EQ(lines[0], "row-without-file  " + gone + "  " + BlobPath(gone) + " is missing");
  EXPECT_EQ(lines[1], "checked 2 blobs, verified 0 bytes: 1 problem (0 repaired)");

  o = Cs({"fsck", "--json"});
  EXPECT_EQ(o.exit_code, 7) << o;
  json j = JsonOf(o);
  EXPECT_EQ(j["clean"], false);
  EXPECT_EQ(j["blobs_checked"], 2);
  ASSERT_EQ(j["problems"].size(), 1u) << j;
  EXPECT_EQ(j["problems"][0], json({{"kind", "row-without-file"},
                                    {"subject", gone},
                                    {"detail", BlobPath(gone) + " is missing"},
                                    {"repaired", false}}));
  EXPECT_EQ(Sql("select count(*) from blobs"), "2\n") << "fsck alone repairs nothing";

  o = Cs({"fsck", "--repair"});
  EXPECT_EQ(o.exit_code, 0) << "everything found was repaired: " << o;
  lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_TRUE(lines[0].starts_with("row-without-file  " + gone + "  ")) << lines[0];
  EXPECT_TRUE(lines[0].ends_with(" (repaired)")) << lines[0];
  EXPECT_EQ(lines[1], "checked 2 blobs, verified 0 bytes: 1 problem (1 repaired)");
  EXPECT_EQ(Sql("select digest from blobs"), kept + "\n");

  o = Cs({"fsck", "--json"});
  EXPECT_EQ(o.exit_code, 0) << o;
  j = JsonOf(o);
  EXPECT_EQ(j["clean"], true);
  EXPECT_EQ(j["blobs_checked"], 1);
  EXPECT_EQ(j["problems"], json::array());
}

TEST_F(CliTest, FsckVerifyFindsBytesAlteredInPlace) {
  const std::string data = Bytes(200000);
  const std::string d = Ingest("r", data);
  Ingest("fine", "fine");
  const std::string path = BlobPath(d);
  fs::permissions(path, fs::perms::owner_write, fs::perm_options::add);
  {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(99999);
    f.put(static_cast<char>(data[99999] ^ 0x40));
  }
  ASSERT_EQ(fs::file_size(path), data.size());
  // Same size: only hashing can tell.
  Outcome o = Cs({"fsck"});
  EXPECT_EQ(o.exit_code, 0) << o;
  o = Cs({"fsck", "--verify"});
  EXPECT_EQ(o.exit_code, 7) << o;
  const auto lines = Lines(o.out);
  ASSERT_EQ(lines.size(), 2u) << o.out;
  EXPECT_TRUE(lines[0].starts_with("digest-mismatch  " + d + "  " + path + " hashes to sha256:"))
      << lines[0];
  EXPECT_EQ(lines[1], "checked 2 blobs, verified 200004 bytes: 1 problem (0 repaired)");
  o = Cs({"fsck", "--verify", "--json"});
  EXPECT_EQ(o.exit_code, 7) << o;
  const json j = JsonOf(o);
  EXPECT_EQ(j["clean"], false);
  EXPECT_EQ(j["bytes_verified"], 200004);
  ASSERT_EQ(j["problems"].size(), 1u) << j;
  EXPECT_EQ(j["problems"][0]["kind"], "digest-mismatch");
  EXPECT_EQ(j["problems"][0]["subject"], d);
  EXPECT_EQ(j["problems"][0]["repaired"], false);
  // Nothing --repair may do without guessing.
  o = Cs({"fsck", "--verify", "--repair"});
  EXPECT_EQ(o.exit_code, 7) << o;
  EXPECT_EQ(Sql("select count(*) from blobs"), "2\n");
}

TEST_F(CliTest, FsckVerifyShowsProgressWhenAsked) {
  Ingest("a", Bytes(3 * kMiB));
  Outcome o = Cs({"fsck", "--verify", "--progress"});
  EXPECT_EQ(o.exit_code, 0) << o;
  EXPECT_NE(o.err.find("\rverifying"), std::string::npos) << o.err;
  EXPECT_NE(o.err.find("MiB"), std::string::npos) << o.err;
  EXPECT_TRUE(o.err.ends_with("\r\x1b[K")) << "the bar erases its line at the end";
  EXPECT_EQ(o.err.find('\n'), std::string::npos) << "the bar never scrolls";
  EXPECT_EQ(o.out, "checked 1 blob, verified 3145728 bytes: 0 problems (0 repaired)\n");
  // Nothing to show without --verify, or with --no-progress.
  o = Cs({"fsck", "--progress"});
  EXPECT_EQ(o.err, "");
  o = Cs({"fsck", "--verify", "--no-progress"});
  EXPECT_EQ(o.err, "");
}

// --- Big blobs -----------------------------------------------------------------------

// 1 GiB through ingest and get with flat memory: the input is generated as it
// is fed, get's output hashed as it arrives, and each child's peak RSS comes
// from wait4().
TEST(CliSlowTest, OneGibibyteStreamsWithFlatMemory) {
  std::string tmpl = (fs::temp_directory_path() / "contentstore-cli-XXXXXX").string();
  ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
  const std::string root = tmpl + "/root";
  std::vector<std::string> env;
  for (char** e = environ; *e != nullptr; ++e) env.emplace_back(*e);

  constexpr int64_t kTotal = int64_t{1} << 30;
  constexpr long kLimitKb = 64 * 1024;
  std::string block = Bytes(kMiB, 42);
  int64_t fed = 0;
  contentstore::Digester fed_hash;
  Source source = [&]() -> std::string_view {
    if (fed == kTotal) return {};
    // A different block each time, so no two MiB are the same.
    std::memcpy(block.data(), &fed, sizeof(fed));
    fed += static_cast<int64_t>(block.size());
    fed_hash.update(block);
    return block;
  };
  Child ingest(
      {kBinary, "--root", root, "ingest", "big", "--expected-size", std::to_string(kTotal)}, env);
  const Outcome in = ingest.Finish(source);
  ASSERT_EQ(in.exit_code, 0) << in;
  const std::string digest = fed_hash.digest().str();
  EXPECT_EQ(in.out, digest + "\n");
  EXPECT_LT(in.maxrss_kb, kLimitKb) << "ingest peak RSS";

  int64_t got = 0;
  contentstore::Digester got_hash;
  Child get({kBinary, "--root", root, "get", "--verify", digest}, env);
  const Outcome out = get.Finish(nullptr, [&](std::string_view chunk) {
    got += static_cast<int64_t>(chunk.size());
    got_hash.update(chunk);
    return true;
  });
  EXPECT_EQ(out.exit_code, 0) << out;
  EXPECT_EQ(got, kTotal);
  EXPECT_EQ(got_hash.digest().str(), digest);
  EXPECT_LT(out.maxrss_kb, kLimitKb) << "get peak RSS";
  RecordProperty("ingest_maxrss_kb", std::to_string(in.maxrss_kb));
  RecordProperty("get_maxrss_kb", std::to_string(out.maxrss_kb));
  std::error_code ec;
  fs::remove_all(tmpl, ec);
}

// --- import and export (OCI layouts and archives) ------------------------------

// An image built offline with umoci (two layers, one of 5 MiB) as a layout
// at DIR/src (tag t) and a skopeo oci-archive at DIR/src.tar. Fails the
// test when umoci or skopeo is missing: tools/install-deps installs them.
class CliOciTest : public CliTest {
 protected:
  static std::string ReadFile(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::ostringstream s;
    s << in.rdbuf();
    return s.str();
  }

  void BuildImage() {
    src_ = dir_ + "/src";
    archive_ = dir_ + "/src.tar";
    {
      std::ofstream big(dir_ + "/big", std::ios::binary);
      std::string chunk(1 << 20, '\0');
      uint64_t x = 42;
      for (int i = 0; i < 5; ++i) {
        for (char& c : chunk) {
          x = x * 6364136223846793005ULL + 1442695040888963407ULL;
          c = static_cast<char>(x >> 56);
        }
        big.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
      }
      std::ofstream(dir_ + "/small") << "small\n";
    }
    Tool({"umoci", "init", "--layout", src_});
    Tool({"umoci", "new", "--image", src_ + ":t"});
    Tool({"umoci", "insert", "--rootless", "--image", src_ + ":t", dir_ + "/big", "/big"});
    Tool({"umoci", "insert", "--rootless", "--image", src_ + ":t", dir_ + "/small", "/small"});
    Tool({"umoci", "gc", "--layout", src_});
    Tool({"skopeo", "--insecure-policy", "copy", "-q", "oci:" + src_ + ":t",
          "oci-archive:" + archive_ + ":t"});
  }

  // The digest `name` has in a layout's index.json.
  static std::string TargetOf(const std::string& layout, const std::string& name) {
    std::ifstream in(layout + "/index.json");
    const json index = json::parse(in);
    for (const json& entry : index["manifests"]) {
      if (entry["annotations"]["org.opencontainers.image.ref.name"] == name) {
        return entry["digest"].get<std::string>();
      }
    }
    return "";
  }

  std::string src_;
  std::string archive_;
};

TEST_F(CliOciTest, ImportExportRoundTripWithTheRealTools) {
  BuildImage();
  const std::string manifest = TargetOf(src_, "t");
  ASSERT_FALSE(manifest.empty());

  const Outcome in = Cs({"import", "oci:" + src_});
  ASSERT_EQ(in.exit_code, 0) << in;
  EXPECT_EQ(in.err, "") << in;
  EXPECT_EQ(in.out.substr(0, in.out.find('\n')), "t  " + manifest) << in;
  EXPECT_NE(in.out.find("imported 1 image: 4 blobs, 4 copied"), std::string::npos) << in;

  const Outcome again = Cs({"import", "oci-archive:" + archive_ + ":t", "--name", "copy"});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_NE(again.out.find("copy  " + manifest), std::string::npos) << again;
  EXPECT_NE(again.out.find(", 0 copied"), std::string::npos) << again;

  const std::string out = dir_ + "/out";
  const Outcome ex = Cs({"export", "t", "copy", "oci:" + out});
  ASSERT_EQ(ex.exit_code, 0) << ex;
  EXPECT_NE(ex.out.find("exported 2 images: 4 blobs"), std::string::npos) << ex;
  Tool({"skopeo", "inspect", "oci:" + out + ":t"});
  Tool({"skopeo", "inspect", "oci:" + out + ":copy"});
  Tool({"umoci", "ls", "--layout", out});
  Tool({"umoci", "stat", "--image", out + ":copy"});
  for (const auto& blob : fs::directory_iterator(src_ + "/blobs/sha256")) {
    const std::string name = blob.path().filename().string();
    EXPECT_EQ(ReadFile(blob.path().string()), ReadFile(out + "/blobs/sha256/" + name)) << name;
  }

  const std::string tar = dir_ + "/out.tar";
  const Outcome ex_tar = Cs({"export", "t", "oci-archive:" + tar});
  ASSERT_EQ(ex_tar.exit_code, 0) << ex_tar;
  Tool({"skopeo", "inspect", "oci-archive:" + tar + ":t"});

  const Outcome linked = Cs({"export", "t", "oci:" + dir_ + "/linked", "--link"});
  ASSERT_EQ(linked.exit_code, 0) << linked;
  EXPECT_TRUE(linked.out.find("hard-linked") != std::string::npos ||
              linked.out.find("reflinked") != std::string::npos)
      << linked;

  const Outcome fsck = Cs({"fsck"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck;
}

TEST_F(CliOciTest, KilledImportResumesWhenRunAgain) {
  BuildImage();
  // The archive reaches the import through a FIFO, 3 MiB of it, so the kill
  // lands while the 5 MiB layer is being copied.
  const std::string whole = ReadFile(archive_);
  const std::string fifo = dir_ + "/pipe.tar";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  Child child(Argv({"import", "oci-archive:" + fifo}), BaseEnv());
  std::thread feeder([&] {
    const int fd = ::open(fifo.c_str(), O_WRONLY);
    if (fd < 0) return;
    size_t done = 0;
    while (done < 3 * kMiB) {
      const ssize_t n = ::write(fd, whole.data() + done, 3 * kMiB - done);
      if (n <= 0) break;
      done += static_cast<size_t>(n);
    }
    // Held open: the import waits for more until it is killed.
    std::this_thread::sleep_for(std::chrono::seconds(10));
    ::close(fd);
  });
  // The layer's ingest exists once the import copies it; its file then
  // fills with what the FIFO gave.
  std::string ref;
  for (int i = 0; i < 500 && ref.empty(); ++i) {
    const Outcome o = Cs({"active", "--json"});
    if (o.exit_code == 0 && !o.out.empty()) {
      ref = json::parse(o.out.substr(0, o.out.find('\n')))["ref"].get<std::string>();
    } else {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  const Outcome killed = child.KillAndWait(SIGKILL);
  EXPECT_EQ(killed.signal, SIGKILL) << killed;
  ASSERT_TRUE(ref.starts_with("import-sha256:")) << "the import never started copying a layer";
  std::error_code ec;
  EXPECT_GT(fs::file_size(IngestDataPath(ref), ec), 0u) << "nothing reached the ingest";

  const Outcome again = Cs({"import", "oci-archive:" + archive_});
  ASSERT_EQ(again.exit_code, 0) << again;
  EXPECT_EQ(Cs({"active", "--json"}).out, "") << "the killed import's ingest was left";
  const Outcome fsck = Cs({"fsck"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck;
  const Outcome out = Cs({"export", "t", "oci:" + dir_ + "/out"});
  ASSERT_EQ(out.exit_code, 0) << out;
  Tool({"skopeo", "inspect", "oci:" + dir_ + "/out:t"});
  feeder.join();
}

TEST_F(CliOciTest, GcKeepsImportedImages) {
  BuildImage();
  ASSERT_EQ(Cs({"import", "oci:" + src_}).exit_code, 0);
  const std::string stray = Ingest("stray", "nobody needs me");
  const Outcome gc = Cs({"gc", "--grace", "0s", "-v"});
  ASSERT_EQ(gc.exit_code, 0) << gc;
  EXPECT_TRUE(gc.out.starts_with("blob    " + stray + "\nremoved 1 blob (15 B)")) << gc;
  for (const auto& blob : fs::directory_iterator(src_ + "/blobs/sha256")) {
    EXPECT_TRUE(fs::exists(BlobPath("sha256:" + blob.path().filename().string())));
  }
}

TEST_F(CliOciTest, BadInputsExitWithTheirCodes) {
  BuildImage();
  // Unknown transport, missing layout, missing tag.
  EXPECT_EQ(Cs({"import", "docker://alpine"}).exit_code, 2);
  EXPECT_EQ(Cs({"import", "oci:" + dir_ + "/nowhere"}).exit_code, 3);
  EXPECT_EQ(Cs({"import", "oci:" + src_ + ":nope"}).exit_code, 3);
  // A layer whose bytes do not match its digest.
  const std::string big_layer = [&] {
    std::string biggest;
    uintmax_t size = 0;
    for (const auto& blob : fs::directory_iterator(src_ + "/blobs/sha256")) {
      if (blob.file_size() > size) {
        size = blob.file_size();
        biggest = blob.path().string();
      }
    }
    return biggest;
  }();
  std::string bytes = ReadFile(big_layer);
  bytes[1000] ^= 1;
  fs::permissions(big_layer, fs::perms::owner_write, fs::perm_options::add);
  std::ofstream(big_layer, std::ios::binary | std::ios::trunc) << bytes;
  const Outcome bad = Cs({"import", "oci:" + src_});
  EXPECT_EQ(bad.exit_code, 6) << bad;
  EXPECT_NE(bad.err.find("does not match its digest"), std::string::npos) << bad;
  // A truncated archive.
  const std::string whole = ReadFile(archive_);
  {
    std::ofstream(dir_ + "/cut.tar", std::ios::binary) << whole.substr(0, whole.size() / 2);
  }
  const Outcome cut = Cs({"import", "oci-archive:" + dir_ + "/cut.tar"});
  EXPECT_EQ(cut.exit_code, 7) << cut;
  EXPECT_NE(cut.err.find("contentstore: import oci-archive:"), std::string::npos) << cut;
  // Export: unknown name, destination with a tag, archive with --link.
  EXPECT_EQ(Cs({"export", "nope", "oci:" + dir_ + "/x"}).exit_code, 3);
  EXPECT_EQ(Cs({"export", "t", "oci:" + dir_ + "/x:tag"}).exit_code, 2);
  EXPECT_EQ(Cs({"export", "t"}).exit_code, 2);
  // Nothing half-done for fsck to find.
  const Outcome fsck = Cs({"fsck"});
  EXPECT_EQ(fsck.exit_code, 0) << fsck;
}

TEST_F(CliTest, ImportAndExportHelp) {
  const Outcome im = Cs({"import", "--help"});
  ASSERT_EQ(im.exit_code, 0) << im;
  EXPECT_NE(im.out.find("oci-archive:FILE[:TAG]"), std::string::npos) << im.out;
  EXPECT_NE(im.out.find("--name"), std::string::npos) << im.out;
  const Outcome ex = Cs({"export", "--help"});
  ASSERT_EQ(ex.exit_code, 0) << ex;
  EXPECT_NE(ex.out.find("--link"), std::string::npos) << ex.out;
  EXPECT_NE(ex.out.find("else copy"), std::string::npos) << ex.out;
}

}  // namespace

int main(int argc, char** argv) {
  // Writing to a child that already exited must be an error, not our death.
  ::signal(SIGPIPE, SIG_IGN);
  ::testing::InitGoogleTest(&argc, argv);
  return RUN_ALL_TESTS();
}
