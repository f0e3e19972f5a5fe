#include "catalog/filtered_query.h"

#include <cctype>
#include <set>
#include <variant>

#include <fmt/format.h>

namespace contentstore::catalog {
namespace {

constexpr std::string_view kMarkStart = "/*FILTER ";
constexpr std::string_view kMarkEnd = "*/";
// What follows the mark: the dialect's literal true, so the unfiltered text
// is a valid query of its own.
constexpr std::string_view kTrueLiterals[] = {"1", "TRUE"};

// Distinct ":name" parameters in `sql`: the filter's numbered parameters
// come after them.
int NamedParameterCount(std::string_view sql) {
  std::set<std::string_view> names;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != ':' || i + 1 >= sql.size()) continue;
    size_t end = i + 1;
    while (end < sql.size() && (std::isalnum(static_cast<unsigned char>(sql[end])) ||
                                sql[end] == '_')) {
      ++end;
    }
    if (end > i + 1) names.insert(sql.substr(i, end - i));
    i = end - 1;
  }
  return static_cast<int>(names.size());
}

}  // namespace

Result<FilteredQuery> FilteredQuery::Parse(const std::vector<std::string>& filters,
                                           const filter::FieldSchema& schema) {
  auto parsed = filter::ParseAll(filters);
  if (!parsed.ok()) return parsed.status();
  FilteredQuery out;
  out.filter_ = std::move(*parsed);
  out.schema_ = &schema;
  return out;
}

Result<FilteredQuery::Compiled> FilteredQuery::Compile(std::string_view query_text,
                                                       Dialect dialect) const {
  // Without its "--" comments, which may mention the mark or a ":word".
  std::string stripped;
  for (size_t i = 0; i < query_text.size();) {
    if (query_text.compare(i, 2, "--") == 0) {
      while (i < query_text.size() && query_text[i] != '\n') ++i;
    } else {
      stripped += query_text[i++];
    }
  }
  const std::string_view text = stripped;
  const size_t mark = text.find(kMarkStart);
  const size_t mark_end = mark == std::string_view::npos ? mark : text.find(kMarkEnd, mark);
  size_t true_size = 0;
  if (mark_end != std::string_view::npos) {
    for (std::string_view literal : kTrueLiterals) {
      if (text.substr(mark_end + kMarkEnd.size(), literal.size()) == literal) {
        true_size = literal.size();
      }
    }
  }
  if (mark_end == std::string_view::npos || true_size == 0) {
    return Status::Internal("query has no /*FILTER alias*/1 mark");
  }
  const std::string alias(
      text.substr(mark + kMarkStart.size(), mark_end - mark - kMarkStart.size()));
  // The schema's bare columns, qualified by the query's alias.
  std::vector<std::string> storage;
  storage.reserve(schema_->columns.size() + 1);
  filter::FieldSchema qualified = *schema_;
  for (auto& column : qualified.columns) {
    storage.push_back(alias + "." + std::string(column.sql));
    column.sql = storage.back();
  }
  if (!qualified.owner_sql.empty()) {
    storage.push_back(alias + "." + std::string(qualified.owner_sql));
    qualified.owner_sql = storage.back();
  }
  Compiled out;
  out.first = NamedParameterCount(text) + 1;
  auto condition = filter::Compile(
      filter_, qualified, out.first,
      dialect == Dialect::kPostgres ? filter::SqlDialect::kPostgres : filter::SqlDialect::kSqlite);
  if (!condition.ok()) return condition.status();
  out.sql = std::string(text);
  out.sql.replace(mark, mark_end + kMarkEnd.size() + true_size - mark, condition->sql);
  out.params = std::move(condition->params);
  return out;
}

Result<Query> FilteredQuery::Prepare(Transaction& tx, QueryId id) const {
  auto compiled = Compile(tx.Text(id), tx.dialect());
  if (!compiled.ok()) return compiled.status();
  Query q = tx.PrepareText(compiled->sql);
  int index = compiled->first;
  for (const filter::SqlValue& v : compiled->params) {
    if (const auto* i = std::get_if<int64_t>(&v)) {
      q->BindIndex(index++, *i);
    } else {
      q->BindIndex(index++, std::get<std::string>(v));
    }
  }
  return q;
}

}  // namespace contentstore::catalog
