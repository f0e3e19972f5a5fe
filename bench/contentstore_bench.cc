// contentstore-bench: contentstore's benchmark program, modeled on LevelDB's
// db_bench. It runs named workloads in a fixed order and prints one JSON
// object per workload per line on stdout. It takes the flags and prints the
// keys of the containerd peer harness (shared/peer/containerd/main.go), and
// commits the same content, so bench/compare can run both on the same
// workloads and print speedups.
//
// Workloads: the harness's eleven (large, small, info, walk, walk_label,
// active, active_filter, status, resume, delete, concurrent), then our own:
// resume_crash and open (both in "all"), and scale (long; only when named).
// gc will join when the garbage collector exists.
//
// Peak memory: each workload (or group of lines sharing a store) runs in its
// own forked child process, and the parent reports that child's peak
// resident set size from wait4()'s rusage as "max_rss_kib". A process's
// ru_maxrss only ever grows, so in one process the number would be the peak
// of all workloads so far; per child it is the peak of that workload alone,
// setup included (e.g. large's 64 MiB content pattern). "rss_before_kib" is
// the resident set when the timed part began, so max_rss_kib minus it is
// roughly what the timed part added. --fork=false runs everything in this
// process instead (for debuggers), and max_rss_kib is then cumulative.

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "content.h"
#include "flags.h"
#include "report.h"
#include "workloads.h"

namespace contentstore::bench {
namespace {

// One child process: a workload, or the active group whose three lines
// share one store of ingests. In the order they run.
struct Group {
  std::string_view name;
  std::vector<std::string_view> lines;  // workload names it can report
  Status (Bench::*run)();
  bool in_all;
};

const std::vector<Group>& Groups() {
  static const std::vector<Group> groups = {
      // The harness's eleven, in its order.
      {"large", {"large"}, &Bench::large, true},
      {"small", {"small"}, &Bench::small, true},
      {"info", {"info"}, &Bench::info, true},
      {"walk", {"walk"}, &Bench::walk, true},
      {"walk_label", {"walk_label"}, &Bench::walk_label, true},
      {"active", {"active", "active_filter", "status"}, &Bench::active_group, true},
      {"resume", {"resume"}, &Bench::resume, true},
      {"delete", {"delete"}, &Bench::remove, true},
      {"concurrent", {"concurrent"}, &Bench::concurrent, true},
      // Ours.
      {"concurrent_procs", {"concurrent_procs"}, &Bench::concurrent_procs, true},
      {"resume_crash", {"resume_crash"}, &Bench::resume_crash, true},
      {"open", {"open"}, &Bench::open, true},
      {"small_batch", {"small_batch"}, &Bench::small_batch, true},
      {"gc", {"gc"}, &Bench::gc, true},
      {"scale", {"scale"}, &Bench::scale, false},
  };
  return groups;
}

// The first line of `group` that was selected: the name an error of the
// whole group is reported under (as the harness does).
std::string_view PrimaryName(const Group& group, const std::set<std::string>& selected) {
  for (std::string_view line : group.lines) {
    if (selected.contains(std::string(line))) return line;
  }
  return group.name;
}

bool Selects(const Group& group, const std::set<std::string>& selected) {
  for (std::string_view line : group.lines) {
    if (selected.contains(std::string(line))) return true;
  }
  return false;
}

void RunInProcess(Bench& bench, const Group& group, const std::set<std::string>& selected,
                  Emitter& out) {
  Status s = (bench.*group.run)();
  if (!s.ok() && !Bench::IsReported(s)) {
    out.emit(ErrorLine(PrimaryName(group, selected), s.ToString()));
  }
}

void PrintLine(std::string_view line, int64_t max_rss_kib) {
  const std::string text = AppendKey(line, "max_rss_kib", std::to_string(max_rss_kib)) + "\n";
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

// Runs one group in a forked child that writes its lines into a pipe; prints
// them with the child's peak RSS. Returns false if the group failed.
bool RunForked(const Flags& flags, const std::string& base, const Group& group,
               const std::set<std::string>& selected) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    PrintLine(ToJson(ErrorLine(group.name, std::string("pipe: ") + std::strerror(errno))), 0);
    return false;
  }
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) {
    PrintLine(ToJson(ErrorLine(group.name, std::string("fork: ") + std::strerror(errno))), 0);
    return false;
  }
  if (pid == 0) {
    ::close(fds[0]);
    Emitter out(fds[1]);
    Bench bench(flags, base, selected, out);
    RunInProcess(bench, group, selected, out);
    ::_exit(out.failed() ? 1 : 0);
  }
  ::close(fds[1]);
  std::string text;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int wstatus = 0;
  struct rusage ru {};
  while (::wait4(pid, &wstatus, 0, &ru) < 0 && errno == EINTR) {
  }
  const int64_t max_rss_kib = ru.ru_maxrss;  // KiB on Linux
  for (size_t start = 0; start < text.size();) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) PrintLine(std::string_view(text).substr(start, end - start), max_rss_kib);
    start = end + 1;
  }
  if (WIFEXITED(wstatus) && WEXITSTATUS(wstatus) == 0) return true;
  if (WIFSIGNALED(wstatus)) {
    PrintLine(ToJson(ErrorLine(PrimaryName(group, selected),
                               fmt::format("workload process killed by signal {} ({})",
                                           WTERMSIG(wstatus), strsignal(WTERMSIG(wstatus))))),
              max_rss_kib);
  } else if (text.find("\"error\"") == std::string::npos) {
    PrintLine(ToJson(ErrorLine(
                  PrimaryName(group, selected),
                  fmt::format("workload process exited with status {}", WEXITSTATUS(wstatus)))),
              max_rss_kib);
  }
  return false;
}

