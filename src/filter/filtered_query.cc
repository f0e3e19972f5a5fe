#include "filter/filtered_query.h"

#include "filter/filter.h"

namespace contentstore {

Result<FilteredQuery> FilteredQuery::Make(std::string_view query,
                                          const std::vector<std::string>& filters,
                                          const filter::FieldSchema& schema, int own_params) {
  auto parsed = filter::ParseAll(filters);
  if (!parsed.ok()) return parsed.status();
  auto condition = filter::Compile(*parsed, schema, own_params + 1);
  if (!condition.ok()) return condition.status();
  FilteredQuery out;
  out.sql_ = std::string(query);
  constexpr std::string_view kPlaceholder = "/*FILTER*/1";
  const size_t at = out.sql_.find(kPlaceholder);
  if (at == std::string::npos) return Status::Internal("query has no filter placeholder");
  out.sql_.replace(at, kPlaceholder.size(), condition->sql);
  out.condition_ = std::move(*condition);
  out.first_param_ = own_params + 1;
  return out;
}

void FilteredQuery::Bind(SQLite::Statement& stmt) const {
  int index = first_param_;
  for (const filter::SqlValue& v : condition_.params) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      stmt.bind(index++, *i);
    } else {
      stmt.bindNoCopy(index++, std::get<std::string>(v));
    }
  }
}

const filter::FieldSchema& BlobFilterFields() {
  static const filter::FieldSchema schema{
      "blob",
      {{"digest", "b.digest", false, false}, {"size", "b.size", true, false}},
      "blob_labels",
      "digest",
      "b.digest"};
  return schema;
}

const filter::FieldSchema& IngestFilterFields() {
  static const filter::FieldSchema schema{"ingest", {{"ref", "i.ref", false, false}}, "", "", ""};
  return schema;
}

const filter::FieldSchema& LeaseFilterFields() {
  static const filter::FieldSchema schema{
      "lease", {{"id", "l.id", false, false}}, "lease_labels", "lease_id", "l.id"};
  return schema;
}

}  // namespace contentstore
