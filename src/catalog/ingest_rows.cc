#include "catalog/ingest_rows.h"

#include "util/timestamp.h"

namespace contentstore::catalog {
namespace {

IngestPlace Place(std::string ref, std::string id, std::string lock_token, int64_t offset) {
  IngestPlace p;
  p.ref = std::move(ref);
  p.id = std::move(id);
  p.lock_token = std::move(lock_token);
  p.offset = offset;
  return p;
}

}  // namespace

IngestStatus IngestRow::ToStatus(int64_t status_offset, int64_t status_updated_at) const {
  IngestStatus status;
  status.ref = ref;
  status.offset = status_offset;
  status.total = total;
  if (expected) {
    if (auto d = Digest::Parse(*expected); d.ok()) status.expected = *d;
  }
  status.started_at = FromNanos(started_at);
  status.updated_at = FromNanos(status_updated_at);
  return status;
}

const filter::FieldSchema& IngestRows::FilterFields() {
  static const filter::FieldSchema schema{"ingest", {{"ref", "ref", false, false}}, "", "", ""};
  return schema;
}

std::optional<IngestRow> IngestRows::Find(const std::string& ref) {
  auto q = tx_.Prepare(QueryId::ingest_get);
  q->Bind(":ref", ref);
  if (!q->Step()) return std::nullopt;
  IngestRow row;
  row.ref = q->Text("ref");
  row.id = q->Text("id");
  row.offset = q->Int64("offset");
  row.total = q->OptionalInt64("total");
  row.expected = q->OptionalText("expected");
  row.algorithm = q->Text("algorithm");
  row.hash_state = q->OptionalText("hash_state");
  row.started_at = q->Int64("started_at");
  row.updated_at = q->Int64("updated_at");
  row.lock_pid = q->OptionalInt64("lock_pid");
  row.lock_token = q->OptionalText("lock_token");
  row.locked_at = q->OptionalInt64("locked_at");
  row.upload_id = q->OptionalText("upload_id");
  row.uploaded = q->Int64("uploaded");
  row.uploaded_hash_state = q->OptionalText("uploaded_hash_state");
  row.staged_on = q->OptionalText("staged_on");
  return row;
}

void IngestRows::Insert(const NewIngest& ingest) {
  auto q = tx_.Prepare(QueryId::ingest_insert);
  q->Bind(":ref", ingest.ref);
  q->Bind(":id", ingest.id);
  q->Bind(":total", ingest.total);
  q->Bind(":expected", ingest.expected);
  q->Bind(":algorithm", ingest.algorithm);
  q->Bind(":now", ingest.now);
  q->Bind(":lock_pid", ingest.lock_pid);
  q->Bind(":lock_token", ingest.lock_token);
  q->Bind(":staged_on", ingest.staged_on);
  q->Run();
}

void IngestRows::Claim(const std::string& ref, int64_t pid, const std::string& token,
                       int64_t now) {
  auto q = tx_.Prepare(QueryId::ingest_claim);
  q->Bind(":ref", ref);
  q->Bind(":lock_pid", pid);
  q->Bind(":lock_token", token);
  q->Bind(":locked_at", now);
  q->Run();
}

bool IngestRows::SetMeta(const std::string& ref, const std::string& token,
                         const IngestMeta& meta) {
  auto q = tx_.Prepare(QueryId::ingest_set_meta);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Bind(":offset", meta.offset);
  if (meta.hash_state) {
    q->BindBlob(":hash_state", *meta.hash_state);
  } else {
    q->BindNull(":hash_state");
  }
  q->Bind(":total", meta.total);
  q->Bind(":expected", meta.expected);
  q->Bind(":algorithm", meta.algorithm);
  q->Bind(":started_at", meta.started_at);
  q->Bind(":updated_at", meta.updated_at);
  q->Bind(":staged_on", meta.staged_on);
  q->Run();
  return tx_.Changes() == 1;
}

bool IngestRows::SetUpload(const std::string& ref, const std::string& token,
                           const std::string& upload_id) {
  auto q = tx_.Prepare(QueryId::ingest_set_upload);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Bind(":upload_id", upload_id);
  q->Run();
  return tx_.Changes() == 1;
}

bool IngestRows::AddPart(const std::string& ref, const std::string& token, const IngestPart& part,
                         int64_t uploaded, std::string_view hash_state) {
  auto q = tx_.Prepare(QueryId::ingest_set_uploaded);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Bind(":uploaded", uploaded);
  q->BindBlob(":hash_state", hash_state);
  q->Run();
  if (tx_.Changes() != 1) return false;
  auto p = tx_.Prepare(QueryId::ingest_part_put);
  p->Bind(":ref", ref);
  p->Bind(":number", static_cast<int64_t>(part.number));
  p->Bind(":size", part.size);
  p->Bind(":etag", part.etag);
  p->Run();
  return true;
}

std::vector<IngestPart> IngestRows::Parts(const std::string& ref) {
  auto q = tx_.Prepare(QueryId::ingest_parts);
  q->Bind(":ref", ref);
  std::vector<IngestPart> out;
  while (q->Step()) {
    out.push_back({static_cast<int>(q->Int64("number")), q->Int64("size"), q->Text("etag")});
  }
  return out;
}

bool IngestRows::ForgetUpload(const std::string& ref, const std::string& token) {
  auto q = tx_.Prepare(QueryId::ingest_forget_upload);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Run();
  if (tx_.Changes() != 1) return false;
  auto d = tx_.Prepare(QueryId::ingest_parts_delete);
  d->Bind(":ref", ref);
  d->Run();
  return true;
}

std::vector<IngestPlace> IngestRows::Uploads() {
  auto q = tx_.Prepare(QueryId::ingest_upload_ids);
  std::vector<IngestPlace> out;
  while (q->Step()) {
    IngestPlace p = Place(q->Text("ref"), q->Text("id"), "", 0);
    p.upload_id = q->Text("upload_id");
    out.push_back(std::move(p));
  }
  return out;
}

namespace {

// ingest_checkpoint and ingest_release take the same parameters.
bool SaveOffset(Transaction& tx, QueryId id, const std::string& ref, const std::string& token,
                int64_t offset, std::string_view hash_state, int64_t updated_at) {
  auto q = tx.Prepare(id);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Bind(":offset", offset);
  q->BindBlob(":hash_state", hash_state);
  q->Bind(":updated_at", updated_at);
  q->Run();
  return tx.Changes() == 1;
}

}  // namespace

bool IngestRows::Checkpoint(const std::string& ref, const std::string& token, int64_t offset,
                            std::string_view hash_state, int64_t updated_at) {
  return SaveOffset(tx_, QueryId::ingest_checkpoint, ref, token, offset, hash_state, updated_at);
}

bool IngestRows::Release(const std::string& ref, const std::string& token, int64_t offset,
                         std::string_view hash_state, int64_t updated_at) {
  return SaveOffset(tx_, QueryId::ingest_release, ref, token, offset, hash_state, updated_at);
}

void IngestRows::Unlock(const std::string& ref, const std::string& token) {
  auto q = tx_.Prepare(QueryId::ingest_unlock);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Run();
}

bool IngestRows::Delete(const std::string& ref) {
  auto q = tx_.Prepare(QueryId::ingest_delete);
  q->Bind(":ref", ref);
  q->Run();
  return tx_.Changes() > 0;
}

bool IngestRows::DeleteOwned(const std::string& ref, const std::string& token) {
  auto q = tx_.Prepare(QueryId::ingest_delete_owned);
  q->Bind(":ref", ref);
  q->Bind(":lock_token", token);
  q->Run();
  return tx_.Changes() > 0;
}

Result<std::vector<IngestStatus>> IngestRows::List(const FilteredQuery& filter) {
  auto q = filter.Prepare(tx_, QueryId::ingest_list);
  if (!q.ok()) return q.status();
  std::vector<IngestStatus> out;
  while ((*q)->Step()) {
    IngestStatus status;
    status.ref = (*q)->Text("ref");
    status.offset = (*q)->Int64("offset");
    status.total = (*q)->OptionalInt64("total");
    if (auto expected = (*q)->OptionalText("expected")) {
      if (auto d = Digest::Parse(*expected); d.ok()) status.expected = *d;
    }
    status.started_at = FromNanos((*q)->Int64("started_at"));
    status.updated_at = FromNanos((*q)->Int64("updated_at"));
    out.push_back(std::move(status));
  }
  return out;
}

std::vector<IngestPlace> IngestRows::Locked() {
  auto q = tx_.Prepare(QueryId::ingests_locked);
  std::vector<IngestPlace> out;
  while (q->Step()) out.push_back(Place(q->Text("ref"), q->Text("id"), q->Text("lock_token"), 0));
  return out;
}

bool IngestRows::IdExists(const std::string& id) {
  auto q = tx_.Prepare(QueryId::ingest_id_exists);
  q->Bind(":id", id);
  return q->Step();
}

std::vector<IngestPlace> IngestRows::All() {
  auto q = tx_.Prepare(QueryId::ingests_all);
  std::vector<IngestPlace> out;
  while (q->Step()) {
    IngestPlace p = Place(q->Text("ref"), q->Text("id"), "", q->Int64("offset"));
    p.upload_id = q->OptionalText("upload_id");
    p.staged_on = q->OptionalText("staged_on");
    out.push_back(std::move(p));
  }
  return out;
}

std::vector<IngestPlace> IngestRows::Stale(int64_t cutoff, int64_t now) {
  auto q = tx_.Prepare(QueryId::ingests_stale);
  q->Bind(":cutoff", cutoff);
  q->Bind(":now", now);
  std::vector<IngestPlace> out;
  while (q->Step()) {
    IngestPlace p = Place(q->Text("ref"), q->Text("id"), "", 0);
    p.upload_id = q->OptionalText("upload_id");
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace contentstore::catalog