// Checks the content generator against the digests in the harness's README
// and a few invariants of our own; prints one JSON line. Exit status 0 if
// all hold.
int SelfTest() {
  std::vector<std::string> failures;
  auto check = [&](bool ok, std::string what) {
    if (!ok) failures.push_back(std::move(what));
  };

  const SmallSet small(1, 4096, 1, "small-");
  check(small.digest(0).str() == kSmallBlob0Digest, "small blob 0 is " + small.digest(0).str() +
                                                        ", harness says " +
                                                        std::string(kSmallBlob0Digest));
  Stream large(int64_t{1} << 30, 1 << 20, 64 << 20, 1001);
  const Digest large_digest = large.digest();
  check(large_digest.str() == kLargeDigest,
        "large is " + large_digest.str() + ", harness says " + std::string(kLargeDigest));

  // SmallBlob (random access, used by scale) agrees with SmallSet.
  for (int size : {8, 13, 4096, 4100}) {
    const SmallSet set(100, size, 7, "x-");
    std::vector<std::byte> blob(size);
    for (int i : {0, 1, 5, 99}) {
      SmallBlob(7, i, blob);
      check(std::equal(blob.begin(), blob.end(), set.blob(i).begin()),
            fmt::format("SmallBlob(size {}, i {}) differs from SmallSet", size, i));
    }
  }
  // Stream::tail agrees with the chunks, also with a short last chunk.
  {
    Stream s(3 * kMiB + 5, 1 << 20, 2 * kMiB, 42);
    const Digest whole = s.digest();
    Digester d;
    std::vector<std::byte> head;
    for (int64_t i = 0; i < 2; ++i) d.update(s.get(i));
    const std::vector<std::byte> rest = s.tail(2 * kMiB);
    d.update(rest);
    check(d.digest() == whole, "Stream::tail does not continue the chunks");
  }
  // Numbers print as Go's encoding/json prints the harness's.
  check(JsonNumber(Round(0.2744123, 1)) == "0.2744", "JsonNumber(Round(0.2744123, 1))");
  check(JsonNumber(Round(183192.04, 1)) == "183192", "JsonNumber(Round(183192.04, 1))");
  check(JsonNumber(Round(12626.66, 1)) == "12626.7", "JsonNumber(Round(12626.66, 1))");
  check(JsonNumber(Round(0.0000012, 6)) == "0.000001", "JsonNumber(Round(0.0000012, 6))");
  check(JsonNumber(Round(0.0000456, 6)) == "0.000046", "JsonNumber(Round(0.0000456, 6))");
  check(JsonNumber(Round(25763235.89, 1)) == "25763235.9", "JsonNumber(Round(25763235.89, 1))");
  check(JsonNumber(Round(1.5e17, 1)) == "150000000000000000", "JsonNumber(1.5e17)");
  check(JsonNumber(550) == "550" && JsonNumber(0) == "0", "JsonNumber of integers");

  std::string line = fmt::format(
      "{{\"impl\":{},\"workload\":\"self_test\",\"small_digest\":\"{}\",\"large_digest\":\"{}\","
      "\"ok\":{}",
      JsonString(ImplName()), small.digest(0).str(), large_digest.str(),
      failures.empty() ? "true" : "false");
  if (!failures.empty()) {
    std::string all;
    for (const std::string& f : failures) all += (all.empty() ? "" : "; ") + f;
    line += ",\"error\":" + JsonString(all);
  }
  std::puts((line + "}").c_str());
  return failures.empty() ? 0 : 1;
}

