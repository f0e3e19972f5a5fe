// The workloads of contentstore-bench; see workloads.h. Each function's
// comment names the harness function it mirrors and what is timed.

#include "workloads.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <latch>
#include <memory>
#include <mutex>
#include <numeric>
#include <optional>
#include <random>
#include <thread>
#include <utility>
#include <vector>

#include "content.h"
#include "contentstore/store.h"

namespace contentstore::bench {
namespace {

constexpr std::string_view kReported = "(already reported)";

Status Reported() { return Status::Internal(std::string(kReported)); }

Status Errno(std::string_view what) {
  return Status::IOError(fmt::format("{}: {}", what, std::strerror(errno)));
}

// Resident set size of this process now, in KiB.
int64_t CurrentRssKib() {
  long pages = 0;
  if (std::FILE* f = std::fopen("/proc/self/statm", "r")) {
    long size = 0;
    if (std::fscanf(f, "%ld %ld", &size, &pages) != 2) pages = 0;
    std::fclose(f);
  }
  return static_cast<int64_t>(pages) * ::sysconf(_SC_PAGESIZE) / 1024;
}

// A fresh, empty store root inside the base directory, removed when this
// goes away unless --keep.
class Root {
 public:
  static Result<Root> Make(const std::string& base, std::string_view name, bool keep) {
    std::string templ = fmt::format("{}/{}-XXXXXX", base, name);
    if (::mkdtemp(templ.data()) == nullptr) return Errno("mkdtemp " + templ);
    return Root(std::move(templ), keep);
  }
  Root(Root&& other) noexcept : path_(std::exchange(other.path_, "")), keep_(other.keep_) {}
  Root& operator=(Root&&) = delete;
  ~Root() {
    if (path_.empty() || keep_) return;
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  Root(std::string path, bool keep) : path_(std::move(path)), keep_(keep) {}
  std::string path_;
  bool keep_;
};

// Flushes everything written under `path` to disk (untimed), so that dirty
// pages left by a sync = false setup are not written back during a timed part.
Status Settle(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return Errno("open " + path);
  const int rc = ::syncfs(fd);
  ::close(fd);
  if (rc != 0) return Errno("syncfs " + path);
  return Status::OK();
}

// --blobs: every store keeps its blobs in the bucket, under a prefix named
// after its root (the objects stay in the bucket: use a throwaway server).
std::string g_blobs;

Result<std::unique_ptr<Store>> OpenStore(const std::string& root, Options options) {
  if (!g_blobs.empty()) {
    const size_t query = std::min(g_blobs.find('?'), g_blobs.size());
    std::string url = g_blobs.substr(0, query);
    while (url.ends_with('/')) url.pop_back();
    options.blobs =
        url + "/" + std::filesystem::path(root).filename().string() + g_blobs.substr(query);
  }
  return Store::Open(root, options);
}

Options PopulateOptions() {
  Options o;
  o.sync = false;  // documented fast path for populating stores
  return o;
}

WriterOptions WriterFor(const std::string& ref, bool desc, int64_t size, const Digest& digest) {
  WriterOptions w;
  w.ref = ref;
  if (desc) {
    w.total = size;
    w.expected = digest;
  }
  return w;
}

// The harness's commitOne: Writer(ref) -> Write(p) -> Commit(size, digest) -> Close.
Status CommitOne(Store& store, const std::string& ref, std::span<const std::byte> p,
                 const Digest& digest, bool desc, const Labels& labels = {}) {
  const auto size = static_cast<int64_t>(p.size());
  auto w = store.writer(WriterFor(ref, desc, size, digest));
  if (!w.ok()) return w.status().WithContext("writer " + ref);
  if (Status s = (*w)->write(p); !s.ok()) return s.WithContext("write " + ref);
  if (Status s = (*w)->commit(size, digest, labels); !s.ok()) return s.WithContext("commit " + ref);
  return (*w)->close();
}

// Writes the first `bytes` bytes of `stream` in chunks, as the harness's
// resume setup does. Returns the offset reached.
Result<int64_t> WriteStreamPrefix(Writer& w, Stream& stream, int64_t bytes) {
  int64_t off = 0;
  int64_t idx = 0;
  while (off < bytes) {
    std::span<const std::byte> p = stream.get(idx);
    if (static_cast<int64_t>(p.size()) > bytes - off) p = p.first(bytes - off);
    if (Status s = w.write(p); !s.ok()) return s;
    off += static_cast<int64_t>(p.size());
    if (static_cast<int64_t>(p.size()) == stream.chunk()) ++idx;
  }
  return off;
}

std::vector<int> Shuffled(int n, uint64_t seed) {
  std::vector<int> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  std::shuffle(order.begin(), order.end(), rng);
  return order;
}

// Refs of the active workloads: "ingest-<i>" zero-padded to the width of
// n-1, and the prefix that selects ~1% of them.
struct ActiveRefs {
  std::vector<std::string> refs;
  std::string prefix;
  int want_filtered = 0;
};

ActiveRefs MakeActiveRefs(int n) {
  ActiveRefs a;
  const int width = static_cast<int>(std::to_string(n - 1).size());
  a.refs.reserve(n);
  for (int i = 0; i < n; ++i) a.refs.push_back(fmt::format("ingest-{:0{}}", i, width));
  a.prefix = "ingest-";
  if (width >= 3) {
    a.prefix += "00";
  } else if (width == 2) {
    a.prefix += "0";
  }
  for (const std::string& r : a.refs) a.want_filtered += r.starts_with(a.prefix) ? 1 : 0;
  return a;
}

// The 1 KiB written into each in-progress ingest.
std::vector<std::byte> ActivePayload(uint64_t seed) {
  std::vector<std::byte> payload(1024);
  SplitMix64(seed + 2000).fill(payload);
  return payload;
}

// Opens `refs.size()` ingests under `root`, writes the payload into each and
// closes it (setup), with a sync = false store.
Status MakeIngests(const std::string& root, const std::vector<std::string>& refs,
                   std::span<const std::byte> payload) {
  auto store = OpenStore(root, PopulateOptions());
  if (!store.ok()) return store.status();
  for (const std::string& ref : refs) {
    WriterOptions wo;
    wo.ref = ref;
    auto w = (*store)->writer(wo);
    if (!w.ok()) return w.status().WithContext("writer " + ref);
    if (Status s = (*w)->write(payload); !s.ok()) return s;
    if (Status s = (*w)->close(); !s.ok()) return s;
  }
  store->reset();
  return Settle(root);
}

// Reads everything from `fd` until EOF.
std::string ReadAll(int fd) {
  std::string out;
  char buf[4096];
  for (;;) {
    const ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return out;
    out.append(buf, static_cast<size_t>(n));
  }
}

// --perf-ctl/--perf-ack: FIFOs of `perf record --control`.
std::string perf_ctl_fifo;
std::string perf_ack_fifo;

// Tells perf record to enable or disable its events, and waits until it has.
void PerfControl(bool enable) {
  if (perf_ctl_fifo.empty()) return;
  const int ctl = ::open(perf_ctl_fifo.c_str(), O_WRONLY | O_CLOEXEC);
  if (ctl < 0) return;
  const std::string_view cmd = enable ? "enable\n" : "disable\n";
  (void)!::write(ctl, cmd.data(), cmd.size());
  ::close(ctl);
  if (perf_ack_fifo.empty()) return;
  const int ack = ::open(perf_ack_fifo.c_str(), O_RDONLY | O_CLOEXEC);
  if (ack < 0) return;
  char buf[8];
  (void)!::read(ack, buf, sizeof buf);  // "ack\n"
  ::close(ack);
}

}  // namespace

// Wall-clock timer of a timed part; also notes the resident set size when
// the part begins (what setup left: content buffers, the open store).
class Bench::Timer {
 public:
  void start() {
    rss_before_kib_ = CurrentRssKib();
    PerfControl(true);
    t0_ = std::chrono::steady_clock::now();
  }
  double stop() {
    seconds_ = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0_).count();
    PerfControl(false);
    return seconds_;
  }
  int64_t rss_before_kib() const { return rss_before_kib_; }

