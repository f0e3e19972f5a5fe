// contentstore-serve-bench: benchmarks a containerd content server (gRPC,
// containerd.services.content.v1.Content on a unix socket) through one
// client, so that `contentstore serve` and containerd's own content service
// (the peer, shared/peer/containerd-grpc) can be measured with the same
// calls on the same data. It does not start servers: --address names the
// socket of one that is running on an empty root (bench/serve_compare
// alternates the two).
//
// Workloads, in order (each prints one JSON line, report.h's format, with
// "server" naming --server):
//   write_large            one --large-bytes blob in --chunk WRITE messages,
//                          each answered before the next (containerd's
//                          client), then COMMIT with size and digest
//   read_large             Read of that blob, to the end, right after the
//                          write (the library writes large blobs with
//                          O_DIRECT, so their bytes are not in the page
//                          cache yet; containerd's local store writes
//                          through it)
//   read_large_warm        the same Read again (the page cache holds it)
//   write_large_pipelined  another blob of that size, with --window WRITEs
//                          in flight (what the protocol allows)
//   small                  --small-n blobs of --small-bytes, one upload at a
//                          time (STAT, WRITE, COMMIT each)
//   small_concurrent       the same from --clients clients at once
//   info, status           --calls round trips on random digests / refs
//   list, list_filtered    List of --blobs blobs; with labels."bench/sel"==1
//                          (1% labelled); median of --reps calls
//   list_statuses,         ListStatuses of --ingests ingests; with
//   list_statuses_filtered ref~=^ingest-00 (~1%); median of --reps calls
// Only when named (not in `all`), for several clients on several servers
// sharing one catalog and bucket (bench/multinode_compare):
//   read_committed         Read of the --large-bytes blob of --read-seed
//                          (default --seed), which must be committed already,
//                          e.g. by another client through another server
//   read_committed_again   the same Read again
// --ref-prefix goes before every ref, so that clients on servers sharing a
// catalog do not lock each other's refs; --start-at makes the first timed
// part of every client wait for the same moment (the report's start_late_s
// says how late a client's setup made it).
// The blobs and ingests the last six need are populated first, untimed,
// through the same API (--clients at once). Content comes from bench/
// content.h, so write_large commits the blob contentstore-bench's `large`
// commits.
//
// Thread-safety: single-threaded except where a workload starts clients.

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "content.h"
#include "malloc_tuning.h"
#include "report.h"
#include "serve_client.h"

namespace contentstore::bench {
namespace {

struct ServeFlags {
  std::string address;
  std::string server = "contentstore";
  std::string workload = "all";
  int64_t large_bytes = int64_t{1} << 30;
  int chunk = 1 << 20;
  int window = 4;
  int small_n = 1000;
  int small_bytes = 4096;
  int clients = 8;
  int blobs = 10000;
  int ingests = 10000;
  int calls = 1000;
  int reps = 10;
  int64_t seed = 1;
  int64_t read_seed = -1;  // -1: --seed
  std::string ref_prefix;
  double start_at = 0;  // unix seconds; 0: start at once
};

const std::vector<std::string> kAll = {
    "write_large", "read_large",  "read_large_warm", "write_large_pipelined", "small",
    "small_concurrent", "info",   "status",                "list",
    "list_filtered",    "list_statuses", "list_statuses_filtered"};
// Named only: they need a blob committed before the run.
const std::vector<std::string> kNamedOnly = {"read_committed", "read_committed_again"};

using Clock = std::chrono::steady_clock;

double Since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// Sleeps until the unix time `at` (if it is later); returns how late `at`
// was already passed when called (0 if it was not).
double WaitUntil(double at) {
  if (at <= 0) return 0;
  const double now = std::chrono::duration<double>(std::chrono::system_clock::now().time_since_epoch()).count();
  if (now >= at) return now - at;
  std::this_thread::sleep_for(std::chrono::duration<double>(at - now));
  return 0;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.size() % 2 ? v[v.size() / 2] : (v[v.size() / 2 - 1] + v[v.size() / 2]) / 2;
}

class ServeBench {
 public:
  ServeBench(const ServeFlags& flags, Emitter& out) : flags_(flags), out_(out), client_(flags.address) {}

