// GcRows: the garbage collector's statements (queries/*/gc.sql) over the
// numbered reference graph that the schema's triggers keep (gc_nodes,
// gc_links, blobs.gc_id), the run log (gc_runs, gc_revivals) and the run's
// scratch tables. The protocol is in store/gc.cc.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_GC_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_GC_ROWS_H_

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/catalog.h"

namespace contentstore::catalog {

// A reference: the blob numbered `parent` has a label naming `child`.
struct GcLink {
  int64_t parent = 0;
  int64_t child = 0;
  bool operator<(const GcLink& o) const {
    return parent != o.parent ? parent < o.parent : child < o.child;
  }
};

// A blob the mark did not reach.
struct GcCandidate {
  int64_t id = 0;  // blobs.gc_id at the mark
  std::string digest;
  int64_t size = 0;
};

class GcRows {
 public:
  explicit GcRows(Transaction& tx) : tx_(tx) {}

  // "Now" as the schema's view gc_now has it (the Env's clock, through the
  // catalog's VFS), so a run and the sqlite3 shell judge leases alike.
  int64_t Now();

  // The run log: from Start until End, changes that can make a digest
  // reachable are logged (migration 5). REQUIRES: the collector lock.
  void StartRun(int64_t pid, int64_t now);
  void EndRun();
  // True when gc_runs holds a row (a run in progress, or one that died).
  bool AnyRun();
  // The log's position now: entries after it are news.
  int64_t LastRevival();

  // The run's scratch tables, created if needed and emptied.
  void ClearScratch();

  // The mark's input, each read on the run's snapshot: the gc_nodes numbers
  // of the roots (gc_roots), and every link, by parent.
  std::vector<int64_t> RootIds();
  std::vector<GcLink> Links();
  // On the same snapshot: the blobs created before `cutoff` that have a
  // number for which `reached` is false, in digest order.
  std::vector<GcCandidate> Unreached(int64_t cutoff,
                                     const std::function<bool(int64_t id)>& reached);

  // Spares whatever the changes logged after `after` reach.
  void Revive(int64_t after);
  // Of `batch`, the candidates that are still the blobs they were (same
  // number, created before `cutoff`) and not revived: queues their files,
  // deletes their rows, and returns them.
  std::vector<BlobSize> SweepBatch(std::span<const GcCandidate> batch, int64_t cutoff,
                                   int64_t now);

  // Graph nodes left unused by removals (gc_nodes_to_check).
  bool AnyNodesToCheck();
  // A removed blob's file is gone: its node is to be checked.
  void CheckNodeOf(std::string_view digest);
  // Forgets noted nodes that no blob has and no link names.
  void ForgetUnusedNodes();

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_GC_ROWS_H_