 private:
  std::chrono::steady_clock::time_point t0_;
  double seconds_ = 0;
  int64_t rss_before_kib_ = 0;
};

// A root holding n small blobs, reopened with the options under test.
// Members in this order so that the store closes before the root goes.
struct Bench::Populated {
  Root root;
  SmallSet set;
  std::unique_ptr<Store> store;
};

Bench::Bench(const Flags& flags, std::string base, std::set<std::string> selected, Emitter& out)
    : flags_(flags), base_(std::move(base)), selected_(std::move(selected)), out_(out) {
  perf_ctl_fifo = flags.perf_ctl;
  perf_ack_fifo = flags.perf_ack;
  g_blobs = flags.blobs;
}

bool Bench::IsReported(const Status& s) { return s.message() == kReported; }

void Bench::emit(Line line, const Timer& timer) {
  line.add("sync", flags_.sync);
  line.add("rss_before_kib", timer.rss_before_kib());
  out_.emit(line);
}

Result<Bench::Populated> Bench::populated(std::string_view name, bool label_one_percent) {
  if (flags_.small_bytes < 8) {
    return Status::InvalidArgument(
        fmt::format("--small-bytes must be >= 8 (got {})", flags_.small_bytes));
  }
  auto root = Root::Make(base_, name, flags_.keep);
  if (!root.ok()) return root.status();
  Populated p{std::move(*root),
              SmallSet(flags_.n, flags_.small_bytes, flags_.seed, std::string(name) + "-"),
              nullptr};
  {
    auto store = OpenStore(p.root.path(), PopulateOptions());
    if (!store.ok()) return store.status();
    for (int i = 0; i < p.set.n(); ++i) {
      if (Status s = CommitOne(**store, p.set.ref(i), p.set.blob(i), p.set.digest(i), flags_.desc);
          !s.ok()) {
        return s;
      }
    }
    // walk_label: the harness labels 1% of the blobs with Update after
    // populating; so do we.
    for (int i = 0; label_one_percent && i < p.set.n(); i += 100) {
      Info info;
      info.digest = p.set.digest(i);
      info.labels = {{"bench/sel", "1"}};
      auto updated = (*store)->update(info, {"labels.bench/sel"});
      if (!updated.ok()) return updated.status().WithContext("update labels");
    }
  }
  if (Status s = Settle(p.root.path()); !s.ok()) return s;
  Options timed;
  timed.sync = flags_.sync;
  auto store = OpenStore(p.root.path(), timed);
  if (!store.ok()) return store.status();
  p.store = std::move(*store);
  return p;
}

// large (harness: large): timed writer(), 1 MiB writes, commit(size, digest)
// of one blob into a fresh store.
Status Bench::large() {
  if (flags_.chunk < 8) return Status::InvalidArgument("--chunk must be >= 8");
  Stream stream(flags_.large_bytes, flags_.chunk, flags_.pattern_bytes, flags_.seed + 1000);
  const Digest expected = stream.digest();
  auto root = Root::Make(base_, "large", flags_.keep);
  if (!root.ok()) return root.status();
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();
  const int64_t nchunks = stream.nchunks();

  Timer timer;
  timer.start();
  auto w = (*store)->writer(WriterFor("large-0", flags_.desc, stream.total(), expected));
  if (!w.ok()) return w.status();
  for (int64_t i = 0; i < nchunks; ++i) {
    if (Status s = (*w)->write(stream.get(i)); !s.ok()) {
      return s.WithContext(fmt::format("write chunk {}", i));
    }
  }
  if (Status s = (*w)->commit(stream.total(), expected); !s.ok()) return s.WithContext("commit");
  const double el = timer.stop();
  if (Status s = (*w)->close(); !s.ok()) return s;

  auto info = (*store)->info(expected);
  if (!info.ok() || info->size != stream.total()) {
    return Status::Internal(fmt::format("post-check info: {}", info.status().ToString()));
  }
  emit(MakeLine("large", 1, stream.total(), el), timer);
  return Status::OK();
}

// small (harness: small): per blob, timed writer(ref) -> write -> commit(size,
// digest) into a fresh store.
Status Bench::small() {
  if (flags_.small_bytes < 8) {
    return Status::InvalidArgument(
        fmt::format("--small-bytes must be >= 8 (got {})", flags_.small_bytes));
  }
  SmallSet set(flags_.n, flags_.small_bytes, flags_.seed, "small-");
  auto root = Root::Make(base_, "small", flags_.keep);
  if (!root.ok()) return root.status();
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();

  Timer timer;
  timer.start();
  for (int i = 0; i < set.n(); ++i) {
    if (Status s = CommitOne(**store, set.ref(i), set.blob(i), set.digest(i), flags_.desc);
        !s.ok()) {
      return s;
    }
  }
  const double el = timer.stop();
  emit(MakeLine("small", set.n(), set.size(), el), timer);
  return Status::OK();
}

// info (harness: info): timed info() of all n digests, shuffled.
Status Bench::info() {
  auto p = populated("info", false);
  if (!p.ok()) return p.status();
  const std::vector<int> order = Shuffled(p->set.n(), flags_.seed + 3);

  Timer timer;
  timer.start();
  for (int i : order) {
    auto info = p->store->info(p->set.digest(i));
    if (!info.ok()) return info.status().WithContext("info");
    if (info->size != p->set.size()) {
      return Status::Internal(fmt::format("info {}: size {}", p->set.digest(i).str(), info->size));
    }
  }
  const double el = timer.stop();
  emit(MakeLine("info", static_cast<int64_t>(order.size()), 0, el), timer);
  return Status::OK();
}

// walk (harness: walk): one timed walk() over n blobs.
Status Bench::walk() {
  auto p = populated("walk", false);
  if (!p.ok()) return p.status();
  int64_t count = 0;

  Timer timer;
  timer.start();
  Status s = p->store->walk([&](const Info&) {
    ++count;
    return Status::OK();
  });
  const double el = timer.stop();
  if (!s.ok()) return s;
  if (count != p->set.n()) {
    return Status::Internal(fmt::format("walk counted {} blobs, want {}", count, p->set.n()));
  }
  Line line = MakeLine("walk", count, 0, el);
  line.calls = 1;
  emit(std::move(line), timer);
  return Status::OK();
}

// walk_label (harness: walkLabel): 1% of n blobs carry labels."bench/sel"=1
// (set with update() in setup); one timed walk() with that filter.
Status Bench::walk_label() {
  auto p = populated("walk_label", true);
  if (!p.ok()) return p.status();
  const int64_t want = (p->set.n() + 99) / 100;
  int64_t matched = 0;

  Timer timer;
  timer.start();
  Status s = p->store->walk(
      [&](const Info&) {
        ++matched;
        return Status::OK();
      },
      {R"(labels."bench/sel"==1)"});
  const double el = timer.stop();
  if (!s.ok()) return s;
  if (matched != want) {
    return Status::Internal(fmt::format("walk_label matched {} blobs, want {}", matched, want));
  }
  Line line = MakeLine("walk_label", p->set.n(), 0, el);
  line.matched = matched;
  line.calls = 1;
  emit(std::move(line), timer);
  return Status::OK();
}

// active, active_filter, status (harness: active): one store of --active
// in-progress ingests (1 KiB written, closed). Timed: one list_statuses();
// one list_statuses("ref~=^ingest-00") (~1%); --status-calls status(ref) on
// random refs. Each reports a line (or an error line) if selected.
Status Bench::active_group() {
  const int n = flags_.active;
  if (n < 1) return Status::InvalidArgument("--active must be >= 1");
  const ActiveRefs a = MakeActiveRefs(n);
  const std::string filter = "ref~=^" + a.prefix;
  const std::vector<std::byte> payload = ActivePayload(flags_.seed);

  auto root = Root::Make(base_, "active", flags_.keep);
  if (!root.ok()) return root.status();
  if (Status s = MakeIngests(root->path(), a.refs, payload); !s.ok()) return s;
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();

  bool failed = false;
  auto fail = [&](std::string_view workload, const Status& s) {
    out_.emit(ErrorLine(workload, s.ToString()));
    failed = true;
  };
  if (selected_.contains("active")) {
    Timer timer;
    timer.start();
    auto st = (*store)->list_ingests();
    const double el = timer.stop();
    if (!st.ok()) {
      fail("active", st.status());
    } else if (st->size() != static_cast<size_t>(n)) {
      fail("active",
           Status::Internal(fmt::format("list_statuses returned {}, want {}", st->size(), n)));
    } else {
      Line line = MakeLine("active", n, 0, el);
      line.calls = 1;
      emit(std::move(line), timer);
    }
  }
  if (selected_.contains("active_filter")) {
    Timer timer;
    timer.start();
    auto st = (*store)->list_ingests({filter});
    const double el = timer.stop();
    if (!st.ok()) {
      fail("active_filter", st.status());
    } else if (st->size() != static_cast<size_t>(a.want_filtered)) {
      fail("active_filter", Status::Internal(fmt::format("list_statuses({}) returned {}, want {}",
                                                         filter, st->size(), a.want_filtered)));
    } else {
      Line line = MakeLine("active_filter", n, 0, el);
      line.matched = static_cast<int64_t>(st->size());
      line.calls = 1;
      emit(std::move(line), timer);
    }
  }
  if (selected_.contains("status")) {
    std::mt19937_64 rng(static_cast<uint64_t>(flags_.seed) + 5);
    std::uniform_int_distribution<int> pick(0, n - 1);
    std::vector<const std::string*> picks(std::max(0, flags_.status_calls));
    for (auto& ref : picks) ref = &a.refs[pick(rng)];
    Status serr;
    Timer timer;
    timer.start();
    for (const std::string* ref : picks) {
      auto st = (*store)->get_ingest(*ref);
      if (!st.ok()) {
        serr = st.status().WithContext("status " + *ref);
        break;
      }
      if (st->ref != *ref || st->offset != static_cast<int64_t>(payload.size())) {
        serr = Status::Internal(
            fmt::format("status {}: got ref \"{}\" offset {}", *ref, st->ref, st->offset));
        break;
      }
    }
    const double el = timer.stop();
    if (!serr.ok()) {
      fail("status", serr);
    } else {
      emit(MakeLine("status", static_cast<int64_t>(picks.size()), 0, el), timer);
    }
  }
  return failed ? Reported() : Status::OK();
}

// resume (harness: resume): setup writes --resume-bytes into ref "resume-0"
// and closes the writer. Timed: only the re-open writer(ref). Untimed check:
// the offset is --resume-bytes, and appending the stream's last 1 MiB then
// commit(total, digest) succeeds.
Status Bench::resume() {
  if (flags_.chunk < 8) return Status::InvalidArgument("--chunk must be >= 8");
  const int64_t total = flags_.resume_bytes + kMiB;
  Stream stream(total, flags_.chunk, flags_.pattern_bytes, flags_.seed + 3000);
  const Digest expected = stream.digest();
  auto root = Root::Make(base_, "resume", flags_.keep);
  if (!root.ok()) return root.status();
  const std::string ref = "resume-0";
  int64_t off = 0;
  {
    auto store = OpenStore(root->path(), PopulateOptions());
    if (!store.ok()) return store.status();
    WriterOptions wo;
    wo.ref = ref;
    auto w = (*store)->writer(wo);
    if (!w.ok()) return w.status();
    auto written = WriteStreamPrefix(**w, stream, flags_.resume_bytes);
    if (!written.ok()) return written.status();
    off = *written;
    if (Status s = (*w)->close(); !s.ok()) return s;
  }
  if (Status s = Settle(root->path()); !s.ok()) return s;
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();

  WriterOptions wo;
  wo.ref = ref;
  Timer timer;
  timer.start();
  auto w = (*store)->writer(wo);
  const double el = timer.stop();
  if (!w.ok()) return w.status().WithContext("resume writer");

  if ((*w)->status().offset != flags_.resume_bytes) {
    return Status::Internal(
        fmt::format("resumed offset {}, want {}", (*w)->status().offset, flags_.resume_bytes));
  }
  if (Status s = (*w)->write(stream.tail(off)); !s.ok()) return s;
  if (Status s = (*w)->commit(total, expected); !s.ok()) {
    return s.WithContext("commit after resume (digest mismatch?)");
  }
  emit(MakeLine("resume", 1, flags_.resume_bytes, el), timer);
  return Status::OK();
}

// delete (harness: delete): timed remove() of all n blobs, shuffled. Then,
// untimed, a walk finds none. remove() defers unlinking files to batches,
// the last of which runs when the store closes: that close is reported
// apart as "close_seconds".
Status Bench::remove() {
  auto p = populated("delete", false);
  if (!p.ok()) return p.status();
  const std::vector<int> order = Shuffled(p->set.n(), flags_.seed + 7);

  Timer timer;
  timer.start();
  for (int i : order) {
    if (Status s = p->store->remove(p->set.digest(i)); !s.ok()) {
      return s.WithContext("delete " + p->set.digest(i).str());
    }
  }
  const double el = timer.stop();
  int64_t left = 0;
  if (Status s = p->store->walk([&](const Info&) {
        ++left;
        return Status::OK();
      });
      !s.ok()) {
    return s;
  }
  if (left != 0) return Status::Internal(fmt::format("{} blobs left after delete", left));
  Timer close_timer;
  close_timer.start();
  p->store.reset();
  const double close_el = close_timer.stop();
  Line line = MakeLine("delete", static_cast<int64_t>(order.size()), 0, el);
  line.add("close_seconds", Round(close_el, 6));
  emit(std::move(line), timer);
  return Status::OK();
}

// concurrent (harness: concurrent): --threads threads, each commits
// n/threads small blobs (as small does) into one fresh store; timed from
// releasing them to the last one finishing.
// The blobs of concurrent and concurrent_procs: n rounded down to a
// multiple of --threads, so each committer gets as many.
Result<SmallSet> Bench::ConcurrentSet(std::string_view prefix) const {
  if (flags_.threads < 1) return Status::InvalidArgument("--threads must be >= 1");
  if (flags_.small_bytes < 8) {
    return Status::InvalidArgument(
        fmt::format("--small-bytes must be >= 8 (got {})", flags_.small_bytes));
  }
  const int per = flags_.n / flags_.threads;
  return SmallSet(per * flags_.threads, flags_.small_bytes, flags_.seed, std::string(prefix));
}

Status Bench::concurrent() {
  auto made = ConcurrentSet("conc-");
  if (!made.ok()) return made.status();
  const SmallSet& set = *made;
  const int t = flags_.threads;
  const int per = set.n() / t;
  const int total = set.n();
  auto root = Root::Make(base_, "concurrent", flags_.keep);
  if (!root.ok()) return root.status();
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();

  std::latch gate(1);
  std::mutex mu;
  Status first_error;
  std::vector<std::thread> threads;
  for (int k = 0; k < t; ++k) {
    threads.emplace_back([&, k] {
      gate.wait();
      for (int i = k * per; i < (k + 1) * per; ++i) {
        if (Status s = CommitOne(**store, set.ref(i), set.blob(i), set.digest(i), flags_.desc);
            !s.ok()) {
          std::lock_guard lock(mu);
          if (first_error.ok()) first_error = s;
          return;
        }
      }
    });
  }
  Timer timer;
  timer.start();
  gate.count_down();
  for (std::thread& th : threads) th.join();
  const double el = timer.stop();
  if (!first_error.ok()) return first_error;
  Line line = MakeLine("concurrent", total, set.size(), el);
  line.threads = t;
  emit(std::move(line), timer);
  return Status::OK();
}

// concurrent_procs (ours): concurrent with --threads processes instead of
// threads, each with its own Store on the one root (forked before any store
// is open here); timed from releasing them to the last one exiting.
Status Bench::concurrent_procs() {
  auto made = ConcurrentSet("procs-");
  if (!made.ok()) return made.status();
  const SmallSet& set = *made;
  const int t = flags_.threads;
  const int per = set.n() / t;
  const int total = set.n();
  auto root = Root::Make(base_, "concurrent_procs", flags_.keep);
  if (!root.ok()) return root.status();
  {
    auto created = OpenStore(root->path(), PopulateOptions());
    if (!created.ok()) return created.status();
  }
  int gate[2];
  if (::pipe2(gate, O_CLOEXEC) != 0) return Errno("pipe");
  std::fflush(nullptr);
  std::vector<pid_t> children;
  for (int k = 0; k < t; ++k) {
    const pid_t pid = ::fork();
    if (pid < 0) return Errno("fork");
    if (pid == 0) {
      ::close(gate[1]);
      Options options;
      options.sync = flags_.sync;
      auto store = OpenStore(root->path(), options);
      char go = 0;
      if (!store.ok() || ::read(gate[0], &go, 1) != 0) ::_exit(2);  // EOF: released
      for (int i = k * per; i < (k + 1) * per; ++i) {
        if (!CommitOne(**store, set.ref(i), set.blob(i), set.digest(i), flags_.desc).ok()) {
          ::_exit(3);
        }
      }
      store->reset();
      ::_exit(0);
    }
    children.push_back(pid);
  }
  ::close(gate[0]);
  // Let the children open their stores before the clock starts.
  ::usleep(200 * 1000);
  Timer timer;
  timer.start();
  ::close(gate[1]);
  int failed = 0;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) ++failed;
  }
  const double el = timer.stop();
  if (failed > 0) {
    return Status::Internal(fmt::format("{} of {} committing processes failed", failed, t));
  }
  Line line = MakeLine("concurrent_procs", total, set.size(), el);
  line.threads = t;
  emit(std::move(line), timer);
  return Status::OK();
}