  void Run(const std::set<std::string>& selected) {
    auto want = [&](std::string_view w) { return selected.count(std::string(w)) > 0; };
    if (want("write_large") || want("read_large") || want("read_large_warm")) {
      Large(want("write_large"), want("read_large"), want("read_large_warm"));
    }
    if (want("read_committed") || want("read_committed_again")) {
      ReadCommitted(want("read_committed"), want("read_committed_again"));
    }
    if (want("write_large_pipelined")) LargePipelined();
    if (want("small")) Small();
    if (want("small_concurrent")) SmallConcurrent();
    if (want("info") || want("list") || want("list_filtered")) {
      if (Status s = PopulateBlobs(); !s.ok()) return Fail("populate blobs", s);
      if (want("info")) InfoCalls();
      if (want("list")) List("list", {}, committed_);
      if (want("list_filtered")) List("list_filtered", {R"(labels."bench/sel"==1)"}, -1);
    }
    if (want("status") || want("list_statuses") || want("list_statuses_filtered")) {
      if (Status s = PopulateIngests(); !s.ok()) return Fail("populate ingests", s);
      if (want("status")) StatusCalls();
      if (want("list_statuses")) ListStatuses("list_statuses", {}, flags_.ingests);
      if (want("list_statuses_filtered")) {
        ListStatuses("list_statuses_filtered", {"ref~=^" + IngestPrefix()}, -1);
      }
    }
  }

 private:
  void Emit(Line line) {
    line.extra.emplace_back("server", JsonString(flags_.server));
    if (flags_.start_at > 0) line.add("start_late_s", late_);
    out_.emit(line);
  }
  // Called just before a timed part starts its clock: the first one waits
  // for --start-at.
  void Barrier() {
    if (!waited_) late_ = WaitUntil(flags_.start_at);
    waited_ = true;
  }
  std::string Ref(std::string_view name) const { return flags_.ref_prefix + std::string(name); }
  void Fail(std::string_view workload, const Status& s) {
    Line line = ErrorLine(workload, s.ToString());
    Emit(line);
  }

  void Large(bool write, bool read, bool read_warm) {
    Stream stream(flags_.large_bytes, flags_.chunk, 64 << 20, static_cast<uint64_t>(flags_.seed) + 1000);
    const std::string digest = stream.digest().str();
    int64_t i = 0;
    auto next = [&] { return i < stream.nchunks() ? stream.get(i++) : std::span<const std::byte>(); };
    Barrier();
    const auto start = Clock::now();
    if (Status s = client_.Upload(Ref("large"), flags_.large_bytes, digest, next); !s.ok()) {
      return Fail("write_large", s);
    }
    const double seconds = Since(start);
    ++committed_;
    if (write) Emit(MakeLine("write_large", 1, flags_.large_bytes, seconds));
    // The first read happens whether reported or not, so that the warm one
    // always follows one.
    if (read || read_warm) ReadLarge(read ? "read_large" : "", digest);
    if (read_warm) ReadLarge("read_large_warm", digest);
  }

  // Reads the committed large blob of --read-seed (twice if `again`).
  void ReadCommitted(bool first, bool again) {
    const int64_t seed = flags_.read_seed >= 0 ? flags_.read_seed : flags_.seed;
    Stream stream(flags_.large_bytes, flags_.chunk, 64 << 20, static_cast<uint64_t>(seed) + 1000);
    const std::string digest = stream.digest().str();
    Barrier();
    ReadLarge(first ? "read_committed" : "", digest);
    if (again) ReadLarge("read_committed_again", digest);
  }

  // Reads the large blob; reports under `workload` unless it is empty.
  void ReadLarge(std::string_view workload, const std::string& digest) {
    const auto start = Clock::now();
    auto bytes = client_.Read(digest);
    const double seconds = Since(start);
    if (workload.empty()) return;
    if (!bytes.ok()) return Fail(workload, bytes.status());
    if (*bytes != flags_.large_bytes) {
      return Fail(workload, Status::Internal(fmt::format("read {} bytes", *bytes)));
    }
    Emit(MakeLine(workload, 1, flags_.large_bytes, seconds));
  }

  void LargePipelined() {
    Stream stream(flags_.large_bytes, flags_.chunk, 64 << 20, static_cast<uint64_t>(flags_.seed) + 4000);
    const std::string digest = stream.digest().str();
    int64_t i = 0;
    auto next = [&] { return i < stream.nchunks() ? stream.get(i++) : std::span<const std::byte>(); };
    Barrier();
    const auto start = Clock::now();
    if (Status s = client_.Upload(Ref("large-pipelined"), flags_.large_bytes, digest, next, flags_.window);
        !s.ok()) {
      return Fail("write_large_pipelined", s);
    }
    ++committed_;
    Line line = MakeLine("write_large_pipelined", 1, flags_.large_bytes, Since(start));
    line.add("window", int64_t{flags_.window});
    Emit(line);
  }

