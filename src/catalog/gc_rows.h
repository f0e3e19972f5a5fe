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
#include <optional>
#include <string_view>
#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/catalog.h"

namespace contentstore::catalog {

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
  // On the run's snapshot: the walk from the roots, then the unreachable
  // blobs created before `cutoff`. Returns how many candidates there are.
  int64_t SelectCandidates(int64_t cutoff);
  // Spares whatever the changes logged after `after` reach.
  void Revive(int64_t after);
  // The lowest candidate id of the next batch of at most `limit` below
  // `below`; nullopt when none is left.
  std::optional<int64_t> NextBatchLow(int64_t below, int64_t limit);
  // Queues the files of the candidates in [low, below) that are still the
  // blobs they were and not revived, deletes their rows, and returns them.
  std::vector<BlobSize> SweepBatch(int64_t low, int64_t below, int64_t cutoff, int64_t now);

  // The dry run: the blobs a run would remove, without scratch tables.
  std::vector<BlobSize> WouldRemove(int64_t cutoff);

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