// resume_crash (ours): a child process writes --resume-bytes into ref
// "resume-crash-0" and is killed with SIGKILL while its writer is open (no
// close, so nothing is saved beyond the writer's last checkpoint). Timed:
// the re-open writer(ref) in this process, which takes over the dead
// holder's ref and hashes what was written after the last checkpoint. The
// check afterwards is resume's.
Status Bench::resume_crash() {
  if (flags_.chunk < 8) return Status::InvalidArgument("--chunk must be >= 8");
  const int64_t total = flags_.resume_bytes + kMiB;
  Stream stream(total, flags_.chunk, flags_.pattern_bytes, flags_.seed + 3000);
  const Digest expected = stream.digest();
  auto root = Root::Make(base_, "resume_crash", flags_.keep);
  if (!root.ok()) return root.status();
  const std::string ref = "resume-crash-0";

  // Setup: the crashing writer, in a child process (no store is open here,
  // so none is copied into it).
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) return Errno("pipe");
  std::fflush(nullptr);
  const pid_t pid = ::fork();
  if (pid < 0) return Errno("fork");
  if (pid == 0) {
    ::close(fds[0]);
    Status s = [&]() -> Status {
      auto store = OpenStore(root->path(), PopulateOptions());
      if (!store.ok()) return store.status();
      WriterOptions wo;
      wo.ref = ref;
      auto w = (*store)->writer(wo);
      if (!w.ok()) return w.status();
      auto written = WriteStreamPrefix(**w, stream, flags_.resume_bytes);
      if (!written.ok()) return written.status();
      // Ready to die with the writer open.
      if (::write(fds[1], "R", 1) != 1) return Errno("write to parent");
      for (;;) ::pause();
    }();
    const std::string msg = "E" + s.ToString();
    (void)!::write(fds[1], msg.data(), msg.size());
    ::_exit(1);
  }
  ::close(fds[1]);
  char first = 0;
  ssize_t got;
  do {
    got = ::read(fds[0], &first, 1);
  } while (got < 0 && errno == EINTR);
  std::string child_error;
  if (got == 1 && first == 'R') {
    ::kill(pid, SIGKILL);
  } else {
    child_error = ReadAll(fds[0]);
  }
  ::close(fds[0]);
  int wstatus = 0;
  while (::waitpid(pid, &wstatus, 0) < 0 && errno == EINTR) {
  }
  if (!(got == 1 && first == 'R')) {
    return Status::Internal("crashing writer failed: " +
                            (child_error.empty() ? std::string("no report") : child_error));
  }
  if (!WIFSIGNALED(wstatus) || WTERMSIG(wstatus) != SIGKILL) {
    return Status::Internal("crashing writer was not killed by SIGKILL");
  }
  if (Status s = Settle(root->path()); !s.ok()) return s;
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();

  WriterOptions wo;
  wo.ref = ref;
  Timer timer;
  timer.start();
  auto w = (*store)->writer(wo);
  const double el = timer.stop();
  if (!w.ok()) return w.status().WithContext("resume writer after crash");

  // A large ingest keeps up to two 8 MiB staging buffers in the writing
  // process (src/data_file.h): what the killed writer had not handed to the
  // file is not there, and the resumed writer says so.
  const int64_t resumed = (*w)->status().offset;
  if (resumed > flags_.resume_bytes || resumed < flags_.resume_bytes - (int64_t{16} << 20)) {
    return Status::Internal(
        fmt::format("resumed offset {}, want {} or up to 16 MiB less", resumed,
                    flags_.resume_bytes));
  }
  if (Status s = (*w)->write(stream.tail(resumed)); !s.ok()) return s;
  if (Status s = (*w)->commit(total, expected); !s.ok()) {
    return s.WithContext("commit after crash and resume (digest mismatch?)");
  }
  Line line = MakeLine("resume_crash", 1, flags_.resume_bytes, el);
  line.add("checkpoint_bytes", Options{}.checkpoint_bytes);
  line.add("resumed_offset", resumed);
  emit(std::move(line), timer);
  return Status::OK();
}

