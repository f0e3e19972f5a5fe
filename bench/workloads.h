// The workloads of contentstore-bench. Each one does through contentstore's
// public API what the containerd harness (shared/peer/containerd/main.go)
// does through containerd's, times the same part (content, digests and store
// population are setup, done before the timer starts; checks run after it
// stops), and reports one JSON line per result through an Emitter.
//
// Stores are populated with Options::sync = false (no fsync, as the
// harness's setup is untimed too), then flushed with syncfs() and reopened
// with the options under test (--sync, default true: the full commit
// protocol) before anything is timed. Every line says which mode its timed
// part used in "sync".
//
// contentstore's own workloads (resume_crash, open, scale) follow the same
// rules; see the comment on each.
//
// Thread-safety: a Bench runs one workload at a time.

#ifndef CONTENTSTORE_BENCH_WORKLOADS_H_
#define CONTENTSTORE_BENCH_WORKLOADS_H_

#include <set>
#include <string>
#include <string_view>

#include "content.h"
#include "contentstore/status.h"
#include "flags.h"
#include "report.h"

namespace contentstore::bench {

class Bench {
 public:
  // `base` is the directory store roots are made in; `selected` the workload
  // names asked for (the active group reports only those of its three).
  Bench(const Flags& flags, std::string base, std::set<std::string> selected, Emitter& out);

  // Each runs one workload (or group of lines) and emits its lines. A
  // non-OK result that IsReported() was already emitted as an error line;
  // any other the caller emits under the workload's name.
  Status large();
  Status small();
  Status info();
  Status walk();
  Status walk_label();
  Status active_group();  // active, active_filter, status: one store of ingests
  Status resume();
  Status remove();  // "delete"
  Status concurrent();
  Status concurrent_procs();
  Status resume_crash();
  Status open();
  Status small_batch();
  Status gc();
  Status scale();  // scale_open, scale_info, scale_walk_label, scale_active, scale_active_filter

  static bool IsReported(const Status& s);

 private:
  Result<SmallSet> ConcurrentSet(std::string_view prefix) const;
  struct Populated;
  class Timer;

  Result<Populated> populated(std::string_view name, bool label_one_percent);
  void emit(Line line, const Timer& timer);

  const Flags flags_;
  const std::string base_;
  const std::set<std::string> selected_;
  Emitter& out_;
};

}  // namespace contentstore::bench

#endif  // CONTENTSTORE_BENCH_WORKLOADS_H_
