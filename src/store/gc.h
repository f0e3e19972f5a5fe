// GarbageCollector (Store::collect_garbage): removes what nothing reaches,
// without stalling the store's writers. The protocol is at the top of gc.cc.
//
// Thread-safety: runs in the caller's thread; collections in this and other
// processes take turns (the collector lock).

#ifndef CONTENTSTORE_SRC_STORE_GC_H_
#define CONTENTSTORE_SRC_STORE_GC_H_

#include <functional>

#include "catalog/catalog.h"
#include "contentstore/gc.h"
#include "contentstore/status.h"
#include "env/unique_fd.h"
#include "store/file_reaper.h"
#include "store/ingest_context.h"

namespace contentstore {

class GarbageCollector {
 public:
  GarbageCollector(IngestContext& ctx, FileReaper& reaper) : ctx_(ctx), reaper_(reaper) {}

  Result<GcReport> Run(const GcOptions& options);

  // Ends the run a collector that died left registered (its row would keep
  // the triggers logging), unless a collector is at work. A writable open
  // runs it.
  static Status ClearAbandonedRun(IngestContext& ctx);

 private:
  // 0. The flock on ROOT/trash/ and, with a catalog shared by several
  // nodes, the collector's lock across them (a collection's run state is in
  // the catalog, for all of them), waiting for another collection to end.
  struct CollectorLock {
    UniqueFd fd;
    std::unique_ptr<catalog::NameLock> across_nodes;
  };
  static Result<CollectorLock> LockCollector(IngestContext& ctx, bool wait);
  // A write transaction whose lock hold is counted in the report.
  Status Write(GcReport& report, const std::function<Status(catalog::Transaction&)>& body);
  Status DryRun(const GcOptions& options, int64_t now, GcReport& report);
  // 1.-4.: expired leases, unreachable blobs, their files.
  Status CollectBlobs(const GcOptions& options, int64_t now, GcReport& report);
  Status MarkAndSweep(int64_t cutoff, int64_t now, int64_t seen, GcReport& report);
  // 5. Ingests past their expiry that no live writer holds.
  Status CollectIngests(const GcOptions& options, int64_t now, GcReport& report);

  IngestContext& ctx_;
  FileReaper& reaper_;
  int64_t last_hold_ns_ = 0;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_GC_H_
