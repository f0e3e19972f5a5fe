// FilteredQuery: containerd filters (filter.h) applied to a named query.
//
// A query that can be filtered marks the spot with "/*FILTER <alias>*/1"
// ("/*FILTER <alias>*/TRUE" in PostgreSQL's text, whose WHERE takes only
// booleans),
// where <alias> names the row the filter's fields belong to (say "b" for
// "FROM blobs AS b"). The row class that owns the query also owns its
// FieldSchema, written with bare column names; the alias comes from the
// query text itself, so neither file depends on the other's spelling. The
// compiled condition replaces the mark, and its values are bound after the
// query's own named parameters.
//
// Thread-safety: a value; Prepare runs inside a Catalog body.

#ifndef CONTENTSTORE_SRC_CATALOG_FILTERED_QUERY_H_
#define CONTENTSTORE_SRC_CATALOG_FILTERED_QUERY_H_

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "contentstore/status.h"
#include "filter/filter.h"
#include "filter/filter_sql.h"

namespace contentstore::catalog {

class FilteredQuery {
 public:
  // Parses `filters`; InvalidArgument for a bad one. Cheap: compiling waits
  // for Prepare.
  static Result<FilteredQuery> Parse(const std::vector<std::string>& filters,
                                     const filter::FieldSchema& schema);

  // The named query `id` (with its FILTER mark) filtered, prepared, the
  // filter's values bound. The caller binds the query's own parameters.
  // InvalidArgument for a filter naming an unknown field or a bad value.
  Result<Query> Prepare(Transaction& tx, QueryId id) const;

  // What Prepare runs: `query_text` with the filter compiled into it, and the
  // values for its numbered parameters ?first, ?first+1, ...
  struct Compiled {
    std::string sql;
    std::vector<filter::SqlValue> params;
    int first = 1;
  };
  Result<Compiled> Compile(std::string_view query_text, Dialect dialect = Dialect::kSqlite) const;

 private:
  filter::Filter filter_;
  const filter::FieldSchema* schema_ = nullptr;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_FILTERED_QUERY_H_
