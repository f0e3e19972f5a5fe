// GcMark: the collector's mark, in memory. Which graph nodes (gc_nodes
// numbers) the roots reach over the links: exactly what the schema's view
// gc_reachable_ids computes for outside tools, done here because that
// recursive query visits every reachable node through two b-trees and a
// temporary one (3-4 s at a million blobs), where this is a sort and a walk
// over arrays (a fraction of a second; memory: 16 bytes per link and about
// 40 per reached node).
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

  bool Reached(int64_t id) const { return reached_.count(id) != 0; }
  size_t reached_count() const { return reached_.size(); }

 private:
  std::unordered_set<int64_t> reached_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_GC_MARK_H_
