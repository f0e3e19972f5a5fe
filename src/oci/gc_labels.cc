#include "oci/gc_labels.h"

#include <fmt/format.h>

namespace contentstore::oci {

Labels ChildLabels(const Node& node, const Graph& graph) {
  Labels labels;
  for (const Child& child : node.document.children) {
    const Node* target = graph.Find(child.descriptor.digest);
    if (target == nullptr || target->absent) continue;
    std::string key = kContentRefPrefix;
    switch (child.role) {
      case Role::kManifest:
        key += fmt::format("m.{}", child.index);
        break;
      case Role::kConfig:
        key += "config";
        break;
      case Role::kLayer:
        key += fmt::format("l.{}", child.index);
        break;
    }
    labels[key] = child.descriptor.digest.str();
  }
  return labels;
}

std::string ReferrerLabelKey(const Digest& referrer) {
  return fmt::format("{}{}.{}", kReferrerLabelPrefix, AlgorithmName(referrer.algorithm()),
                     referrer.hex().substr(0, 12));
}

}  // namespace contentstore::oci