// open (ours): timed Store::Open of a root holding --n blobs (populated,
// closed and flushed beforehand). n is the number of blobs held.
Status Bench::open() {
  Result<Populated> p = populated("open", false);
  if (!p.ok()) return p.status();
  p->store.reset();

  Options options;
  options.sync = flags_.sync;
  Timer timer;
  timer.start();
  auto store = OpenStore(p->root.path(), options);
  const double el = timer.stop();
  if (!store.ok()) return store.status();
  if (p->set.n() > 0) {
    auto info = (*store)->info(p->set.digest(0));
    if (!info.ok()) return info.status().WithContext("info after open");
  }
  Line line = MakeLine("open", p->set.n(), 0, el);
  line.calls = 1;
  emit(std::move(line), timer);
  return Status::OK();
}

// small_batch (ours): the small workload's blobs committed through
// put_blobs, --batch at a time, with the same durability (one directory
// fsync, one transaction and one WAL sync per batch; each blob's bytes
// fdatasync'ed). Timed: all put_blobs calls. n counts blobs.
Status Bench::small_batch() {
  if (flags_.small_bytes < 8) {
    return Status::InvalidArgument(
        fmt::format("--small-bytes must be >= 8 (got {})", flags_.small_bytes));
  }
  SmallSet set(flags_.n, flags_.small_bytes, flags_.seed, "batch-");
  auto root = Root::Make(base_, "small_batch", flags_.keep);
  if (!root.ok()) return root.status();
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();
  const int batch = std::max(1, flags_.batch);
  std::vector<BlobInput> inputs;
  Timer timer;
  timer.start();
  for (int start = 0; start < set.n(); start += batch) {
    inputs.clear();
    for (int i = start; i < std::min(set.n(), start + batch); ++i) {
      inputs.push_back({set.blob(i), set.digest(i), {}});
    }
    auto put = (*store)->put_blobs(inputs);
    if (!put.ok()) return put.status();
    for (const Status& one : *put) {
      if (!one.ok()) return one;
    }
  }
  const double el = timer.stop();
  Line line = MakeLine("small_batch", set.n(), set.size(), el);
  line.add("batch", static_cast<int64_t>(batch));
  emit(std::move(line), timer);
  return Status::OK();
}