  // Uploads blob i of `set` for every i with i % stride == offset.
  static Status UploadSome(ServeClient& client, const SmallSet& set, int offset, int stride) {
    for (int i = offset; i < set.n(); i += stride) {
      if (Status s = client.Upload(set.ref(i), set.blob(i), set.digest(i).str()); !s.ok()) return s;
    }
    return Status::OK();
  }

  // Runs `fn(client, k)` on `clients` clients at once; the first error.
  Status OnClients(int clients, const std::function<Status(ServeClient&, int)>& fn) {
    std::vector<std::unique_ptr<ServeClient>> conns;
    for (int k = 0; k < clients; ++k) conns.push_back(std::make_unique<ServeClient>(flags_.address));
    std::vector<Status> results(clients);
    std::vector<std::thread> threads;
    for (int k = 0; k < clients; ++k) {
      threads.emplace_back([&, k] { results[k] = fn(*conns[k], k); });
    }
    for (auto& t : threads) t.join();
    for (const Status& s : results) {
      if (!s.ok()) return s;
    }
    return Status::OK();
  }

  void Small() {
    SmallSet set(flags_.small_n, flags_.small_bytes, static_cast<uint64_t>(flags_.seed) + 2000, Ref("small-"));
    Barrier();
    const auto start = Clock::now();
    if (Status s = UploadSome(client_, set, 0, 1); !s.ok()) return Fail("small", s);
    committed_ += set.n();
    Emit(MakeLine("small", set.n(), set.size(), Since(start)));
  }

  void SmallConcurrent() {
    SmallSet set(flags_.small_n, flags_.small_bytes, static_cast<uint64_t>(flags_.seed) + 3000, Ref("conc-"));
    const int clients = flags_.clients;
    Barrier();
    const auto start = Clock::now();
    Status s = OnClients(clients, [&](ServeClient& c, int k) { return UploadSome(c, set, k, clients); });
    const double seconds = Since(start);
    if (!s.ok()) return Fail("small_concurrent", s);
    committed_ += set.n();
    Line line = MakeLine("small_concurrent", set.n(), set.size(), seconds);
    line.threads = clients;
    Emit(line);
  }

  Status PopulateBlobs() {
    if (blobs_) return Status::OK();
    blobs_ = std::make_unique<SmallSet>(flags_.blobs, 4096, static_cast<uint64_t>(flags_.seed), Ref("blob-"));
    const int clients = flags_.clients;
    Status s = OnClients(clients, [&](ServeClient& c, int k) { return UploadSome(c, *blobs_, k, clients); });
    if (!s.ok()) return s;
    committed_ += blobs_->n();
    // 1% get the label the filtered List selects.
    for (int i = 0; i < blobs_->n(); i += 100) {
      if (Status l = client_.SetLabel(blobs_->digest(i).str(), "bench/sel", "1"); !l.ok()) return l;
    }
    return Status::OK();
  }

  Status PopulateIngests() {
    if (ingests_populated_) return Status::OK();
    std::vector<std::byte> kib(1024, std::byte{7});
    const int clients = flags_.clients;
    Status s = OnClients(clients, [&](ServeClient& c, int k) {
      for (int i = k; i < flags_.ingests; i += clients) {
        if (Status st = c.StartIngest(IngestRef(i), kib); !st.ok()) return st;
      }
      return Status::OK();
    });
    ingests_populated_ = s.ok();
    return s;
  }

  // As the containerd harness names them: "ingest-<i>" zero-padded to the
  // width of ingests-1; IngestPrefix() selects ~1% of them.
  std::string IngestRef(int i) const {
    const int width = static_cast<int>(std::to_string(flags_.ingests - 1).size());
    return fmt::format("{}ingest-{:0{}}", flags_.ref_prefix, i, width);
  }
  std::string IngestPrefix() const {
    const size_t width = std::to_string(flags_.ingests - 1).size();
    return Ref(width >= 3 ? "ingest-00" : width == 2 ? "ingest-0" : "ingest-");
  }

  void InfoCalls() {
    std::mt19937_64 rng(static_cast<uint64_t>(flags_.seed));
    std::vector<int> order(flags_.calls);
    for (int& i : order) i = static_cast<int>(rng() % static_cast<uint64_t>(blobs_->n()));
    const auto start = Clock::now();
    for (int i : order) {
      if (Status s = client_.Info(blobs_->digest(i).str()); !s.ok()) return Fail("info", s);
    }
    Line line = MakeLine("info", flags_.calls, 0, Since(start));
    line.calls = flags_.calls;
    Emit(line);
  }