int Main(int argc, char** argv) {
  Flags flags;
  if (const int rc = ParseFlags(argc, argv, flags); rc >= 0) return rc;
  if (flags.self_test) return SelfTest();

  std::set<std::string> selected;
  for (size_t start = 0; start <= flags.workload.size();) {
    size_t end = flags.workload.find(',', start);
    if (end == std::string::npos) end = flags.workload.size();
    std::string w = flags.workload.substr(start, end - start);
    start = end + 1;
    w.erase(0, w.find_first_not_of(" \t"));
    w.erase(w.find_last_not_of(" \t") + 1);
    if (w.empty()) continue;
    bool known = false;
    std::string names;
    for (const Group& g : Groups()) {
      for (std::string_view line : g.lines) {
        names += (names.empty() ? "" : ",") + std::string(line);
        if (w == "all" && g.in_all) selected.insert(std::string(line));
        known = known || w == line;
      }
    }
    if (w == "all") continue;
    if (!known) {
      std::fprintf(stderr, "unknown workload \"%s\" (known: %s, all)\n", w.c_str(), names.c_str());
      return 2;
    }
    selected.insert(w);
  }

  std::string base;
  bool remove_base = false;
  std::error_code ec;
  if (flags.root.empty()) {
    const char* tmp = std::getenv("TMPDIR");
    std::string templ =
        std::string(tmp != nullptr && *tmp != '\0' ? tmp : "/tmp") + "/contentstore-bench-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) {
      std::fprintf(stderr, "root: mkdtemp %s: %s\n", templ.c_str(), std::strerror(errno));
      return 1;
    }
    base = templ;
    remove_base = !flags.keep;
  } else {
    base = std::filesystem::absolute(flags.root, ec).string();
    if (!ec) std::filesystem::create_directories(base, ec);
    if (ec) {
      std::fprintf(stderr, "root: %s: %s\n", flags.root.c_str(), ec.message().c_str());
      return 1;
    }
  }

  int failed = 0;
  for (const Group& group : Groups()) {
    if (!Selects(group, selected)) continue;
    if (flags.fork) {
      failed += RunForked(flags, base, group, selected) ? 0 : 1;
      continue;
    }
    Emitter out(-1);
    Bench bench(flags, base, selected, out);
    RunInProcess(bench, group, selected, out);
    failed += out.failed() ? 1 : 0;
    struct rusage ru {};
    ::getrusage(RUSAGE_SELF, &ru);  // cumulative: the peak of all workloads so far
    for (const std::string& line : out.take_lines()) PrintLine(line, ru.ru_maxrss);
  }
  if (remove_base) std::filesystem::remove_all(base, ec);
  return failed > 0 ? 1 : 0;
}

}  // namespace
}  // namespace contentstore::bench

int main(int argc, char** argv) { return contentstore::bench::Main(argc, argv); }