// gc (ours): --n blobs of 64 bytes, one reference edge each: 1% are roots
// (containerd.io/gc.root), every other reachable blob hangs off a chain from
// a root, and the last 10% form a cycle nothing reaches. Populated through
// put_blobs without fsync, then settled and reopened with the options under
// test. Timed: one collect_garbage() with no grace period and
// wait_for_files = false, which marks and sweeps in the catalog (what blocks
// other writers) and hands the files to the background remover; the time
// until those files are gone is reported as files_seconds. matched = blobs
// removed (must be 10%); write_transactions and longest_write_ms are the
// report's.
Status Bench::gc() {
  const int n = flags_.n;
  if (n < 100) return Status::InvalidArgument("gc needs --n >= 100");
  auto root = Root::Make(base_, "gc", flags_.keep);
  if (!root.ok()) return root.status();
  const int roots = n / 100;
  const int reachable = n - n / 10;
  std::vector<Digest> digests;
  digests.reserve(n);
  std::vector<std::vector<std::byte>> blobs(n, std::vector<std::byte>(64));
  Digester digester;
  for (int i = 0; i < n; ++i) {
    SmallBlob(flags_.seed + 7, i, blobs[static_cast<size_t>(i)]);
    digester.reset();
    digester.update(blobs[static_cast<size_t>(i)]);
    digests.push_back(digester.digest());
  }
  auto child_of = [&](int i) {
    if (i >= reachable) return reachable + (i - reachable + 1) % (n - reachable);
    return i + roots < reachable ? i + roots : i % roots;
  };
  {
    auto store = OpenStore(root->path(), PopulateOptions());
    if (!store.ok()) return store.status();
    constexpr int kBatch = 1000;
    std::vector<BlobInput> inputs;
    for (int start = 0; start < n; start += kBatch) {
      inputs.clear();
      for (int i = start; i < std::min(n, start + kBatch); ++i) {
        Labels labels = {{"containerd.io/gc.ref.content.l.0", digests[child_of(i)].str()}};
        if (i < roots) labels["containerd.io/gc.root"] = "bench";
        inputs.push_back({blobs[static_cast<size_t>(i)], digests[static_cast<size_t>(i)],
                          std::move(labels)});
      }
      auto put = (*store)->put_blobs(inputs);
      if (!put.ok()) return put.status().WithContext("populating");
    }
  }
  blobs.clear();
  blobs.shrink_to_fit();
  if (Status s = Settle(root->path()); !s.ok()) return s;
  Options options;
  options.sync = flags_.sync;
  auto store = OpenStore(root->path(), options);
  if (!store.ok()) return store.status();
  GcOptions gc;
  gc.grace = std::chrono::seconds(0);
  gc.wait_for_files = false;  // files_seconds reports the unlinking
  Timer timer;
  timer.start();
  auto report = (*store)->collect_garbage(gc);
  const double el = timer.stop();
  if (!report.ok()) return report.status();
  const auto files_started = std::chrono::steady_clock::now();
  store->reset();  // waits for the background remover to finish
  const double files = std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                                     files_started).count();
  if (static_cast<int>(report->removed_blobs.size()) != n - reachable) {
    return Status::Internal(fmt::format("gc removed {} blobs, want {}",
                                        report->removed_blobs.size(), n - reachable));
  }
  Line line = MakeLine("gc", n, 0, el);
  line.matched = static_cast<int>(report->removed_blobs.size());
  line.calls = 1;
  line.add("files_seconds", files);
  // What writers in other processes wait for: the sweep's transactions and
  // the longest of them (COMMIT included).
  line.add("write_transactions", report->write_transactions);
  line.add("longest_write_ms",
           std::chrono::duration<double, std::milli>(report->longest_write).count());
  emit(std::move(line), timer);
  return Status::OK();
}

