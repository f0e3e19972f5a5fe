// Go-style flag parsing for contentstore-bench; see flags.h.

#include "flags.h"

#include <fmt/format.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <limits>
#include <optional>
#include <string_view>
#include <vector>

namespace contentstore::bench {
namespace {

struct FlagDef {
  std::string_view name;
  bool is_bool;
  std::string_view help;
  std::string default_text;
  // Sets the flag from text; false if the text is not a valid value.
  std::function<bool(std::string_view)> set;
};

template <typename T>
bool ParseInt(std::string_view text, T& out) {
  const std::string s(text);
  if (s.empty()) return false;
  errno = 0;
  char* end = nullptr;
  const long long v = std::strtoll(s.c_str(), &end, 0);
  if (errno != 0 || *end != '\0' || v < std::numeric_limits<T>::min() ||
      v > std::numeric_limits<T>::max()) {
    return false;
  }
  out = static_cast<T>(v);
  return true;
}

bool ParseBool(std::string_view text, bool& out) {
  for (std::string_view t : {"1", "t", "T", "true", "TRUE", "True"}) {
    if (text == t) return out = true, true;
  }
  for (std::string_view f : {"0", "f", "F", "false", "FALSE", "False"}) {
    if (text == f) return out = false, true;
  }
  return false;
}

template <typename T>
FlagDef IntFlag(std::string_view name, T& field, std::string_view help) {
  return {name, false, help, std::to_string(field),
          [&field](std::string_view v) { return ParseInt(v, field); }};
}

FlagDef BoolFlag(std::string_view name, bool& field, std::string_view help) {
  return {name, true, help, field ? "true" : "false",
          [&field](std::string_view v) { return ParseBool(v, field); }};
}

FlagDef StringFlag(std::string_view name, std::string& field, std::string_view help) {
  return {name, false, help, field, [&field](std::string_view v) {
            field = v;
            return true;
          }};
}

void Usage(const std::vector<FlagDef>& defs) {
  std::fprintf(stderr, "Usage of contentstore-bench:\n");
  for (const FlagDef& d : defs) {
    std::fprintf(stderr, "  --%.*s%s\n    \t%.*s (default %s)\n", static_cast<int>(d.name.size()),
                 d.name.data(), d.is_bool ? "" : " value", static_cast<int>(d.help.size()),
                 d.help.data(), d.default_text.empty() ? "\"\"" : d.default_text.c_str());
  }
}

}  // namespace

int ParseFlags(int argc, char** argv, Flags& f) {
  const std::vector<FlagDef> defs = {
      StringFlag("workload", f.workload,
                 "comma list of workloads or \"all\": large,small,info,walk,walk_label,active,"
                 "active_filter,status,resume,delete,concurrent,concurrent_procs,resume_crash,open,small_batch,gc (all), scale"),
      StringFlag("root", f.root,
                 "directory for store roots (default: fresh temp dir under $TMPDIR, removed at "
                 "the end)"),
      IntFlag("n", f.n, "number of blobs for small/info/walk/walk_label/delete/concurrent/open"),
      IntFlag("small-bytes", f.small_bytes, "size of each small blob"),
      IntFlag("large-bytes", f.large_bytes, "size of the large blob"),
      IntFlag("resume-bytes", f.resume_bytes, "bytes in the ingest before resume"),
      IntFlag("active", f.active, "number of in-progress ingests for active/active_filter/status"),
      IntFlag("status-calls", f.status_calls, "number of status(ref) calls for status"),
      IntFlag("threads", f.threads, "threads for concurrent, processes for concurrent_procs"),
      IntFlag("seed", f.seed, "content / shuffle seed"),
      IntFlag("chunk", f.chunk, "write size for large/resume"),
      IntFlag("pattern-bytes", f.pattern_bytes,
              "size of the reused random buffer for large/resume"),
      BoolFlag("desc", f.desc,
               "also pass the expected size and digest to writer() (small/large/concurrent)"),
      BoolFlag("keep", f.keep, "keep store roots after each workload"),
      IntFlag("scale-n", f.scale_n, "blobs and ingests for the scale workload"),
      IntFlag("batch", f.batch, "blobs per put_blobs call in small_batch"),
      BoolFlag("sync", f.sync, "Options::sync of the stores the timed parts use"),
      StringFlag("blobs", f.blobs,
                 "s3://BUCKET[/PREFIX]?endpoint=URL: keep every store's blobs in that bucket, "
                 "each root under a prefix of its own (credentials from AWS_*)"),
      BoolFlag("fork", f.fork,
               "run each workload in its own child process (per-workload max_rss_kib)"),
      BoolFlag("self-test", f.self_test,
               "check the content generator against the harness's digests, then exit"),
      StringFlag("perf-ctl", f.perf_ctl,
                 "control FIFO of `perf record --control fifo:CTL,ACK -D -1`: profile only the "
                 "timed parts"),
      StringFlag("perf-ack", f.perf_ack, "acknowledgement FIFO of --perf-ctl"),
  };
  int i = 1;
  for (; i < argc; ++i) {
    std::string_view arg = argv[i];
    if (arg == "--") {
      ++i;
      break;
    }
    if (arg.size() < 2 || arg[0] != '-') break;  // first non-flag argument
    arg.remove_prefix(arg[1] == '-' ? 2 : 1);
    std::string_view name = arg;
    std::optional<std::string_view> value;
    if (const size_t eq = arg.find('='); eq != std::string_view::npos) {
      name = arg.substr(0, eq);
      value = arg.substr(eq + 1);
    }
    if (name == "h" || name == "help") {
      Usage(defs);
      return 0;
    }
    const FlagDef* def = nullptr;
    for (const FlagDef& d : defs) {
      if (d.name == name) def = &d;
    }
    if (def == nullptr) {
      std::fprintf(stderr, "flag provided but not defined: -%.*s\n", static_cast<int>(name.size()),
                   name.data());
      Usage(defs);
      return 2;
    }
    if (!value) {
      if (def->is_bool) {
        value = "true";
      } else if (i + 1 < argc) {
        value = argv[++i];
      } else {
        std::fprintf(stderr, "flag needs an argument: -%.*s\n", static_cast<int>(name.size()),
                     name.data());
        Usage(defs);
        return 2;
      }
    }
    if (!def->set(*value)) {
      std::fprintf(stderr, "invalid value \"%.*s\" for flag -%.*s\n",
                   static_cast<int>(value->size()), value->data(), static_cast<int>(name.size()),
                   name.data());
      Usage(defs);
      return 2;
    }
  }
  if (i < argc) {
    std::fprintf(stderr, "unexpected argument \"%s\"\n", argv[i]);
    return 2;
  }
  return -1;
}

}  // namespace contentstore::bench
