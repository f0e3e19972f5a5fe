// Compiles a parsed filter (filter.h) into an SQL condition over the catalog,
// so walk and list_statuses filter inside SQLite, using the label index,
// instead of loading every row and matching in C++.
//
// The semantics are containerd's, made explicit:
//   field        present (a NOT NULL column always is)
//   field==v     present and equal to v
//   field!=v     not equal to v, an absent field counting as "": absent
//                fields match unless v is ""
//   field~=re    re (PCRE2, unanchored) matches the value, absent = ""
// Integer columns take a decimal int64 for == and !=; ~= matches their
// decimal text. labels.<key> names a label (the rest of the fieldpath joined
// with "."); labels with empty values are never stored, so a missing label
// is "". Unlike containerd, an unknown field (a typo such as `lables.x`) is
// InvalidArgument rather than a field that is always absent.
//
// Values never become SQL text: each is a bound parameter. Column
// expressions and table names come from the FieldSchema, which is trusted
// code, never user input. The condition uses the SQL function regexp(), so
// the connection needs RegisterRegexpFunction (regexp.h).
//
// Thread-safety: Compile is thread-safe; the types are values.

#ifndef CONTENTSTORE_SRC_FILTER_SQL_H_
#define CONTENTSTORE_SRC_FILTER_SQL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "contentstore/status.h"
#include "filter/filter.h"

namespace contentstore::filter {

using SqlValue = std::variant<int64_t, std::string>;

// Which SQL the condition is written in. SQLite takes 1 for true and `a IS b`
// for null-safe equality; PostgreSQL needs TRUE (its AND and OR take only
// booleans) and `a IS NOT DISTINCT FROM b`. Both get the same ?NNN
// placeholders and the same regexp(pattern, subject, what) call (the
// PostgreSQL schema defines one returning boolean).
enum class SqlDialect { kSqlite, kPostgres };

struct SqlCondition {
  // A boolean SQL expression that is never NULL, e.g. "(b.digest = ?3)";
  // "1" ("TRUE" for PostgreSQL) when the filter matches everything.
  std::string sql;
  // Bound in order to ?first_param, ?first_param+1, ...
  std::vector<SqlValue> params;
};

// What a filter may name for one kind of row, and how to reach it in SQL.
struct FieldSchema {
  std::string_view what;  // "blob", "ingest", "lease": for error messages

  struct Column {
    std::string_view name;  // the filter's field name, e.g. "size" or "target.digest"
    std::string_view sql;   // the expression in the query, e.g. "b.size"
    bool integer;           // INTEGER: == and != take an int64
    bool nullable;          // NULL means the field is absent
  };
  std::vector<Column> columns;

  // labels.<key> support; an empty labels_table means the type has no labels.
  // Neither the owner column nor owner_sql may be NULL: `x IN (...)` is NULL,
  // not false, when NULLs are about, and the condition must be 0 or 1.
  std::string_view labels_table = {};         // e.g. "blob_labels" (columns: <owner>, key, value)
  std::string_view labels_owner_column = {};  // e.g. "digest"
  std::string_view owner_sql = {};            // e.g. "b.digest": the outer row's id
  // When the labels table's (key, value) index is partial (blob_labels leaves
  // out reference labels, migration 8): its condition, which a label filter
  // states beside `key = ...` for every key the index holds, because SQLite
  // uses a partial index only when the query names its condition. Keys for
  // which `label_key_indexed` is false are looked up without it (a scan).
  std::string_view labels_index_condition = {};     // e.g. "NOT gc_reference"
  bool (*label_key_indexed)(std::string_view key) = nullptr;
};

// Compiles `filter` for rows described by `schema`. Parameters are numbered
// explicitly from `first_param` (?NNN), so the caller can bind its own at
// 1..first_param-1 in the surrounding statement.
// Errors (InvalidArgument): an unknown field, `labels` without a key, a
// non-integer value for an integer field.
// REQUIRES: first_param >= 1.
Result<SqlCondition> Compile(const Filter& filter, const FieldSchema& schema, int first_param,
                             SqlDialect dialect = SqlDialect::kSqlite);

}  // namespace contentstore::filter

#endif  // CONTENTSTORE_SRC_FILTER_SQL_H_
