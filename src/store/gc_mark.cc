#include "store/gc_mark.h"

#include <algorithm>

namespace contentstore {
namespace {

// The largest number the dense walk accepts: generous next to the number of
// nodes the links and roots name (gc_nodes' numbers stay near its row
// count), small enough that the arrays stay a few bytes per node.
int64_t DenseLimit(size_t named) { return 8 * static_cast<int64_t>(named) + (int64_t{1} << 20); }

}  // namespace

GcMark::GcMark(const std::vector<int64_t>& roots, std::vector<catalog::GcLink> links) {
  // The catalog hands the links over in this order already; checking is
  // then one pass.
  if (!std::is_sorted(links.begin(), links.end())) std::sort(links.begin(), links.end());
  int64_t min_id = 0, max_id = 0;
  for (int64_t r : roots) {
    min_id = std::min(min_id, r);
    max_id = std::max(max_id, r);
  }
  for (const catalog::GcLink& l : links) {
    min_id = std::min({min_id, l.parent, l.child});
    max_id = std::max({max_id, l.parent, l.child});
  }
  dense_ = min_id >= 0 && max_id <= DenseLimit(roots.size() + 2 * links.size());
  if (dense_) {
    WalkDense(roots, links, max_id);
  } else {
    WalkSparse(roots, links);
  }
}

void GcMark::WalkDense(const std::vector<int64_t>& roots,
                       const std::vector<catalog::GcLink>& links, int64_t max_id) {
  const size_t size = static_cast<size_t>(max_id) + 1;
  // first[p] .. first[p + 1]: the links whose parent is p (links are sorted).
  std::vector<size_t> first(size + 1, 0);
  for (const catalog::GcLink& l : links) ++first[static_cast<size_t>(l.parent) + 1];
  for (size_t i = 1; i <= size; ++i) first[i] += first[i - 1];
  reached_.assign(size, false);
  std::vector<int64_t> pending;
  auto reach = [&](int64_t id) {
    if (reached_[static_cast<size_t>(id)]) return;
    reached_[static_cast<size_t>(id)] = true;
    ++count_;
    pending.push_back(id);
  };
  for (int64_t root : roots) reach(root);
  while (!pending.empty()) {
    const size_t parent = static_cast<size_t>(pending.back());
    pending.pop_back();
    for (size_t i = first[parent]; i < first[parent + 1]; ++i) reach(links[i].child);
  }
}

std::vector<catalog::GcCandidate> MarkUnreached(catalog::Transaction& tx, int64_t cutoff) {
  catalog::GcRows gc(tx);
  const GcMark mark(gc.RootIds(), gc.Links());
  return gc.Unreached(cutoff, [&](int64_t id) { return mark.Reached(id); });
}

void GcMark::WalkSparse(const std::vector<int64_t>& roots,
                        const std::vector<catalog::GcLink>& links) {
  sparse_.reserve(roots.size() + links.size());
  std::vector<int64_t> pending;
  for (int64_t root : roots) {
    if (sparse_.insert(root).second) pending.push_back(root);
  }
  while (!pending.empty()) {
    const int64_t parent = pending.back();
    pending.pop_back();
    auto it = std::lower_bound(links.begin(), links.end(), parent,
                               [](const catalog::GcLink& l, int64_t p) { return l.parent < p; });
    for (; it != links.end() && it->parent == parent; ++it) {
      if (sparse_.insert(it->child).second) pending.push_back(it->child);
    }
  }
  count_ = sparse_.size();
}

}  // namespace contentstore
