// Command-line flags of contentstore-bench: exactly the containerd harness's
// flags with its defaults (so bench/compare can pass the same arguments to
// both programs), plus contentstore's own (--scale-n, --sync, --fork,
// --self-test).
//
// Parsing follows Go's flag package, which the harness uses: "-name value",
// "--name value", "-name=value"; a boolean flag alone means true and takes a
// value only as "-name=false"; "--" ends the flags; numbers may be written in
// any base C's strtoll(…, 0) accepts.
//
// Thread-safety: plain values.

#ifndef CONTENTSTORE_BENCH_FLAGS_H_
#define CONTENTSTORE_BENCH_FLAGS_H_

#include <cstdint>
#include <string>

namespace contentstore::bench {

struct Flags {
  // --- The harness's flags, with its defaults.
  std::string workload = "all";  // comma list or "all"
  std::string root;              // where store roots are made; "" = a temp dir
  int n = 10000;                 // blobs for small/info/walk/walk_label/delete/concurrent/open
  int small_bytes = 4096;
  int64_t large_bytes = int64_t{1} << 30;
  int64_t resume_bytes = int64_t{1} << 30;
  int active = 10000;  // in-progress ingests for active/active_filter/status
  int status_calls = 1000;
  int threads = 2;
  int64_t seed = 1;
  int chunk = 1 << 20;               // Write size for large/resume
  int64_t pattern_bytes = 64 << 20;  // reused random buffer for large/resume
  bool desc = false;                 // pass the expected size and digest when opening writers
  bool keep = false;                 // keep store roots

  // --- contentstore's own.
  int scale_n = 1000000;   // blobs and ingests for the scale workload
  int batch = 100;         // blobs per put_blobs call in small_batch
  bool sync = true;        // Options::sync of the stores the timed parts use
  // Options::blobs for every store root: "" local; an s3:// URL, to which
  // each root adds a prefix of its own (ROOT/blobs-location).
  std::string blobs;
  bool fork = true;        // run each workload in its own child process
  bool self_test = false;  // check the content generator against the harness's digests
  // perf record --control fifo:CTL,ACK: timed parts write "enable"/"disable"
  // to CTL (and wait for ACK), so that a profile holds only timed parts.
  std::string perf_ctl;
  std::string perf_ack;
};

// Parses argv into `flags`. Returns the exit status to stop with (0 after
// -h, 2 after a usage error, with a message on stderr), or -1 to go on.
int ParseFlags(int argc, char** argv, Flags& flags);

}  // namespace contentstore::bench

#endif  // CONTENTSTORE_BENCH_FLAGS_H_
