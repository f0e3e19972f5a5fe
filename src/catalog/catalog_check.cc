#include "catalog/catalog_check.h"

namespace contentstore::catalog {

std::vector<std::string> CatalogCheck::IntegrityProblems() {
  auto q = tx_.Prepare(QueryId::fsck_integrity);
  std::vector<std::string> out;
  while (q->Step()) {
    std::string line = q->Text("integrity_check");
    if (line != "ok") out.push_back(std::move(line));
  }
  return out;
}

std::vector<ReferenceLabel> CatalogCheck::ReferenceLabels() {
  auto q = tx_.Prepare(QueryId::fsck_reference_labels);
  std::vector<ReferenceLabel> out;
  while (q->Step()) out.push_back({q->Text("digest"), q->Text("key"), q->Text("value")});
  return out;
}

std::vector<GraphDrift> CatalogCheck::GraphDrifts() {
  auto q = tx_.Prepare(QueryId::fsck_graph_drift);
  std::vector<GraphDrift> out;
  while (q->Step()) out.push_back({q->Text("subject"), q->Text("detail")});
  return out;
}

void CatalogCheck::RebuildGraph() { tx_.Prepare(QueryId::fsck_graph_rebuild)->Run(); }

}  // namespace contentstore::catalog
