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

std::vector<int64_t> GcRows::RootIds() {
  auto q = tx_.Prepare(QueryId::gc_root_ids);
  std::vector<int64_t> out;
  while (q->Step()) out.push_back(q->Int64("id"));
  return out;
}

std::vector<GcLink> GcRows::Links() {
  auto q = tx_.Prepare(QueryId::gc_links_all);
  std::vector<GcLink> out;
  while (q->Step()) out.push_back({q->Int64("parent"), q->Int64("child")});
  return out;
}

std::vector<GcCandidate> GcRows::Unreached(int64_t cutoff,
                                           const std::function<bool(int64_t id)>& reached) {
  auto q = tx_.Prepare(QueryId::gc_numbered_before);
  q->Bind(":cutoff", cutoff);
  std::vector<GcCandidate> out;
  while (q->Step()) {
    const int64_t id = q->Int64("gc_id");
    if (!reached(id)) out.push_back({id, q->Text("digest"), q->Int64("size")});
  }
  return out;
}

void GcRows::Revive(int64_t after) {
  auto q = tx_.Prepare(QueryId::gc_revive);
  q->Bind(":after", after);
  q->Run();
}

std::vector<BlobSize> GcRows::SweepBatch(std::span<const GcCandidate> batch, int64_t cutoff,
                                         int64_t now) {
  tx_.Prepare(QueryId::gc_batch_clear)->Run();
  for (const GcCandidate& c : batch) {
    auto add = tx_.Prepare(QueryId::gc_batch_add);
    add->Bind(":digest", c.digest);
    add->Bind(":id", c.id);
    add->Bind(":size", c.size);
    add->Run();
  }
  auto spare = tx_.Prepare(QueryId::gc_batch_spare);
  spare->Bind(":cutoff", cutoff);
  spare->Run();
  auto queue = tx_.Prepare(QueryId::gc_batch_queue_files);
  queue->Bind(":now", now);
  queue->Run();
  tx_.Prepare(QueryId::gc_batch_delete_rows)->Run();
  return ReadSizes(*tx_.Prepare(QueryId::gc_batch_list));
}

bool GcRows::AnyNodesToCheck() { return tx_.Prepare(QueryId::gc_nodes_to_check_any)->Step(); }

void GcRows::CheckNodeOf(std::string_view digest) {
  auto q = tx_.Prepare(QueryId::gc_check_node_of);
  q->Bind(":digest", digest);
  q->Run();
}

void GcRows::ForgetUnusedNodes() { tx_.RunScript(ScriptId::gc_forget_nodes); }

}  // namespace contentstore::catalog
