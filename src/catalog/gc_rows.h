// GcRows: the garbage collector's statements (queries/*/gc.sql) over the
// numbered reference graph that the schema's triggers keep (gc_nodes,
// gc_links, blobs.gc_id) and the run's scratch tables.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_GC_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_GC_ROWS_H_

#include <cstdint>
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

  // The run's scratch tables, created if needed and emptied.
  void ClearScratch();
  // The walk from the roots, into the scratch table.
  void Mark();
  // Unreachable blobs created before `cutoff`, into the scratch table.
  void SelectDoomed(int64_t cutoff);
  // Queues their files and deletes their rows.
  void SweepDoomed(int64_t now);
  // What SelectDoomed chose, by digest.
  std::vector<BlobSize> Doomed();
  // The dry run: what SelectDoomed would choose, without scratch tables.
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