// scale (ours, only when named): --scale-n blobs (1% labelled, as in
// walk_label) and --scale-n in-progress ingests, populated with a sync =
// false store, then reopened with the options under test. Timed, one line
// each: scale_open (Store::Open of the blob store), scale_info (info() of
// every blob, shuffled), scale_walk_label (one filtered walk),
// scale_active and scale_active_filter (one list_statuses(), unfiltered and
// ~1%). Blobs are generated one at a time, so memory holds only digests.
Status Bench::scale() {
  const int n = flags_.scale_n;
  const int size = flags_.small_bytes;
  if (n < 1) return Status::InvalidArgument("--scale-n must be >= 1");
  if (size < 8) return Status::InvalidArgument("--small-bytes must be >= 8");
  Options options;
  options.sync = flags_.sync;

  auto root = Root::Make(base_, "scale", flags_.keep);
  if (!root.ok()) return root.status();
  std::vector<Digest> digests;
  digests.reserve(n);
  {
    // The documented fast path: put_blobs in batches, without fsync.
    auto store = OpenStore(root->path(), PopulateOptions());
    if (!store.ok()) return store.status();
    constexpr int kBatch = 1000;
    std::vector<std::vector<std::byte>> blobs(kBatch, std::vector<std::byte>(size));
    std::vector<BlobInput> inputs;
    Digester digester;
    const Labels label = {{"bench/sel", "1"}};
    for (int start = 0; start < n; start += kBatch) {
      inputs.clear();
      for (int i = start; i < std::min(n, start + kBatch); ++i) {
        std::vector<std::byte>& blob = blobs[static_cast<size_t>(i - start)];
        SmallBlob(flags_.seed, i, blob);
        digester.reset();
        digester.update(blob);
        digests.push_back(digester.digest());
        inputs.push_back({blob, digests.back(), i % 100 == 0 ? label : Labels{}});
      }
      auto put = (*store)->put_blobs(inputs);
      if (!put.ok()) return put.status().WithContext("populating");
      for (const Status& one : *put) {
        if (!one.ok()) return one.WithContext("populating");
      }
    }
  }
  if (Status s = Settle(root->path()); !s.ok()) return s;

  std::unique_ptr<Store> store;
  {
    Timer timer;
    timer.start();
    auto opened = OpenStore(root->path(), options);
    const double el = timer.stop();
    if (!opened.ok()) return opened.status();
    store = std::move(*opened);
    Line line = MakeLine("scale_open", n, 0, el);
    line.calls = 1;
    emit(std::move(line), timer);
  }
  {
    const std::vector<int> order = Shuffled(n, flags_.seed + 3);
    Timer timer;
    timer.start();
    for (int i : order) {
      auto info = store->info(digests[i]);
      if (!info.ok()) return info.status().WithContext("info");
      if (info->size != size) return Status::Internal("info: wrong size");
    }
    const double el = timer.stop();
    emit(MakeLine("scale_info", n, 0, el), timer);
  }
  {
    int64_t matched = 0;
    Timer timer;
    timer.start();
    Status s = store->walk(
        [&](const Info&) {
          ++matched;
          return Status::OK();
        },
        {R"(labels."bench/sel"==1)"});
    const double el = timer.stop();
    if (!s.ok()) return s;
    if (matched != (n + 99) / 100) {
      return Status::Internal(fmt::format("scale_walk_label matched {}", matched));
    }
    Line line = MakeLine("scale_walk_label", n, 0, el);
    line.matched = matched;
    line.calls = 1;
    emit(std::move(line), timer);
  }
  store.reset();
  digests = {};

  auto active_root = Root::Make(base_, "scale-active", flags_.keep);
  if (!active_root.ok()) return active_root.status();
  const ActiveRefs a = MakeActiveRefs(n);
  if (Status s = MakeIngests(active_root->path(), a.refs, ActivePayload(flags_.seed)); !s.ok()) {
    return s;
  }
  auto active_store = OpenStore(active_root->path(), options);
  if (!active_store.ok()) return active_store.status();
  for (const bool filtered : {false, true}) {
    Timer timer;
    timer.start();
    auto st = filtered ? (*active_store)->list_ingests({"ref~=^" + a.prefix})
                       : (*active_store)->list_ingests();
    const double el = timer.stop();
    if (!st.ok()) return st.status();
    const size_t want = filtered ? static_cast<size_t>(a.want_filtered) : static_cast<size_t>(n);
    if (st->size() != want) {
      return Status::Internal(fmt::format("list_statuses returned {}, want {}", st->size(), want));
    }
    Line line = MakeLine(filtered ? "scale_active_filter" : "scale_active", n, 0, el);
    if (filtered) line.matched = static_cast<int64_t>(st->size());
    line.calls = 1;
    emit(std::move(line), timer);
  }
  return Status::OK();
}

}  // namespace contentstore::bench
