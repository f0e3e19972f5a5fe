#include "store/gc_mark.h"

#include <algorithm>

namespace contentstore {

GcMark::GcMark(const std::vector<int64_t>& roots, std::vector<catalog::GcLink> links) {
  // The catalog hands the links over in this order already; sorting is then
  // one pass.
  if (!std::is_sorted(links.begin(), links.end())) std::sort(links.begin(), links.end());
  reached_.reserve(roots.size() + links.size());
  std::vector<int64_t> pending;
  for (int64_t root : roots) {
    if (reached_.insert(root).second) pending.push_back(root);
  }
  while (!pending.empty()) {
    const int64_t parent = pending.back();
    pending.pop_back();
    auto it = std::lower_bound(links.begin(), links.end(), parent,
                               [](const catalog::GcLink& l, int64_t p) { return l.parent < p; });
    for (; it != links.end() && it->parent == parent; ++it) {
      if (reached_.insert(it->child).second) pending.push_back(it->child);
    }
  }
}

}  // namespace contentstore
