#include "catalog/blob_rows.h"

#include <fmt/format.h>

#include "util/timestamp.h"

namespace contentstore::catalog {

bool IsGcReferenceKey(std::string_view key) {
  constexpr std::string_view kPrefix = "containerd.io/gc.ref.content";
  if (key.substr(0, kPrefix.size()) != kPrefix) return false;
  return key.size() == kPrefix.size() || key[kPrefix.size()] == '.' ||
         key[kPrefix.size()] == '/';
}

const filter::FieldSchema& BlobRows::FilterFields() {
  static const filter::FieldSchema schema{
      "blob",
      {{"digest", "digest", false, false}, {"size", "size", true, false}},
      "blob_labels",
      "digest",
      "digest",
      "NOT gc_reference",
      [](std::string_view key) { return !IsGcReferenceKey(key); }};
  return schema;
}

std::optional<Info> BlobRows::Find(const Digest& digest) {
  auto q = tx_.Prepare(QueryId::blob_info);
  q->Bind(":digest", digest.str());
  std::optional<Info> info;
  while (q->Step()) {
    if (!info) {
      info.emplace();
      info->digest = digest;
      info->size = q->Int64("size");
      info->created_at = FromNanos(q->Int64("created_at"));
      info->updated_at = FromNanos(q->Int64("updated_at"));
    }
    if (!q->IsNull("key")) info->labels.emplace(q->Text("key"), q->Text("value"));
  }
  return info;
}

bool BlobRows::Exists(std::string_view digest) { return Size(digest).has_value(); }

std::optional<int64_t> BlobRows::Size(std::string_view digest) {
  auto q = tx_.Prepare(QueryId::blob_size);
  q->Bind(":digest", digest);
  if (!q->Step()) return std::nullopt;
  return q->Int64("size");
}

bool BlobRows::Insert(std::string_view digest, int64_t size, int64_t created_at) {
  auto q = tx_.Prepare(QueryId::blob_insert);
  q->Bind(":digest", digest);
  q->Bind(":size", size);
  q->Bind(":created_at", created_at);
  q->Run();
  return tx_.Changes() > 0;
}

bool BlobRows::Delete(std::string_view digest) {
  auto q = tx_.Prepare(QueryId::blob_delete);
  q->Bind(":digest", digest);
  q->Run();
  return tx_.Changes() > 0;
}

bool BlobRows::Touch(std::string_view digest, int64_t updated_at) {
  auto q = tx_.Prepare(QueryId::blob_touch);
  q->Bind(":digest", digest);
  q->Bind(":updated_at", updated_at);
  q->Run();
  return tx_.Changes() > 0;
}

void BlobRows::SetLabel(std::string_view digest, std::string_view key, std::string_view value) {
  auto q = tx_.Prepare(QueryId::label_set);
  q->Bind(":digest", digest);
  q->Bind(":key", key);
  q->Bind(":value", value);
  q->Run();
}

void BlobRows::SetLabels(std::string_view digest, const Labels& labels) {
  for (const auto& [key, value] : labels) {
    if (!value.empty()) SetLabel(digest, key, value);
  }
}

void BlobRows::DeleteLabel(std::string_view digest, std::string_view key) {
  auto q = tx_.Prepare(QueryId::label_delete);
  q->Bind(":digest", digest);
  q->Bind(":key", key);
  q->Run();
}

void BlobRows::DeleteLabels(std::string_view digest) {
  auto q = tx_.Prepare(QueryId::labels_delete_all);
  q->Bind(":digest", digest);
  q->Run();
}

Result<std::vector<Info>> BlobRows::WalkPage(const FilteredQuery& filter,
                                             const std::string& after, int limit) {
  auto q = filter.Prepare(tx_, QueryId::walk_page);
  if (!q.ok()) return q.status();
  (*q)->Bind(":after", after);
  (*q)->Bind(":limit", int64_t{limit});
  std::vector<Info> page;
  std::string current;
  while ((*q)->Step()) {
    std::string digest = (*q)->Text("digest");
    if (page.empty() || digest != current) {
      auto parsed = Digest::Parse(digest);
      if (!parsed.ok()) {
        return Status::DataLoss(
            fmt::format("catalog row with a bad digest: {}", parsed.status().message()));
      }
      Info info;
      info.digest = std::move(*parsed);
      info.size = (*q)->Int64("size");
      info.created_at = FromNanos((*q)->Int64("created_at"));
      info.updated_at = FromNanos((*q)->Int64("updated_at"));
      page.push_back(std::move(info));
      current = std::move(digest);
    }
    if (!(*q)->IsNull("key")) page.back().labels.emplace((*q)->Text("key"), (*q)->Text("value"));
  }
  return page;
}

std::vector<BlobSize> BlobRows::SizesAfter(const std::string& after, int limit) {
  auto q = tx_.Prepare(QueryId::blob_sizes_after);
  q->Bind(":after", after);
  q->Bind(":limit", int64_t{limit});
  std::vector<BlobSize> out;
  while (q->Step()) out.push_back({q->Text("digest"), q->Int64("size")});
  return out;
}

int64_t BlobRows::TotalSize() {
  auto q = tx_.Prepare(QueryId::blob_total_size);
  return q->Step() ? q->Int64("total") : 0;
}

}  // namespace contentstore::catalog