  void StatusCalls() {
    std::mt19937_64 rng(static_cast<uint64_t>(flags_.seed) + 1);
    std::vector<int> order(flags_.calls);
    for (int& i : order) i = static_cast<int>(rng() % static_cast<uint64_t>(flags_.ingests));
    const auto start = Clock::now();
    for (int i : order) {
      if (Status s = client_.StatusOf(IngestRef(i)); !s.ok()) return Fail("status", s);
    }
    Line line = MakeLine("status", flags_.calls, 0, Since(start));
    line.calls = flags_.calls;
    Emit(line);
  }

  // Median seconds of --reps calls of `call`, which returns the items it
  // got; `expected` < 0 means any count is fine (reported as matched).
  void Repeat(std::string_view workload, const std::function<Result<int64_t>()>& call,
              int64_t expected, int64_t items) {
    std::vector<double> seconds;
    int64_t got = 0;
    for (int r = 0; r < flags_.reps; ++r) {
      const auto start = Clock::now();
      auto n = call();
      seconds.push_back(Since(start));
      if (!n.ok()) return Fail(workload, n.status());
      got = *n;
      if (expected >= 0 && got != expected) {
        return Fail(workload, Status::Internal(fmt::format("{} items, expected {}", got, expected)));
      }
    }
    Line line = MakeLine(workload, items, 0, Median(seconds));
    line.calls = flags_.reps;
    if (expected < 0) line.matched = got;
    Emit(line);
  }

  void List(std::string_view workload, std::vector<std::string> filters, int64_t expected) {
    Repeat(workload, [&] { return client_.List(filters); }, expected, committed_);
  }
  void ListStatuses(std::string_view workload, std::vector<std::string> filters, int64_t expected) {
    Repeat(workload, [&] { return client_.ListStatuses(filters); }, expected, flags_.ingests);
  }

  const ServeFlags& flags_;
  Emitter& out_;
  ServeClient client_;
  std::unique_ptr<SmallSet> blobs_;
  bool ingests_populated_ = false;
  int64_t committed_ = 0;  // blobs this run committed, which List returns
  bool waited_ = false;
  double late_ = 0;
};

}  // namespace
}  // namespace contentstore::bench

int main(int argc, char** argv) {
  using namespace contentstore::bench;
  // The client streams as the server does; see malloc_tuning.h.
  contentstore::server::TuneMallocForStreaming();
  ServeFlags flags;
  CLI::App app("Benchmarks a containerd content gRPC server on a unix socket.",
               "contentstore-serve-bench");
  app.add_option("--address", flags.address, "The server's unix socket")->required();
  app.add_option("--server", flags.server, "Name of the server, for the report");
  app.add_option("--workload", flags.workload, "Comma list of workloads, or all");
  app.add_option("--large-bytes", flags.large_bytes, "Size of the large blobs");
  app.add_option("--chunk", flags.chunk, "WRITE message size of the large uploads");
  app.add_option("--window", flags.window, "WRITEs in flight in write_large_pipelined");
  app.add_option("--small-n", flags.small_n, "Blobs of small and small_concurrent");
  app.add_option("--small-bytes", flags.small_bytes, "Size of those blobs");
  app.add_option("--clients", flags.clients, "Clients of small_concurrent and of populating");
  app.add_option("--blobs", flags.blobs, "Blobs for info and list");
  app.add_option("--ingests", flags.ingests, "Ingests for status and list_statuses");
  app.add_option("--calls", flags.calls, "Round trips of info and status");
  app.add_option("--reps", flags.reps, "Calls of each list workload (the median is reported)");
  app.add_option("--seed", flags.seed, "Content seed");
  app.add_option("--read-seed", flags.read_seed, "Seed of the large blob read_committed reads (default --seed)");
  app.add_option("--ref-prefix", flags.ref_prefix, "Put before every ref (clients sharing a catalog)");
  app.add_option("--start-at", flags.start_at, "Unix time the first timed part waits for (clients started together)");
  CLI11_PARSE(app, argc, argv);

  std::set<std::string> selected;
  if (flags.workload == "all") {
    selected.insert(kAll.begin(), kAll.end());
  } else {
    std::stringstream ss(flags.workload);
    for (std::string w; std::getline(ss, w, ',');) {
      if (std::find(kAll.begin(), kAll.end(), w) == kAll.end() &&
          std::find(kNamedOnly.begin(), kNamedOnly.end(), w) == kNamedOnly.end()) {
        std::fprintf(stderr, "contentstore-serve-bench: unknown workload \"%s\"\n", w.c_str());
        return 2;
      }
      selected.insert(w);
    }
  }
  Emitter out(1);
  ServeBench(flags, out).Run(selected);
  return out.failed() ? 1 : 0;
}
