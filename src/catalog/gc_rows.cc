#include "catalog/gc_rows.h"

namespace contentstore::catalog {
namespace {

std::vector<BlobSize> ReadSizes(Statement& q) {
  std::vector<BlobSize> out;
  while (q.Step()) out.push_back({q.Text("digest"), q.Int64("size")});
  return out;
}

}  // namespace

int64_t GcRows::Now() {
  auto q = tx_.Prepare(QueryId::gc_now);
  q->Step();
  return q->Int64("now");
}

void GcRows::ClearScratch() {
  tx_.RunScript(ScriptId::gc_temp_create);
  tx_.RunScript(ScriptId::gc_temp_clear);
}

void GcRows::Mark() { tx_.Prepare(QueryId::gc_mark)->Run(); }

void GcRows::SelectDoomed(int64_t cutoff) {
  auto q = tx_.Prepare(QueryId::gc_doomed_mark);
  q->Bind(":cutoff", cutoff);
  q->Run();
}

void GcRows::SweepDoomed(int64_t now) {
  auto queue = tx_.Prepare(QueryId::gc_doomed_queue_files);
  queue->Bind(":now", now);
  queue->Run();
  tx_.Prepare(QueryId::gc_doomed_delete_rows)->Run();
}

std::vector<BlobSize> GcRows::Doomed() { return ReadSizes(*tx_.Prepare(QueryId::gc_doomed_list)); }

std::vector<BlobSize> GcRows::WouldRemove(int64_t cutoff) {
  auto q = tx_.Prepare(QueryId::gc_would_remove);
  q->Bind(":cutoff", cutoff);
  return ReadSizes(*q);
}

bool GcRows::AnyNodesToCheck() { return tx_.Prepare(QueryId::gc_nodes_to_check_any)->Step(); }

void GcRows::CheckNodeOf(std::string_view digest) {
  auto q = tx_.Prepare(QueryId::gc_check_node_of);
  q->Bind(":digest", digest);
  q->Run();
}

void GcRows::ForgetUnusedNodes() { tx_.RunScript(ScriptId::gc_forget_nodes); }

}  // namespace contentstore::catalog
