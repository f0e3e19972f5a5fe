// GcMark: the collector's mark, in memory. Which graph nodes (gc_nodes
// numbers) the roots reach over the links: exactly what the schema's view
// gc_reachable_ids computes for outside tools, done here because that
// recursive query visits every reachable node through two b-trees and a
// temporary one (3-4 s at a million blobs), where this is a walk over arrays.
//
// Node numbers come from gc_nodes' integer key: small, dense, positive. The
// walk then indexes arrays by number (a bit and an offset per number up to
// the largest: 9 MB at a million). Numbers that are not (a negative one, or
// a largest far above the count, which only hand-written rows make) fall
// back to a hash set, slower but the same answer.
//
// Thread-safety: immutable once built.

#ifndef CONTENTSTORE_SRC_STORE_GC_MARK_H_
#define CONTENTSTORE_SRC_STORE_GC_MARK_H_

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "catalog/gc_rows.h"

namespace contentstore {

class GcMark {
 public:
  // `links` in any order; duplicates and links to or from nodes no root
  // reaches are fine.
  GcMark(const std::vector<int64_t>& roots, std::vector<catalog::GcLink> links);

  bool Reached(int64_t id) const {
    if (!dense_) return sparse_.count(id) != 0;
    return id >= 0 && static_cast<uint64_t>(id) < reached_.size() &&
           reached_[static_cast<size_t>(id)];
  }
  size_t reached_count() const { return count_; }

 private:
  void WalkDense(const std::vector<int64_t>& roots, const std::vector<catalog::GcLink>& links,
                 int64_t max_id);
  void WalkSparse(const std::vector<int64_t>& roots, const std::vector<catalog::GcLink>& links);

  bool dense_ = true;
  std::vector<bool> reached_;          // dense: by node number
  std::unordered_set<int64_t> sparse_;  // otherwise
  size_t count_ = 0;
};

// The mark on `tx`'s snapshot: the blobs committed before `cutoff` that no
// root reaches, in digest order (what a collection, or its dry run, takes).
std::vector<catalog::GcCandidate> MarkUnreached(catalog::Transaction& tx, int64_t cutoff);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_GC_MARK_H_
