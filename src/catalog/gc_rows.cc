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

void GcRows::StartRun(int64_t pid, int64_t now) {
  tx_.RunScript(ScriptId::gc_run_end);  // a run that died left its row
  auto q = tx_.Prepare(QueryId::gc_run_start);
  q->Bind(":pid", pid);
  q->Bind(":now", now);
  q->Run();
}

void GcRows::EndRun() { tx_.RunScript(ScriptId::gc_run_end); }

bool GcRows::AnyRun() { return tx_.Prepare(QueryId::gc_runs_any)->Step(); }

int64_t GcRows::LastRevival() {
  auto q = tx_.Prepare(QueryId::gc_revivals_last);
  q->Step();
  return q->Int64("last");
}

void GcRows::ClearScratch() { tx_.RunScript(ScriptId::gc_scratch_clear); }

int64_t GcRows::SelectCandidates(int64_t cutoff) {
  tx_.Prepare(QueryId::gc_mark)->Run();
  auto select = tx_.Prepare(QueryId::gc_select_candidates);
  select->Bind(":cutoff", cutoff);
  select->Run();
  auto count = tx_.Prepare(QueryId::gc_candidate_count);
  count->Step();
  return count->Int64("n");
}

void GcRows::Revive(int64_t after) {
  auto q = tx_.Prepare(QueryId::gc_revive);
  q->Bind(":after", after);
  q->Run();
}

std::optional<int64_t> GcRows::NextBatchLow(int64_t below, int64_t limit) {
  auto q = tx_.Prepare(QueryId::gc_batch_low);
  q->Bind(":below", below);
  q->Bind(":limit", limit);
  if (!q->Step()) return std::nullopt;
  return q->OptionalInt64("low");
}

std::vector<BlobSize> GcRows::SweepBatch(int64_t low, int64_t below, int64_t cutoff,
                                         int64_t now) {
  tx_.Prepare(QueryId::gc_batch_clear)->Run();
  auto select = tx_.Prepare(QueryId::gc_batch_select);
  select->Bind(":low", low);
  select->Bind(":below", below);
  select->Bind(":cutoff", cutoff);
  select->Run();
  auto queue = tx_.Prepare(QueryId::gc_batch_queue_files);
  queue->Bind(":now", now);
  queue->Run();
  tx_.Prepare(QueryId::gc_batch_delete_rows)->Run();
  return ReadSizes(*tx_.Prepare(QueryId::gc_batch_list));
}

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
