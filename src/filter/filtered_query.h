// FilteredQuery: a query from queries/*.sql whose "/*FILTER*/1" placeholder
// is replaced by compiled containerd filters, with the filter's parameters
// bound after the query's own.
//
// Thread-safety: a value; Bind runs inside a Catalog body.

#ifndef CONTENTSTORE_SRC_FILTERED_QUERY_H_
#define CONTENTSTORE_SRC_FILTERED_QUERY_H_

#include <SQLiteCpp/Statement.h>

#include <string>
#include <string_view>
#include <vector>

#include "contentstore/status.h"
#include "filter/filter_sql.h"

namespace contentstore {

class FilteredQuery {
 public:
  // `own_params` is how many parameters (?1..?own_params) the query itself
  // binds; the filter's follow. InvalidArgument for a bad filter.
  static Result<FilteredQuery> Make(std::string_view query,
                                    const std::vector<std::string>& filters,
                                    const filter::FieldSchema& schema, int own_params);

  const std::string& sql() const { return sql_; }
  // Binds the filter's parameters (the caller binds its own).
  void Bind(SQLite::Statement& stmt) const;

 private:
  std::string sql_;
  filter::SqlCondition condition_;
  int first_param_ = 1;
};

// The fields each kind of item can be filtered on.
const filter::FieldSchema& BlobFilterFields();    // digest, size, labels.<key>
const filter::FieldSchema& IngestFilterFields();  // ref
const filter::FieldSchema& LeaseFilterFields();   // id, labels.<key>

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILTERED_QUERY_H_
