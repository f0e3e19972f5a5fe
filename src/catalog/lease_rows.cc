#include "catalog/lease_rows.h"

#include <fmt/format.h>

#include "util/text.h"
#include "util/timestamp.h"

namespace contentstore::catalog {
namespace {

std::string_view TypeName(LeaseResource::Type type) {
  return type == LeaseResource::Type::kContent ? "content" : "ingest";
}

LeaseResource::Type TypeOf(std::string_view name) {
  return name == "content" ? LeaseResource::Type::kContent : LeaseResource::Type::kIngest;
}

// Rows of lease_get / lease_list (one per label) into leases, in order.
void ReadLeases(Statement& q, std::vector<Lease>& out) {
  while (q.Step()) {
    std::string id = q.Text("id");
    if (out.empty() || out.back().id != id) {
      Lease lease;
      lease.id = std::move(id);
      lease.created_at = FromNanos(q.Int64("created_at"));
      if (auto expires = q.OptionalInt64("expires_at")) lease.expires_at = FromNanos(*expires);
      out.push_back(std::move(lease));
    }
    if (!q.IsNull("key")) out.back().labels.emplace(q.Text("key"), q.Text("value"));
  }
}

}  // namespace

Status NoSuchLease(std::string_view id) {
  return Status::NotFound(fmt::format("lease \"{}\" not found", Printable(id)));
}

const filter::FieldSchema& LeaseRows::FilterFields() {
  static const filter::FieldSchema schema{
      "lease", {{"id", "id", false, false}}, "lease_labels", "lease_id", "id"};
  return schema;
}

void LeaseRows::Insert(const Lease& lease) {
  auto q = tx_.Prepare(QueryId::lease_insert);
  q->Bind(":id", lease.id);
  q->Bind(":created_at", ToNanos(lease.created_at));
  if (lease.expires_at) {
    q->Bind(":expires_at", ToNanos(*lease.expires_at));
  } else {
    q->BindNull(":expires_at");
  }
  q->Run();
  for (const auto& [key, value] : lease.labels) {
    auto l = tx_.Prepare(QueryId::lease_label_insert);
    l->Bind(":lease_id", lease.id);
    l->Bind(":key", key);
    l->Bind(":value", value);
    l->Run();
  }
}

bool LeaseRows::Exists(const std::string& id) {
  auto q = tx_.Prepare(QueryId::lease_exists);
  q->Bind(":id", id);
  return q->Step();
}

Status LeaseRows::Require(const std::string& id) {
  return Exists(id) ? Status::OK() : NoSuchLease(id);
}

std::optional<Lease> LeaseRows::Find(const std::string& id) {
  auto q = tx_.Prepare(QueryId::lease_get);
  q->Bind(":id", id);
  std::vector<Lease> out;
  ReadLeases(*q, out);
  if (out.empty()) return std::nullopt;
  return std::move(out.front());
}

Result<std::vector<Lease>> LeaseRows::List(const FilteredQuery& filter) {
  auto q = filter.Prepare(tx_, QueryId::lease_list);
  if (!q.ok()) return q.status();
  std::vector<Lease> out;
  ReadLeases(**q, out);
  return out;
}

bool LeaseRows::Delete(const std::string& id) {
  auto q = tx_.Prepare(QueryId::lease_delete);
  q->Bind(":id", id);
  q->Run();
  return tx_.Changes() > 0;
}

void LeaseRows::Hold(const std::string& lease, const LeaseResource& resource) {
  auto q = tx_.Prepare(QueryId::lease_resource_add);
  q->Bind(":lease_id", lease);
  q->Bind(":type", TypeName(resource.type));
  q->Bind(":id", resource.id);
  q->Run();
}

void LeaseRows::Release(const std::string& lease, const LeaseResource& resource) {
  auto q = tx_.Prepare(QueryId::lease_resource_remove);
  q->Bind(":lease_id", lease);
  q->Bind(":type", TypeName(resource.type));
  q->Bind(":id", resource.id);
  q->Run();
}

std::vector<LeaseResource> LeaseRows::Resources(const std::string& lease) {
  auto q = tx_.Prepare(QueryId::lease_resources_of);
  q->Bind(":lease_id", lease);
  std::vector<LeaseResource> out;
  while (q->Step()) out.push_back({TypeOf(q->Text("type")), q->Text("id")});
  return out;
}

void LeaseRows::MoveIngestToBlob(const std::string& ref, std::string_view digest) {
  auto move = tx_.Prepare(QueryId::lease_ingest_becomes_content);
  move->Bind(":ref", ref);
  move->Bind(":digest", digest);
  move->Run();
  DropIngest(ref);
}

void LeaseRows::DropIngest(const std::string& ref) {
  auto drop = tx_.Prepare(QueryId::lease_ingest_release);
  drop->Bind(":ref", ref);
  drop->Run();
}

std::vector<std::string> LeaseRows::ExpiredIds(int64_t now) {
  auto q = tx_.Prepare(QueryId::leases_expired);
  q->Bind(":now", now);
  std::vector<std::string> out;
  while (q->Step()) out.push_back(q->Text("id"));
  return out;
}

void LeaseRows::DeleteExpired(int64_t now) {
  auto q = tx_.Prepare(QueryId::leases_delete_expired);
  q->Bind(":now", now);
  q->Run();
}

}  // namespace contentstore::catalog
