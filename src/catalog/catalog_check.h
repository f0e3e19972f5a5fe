// CatalogCheck: what fsck asks of the catalog itself (queries/*/fsck.sql):
// SQLite's integrity check, reference labels to vet, drift of the numbered
// reference graph from the labels, and the graph's rebuild.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_CATALOG_CHECK_H_
#define CONTENTSTORE_SRC_CATALOG_CATALOG_CHECK_H_

#include <string>
#include <vector>

#include "catalog/catalog.h"

namespace contentstore::catalog {

struct ReferenceLabel {
  std::string digest, key, value;
};

struct GraphDrift {
  std::string subject, detail;
};

class CatalogCheck {
 public:
  explicit CatalogCheck(Transaction& tx) : tx_(tx) {}

  // The integrity check's complaints; empty when it says "ok".
  std::vector<std::string> IntegrityProblems();
  // Labels with a reference key (blob_labels.gc_reference), by digest and key.
  std::vector<ReferenceLabel> ReferenceLabels();
  // Where gc_nodes, gc_links and blobs.gc_id disagree with the labels.
  std::vector<GraphDrift> GraphDrifts();
  // Rebuilds the graph from the labels (the schema's gc_graph_rebuild).
  void RebuildGraph();

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_CATALOG_CHECK_H_
