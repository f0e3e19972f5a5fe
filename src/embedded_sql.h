// The catalog's SQL, compiled in from schema/, migrations/ and queries/ by
// cmake/embed_sql.cmake.

#ifndef CONTENTSTORE_SRC_EMBEDDED_SQL_H_
#define CONTENTSTORE_SRC_EMBEDDED_SQL_H_

#include <string_view>
#include <vector>

namespace contentstore::sql {

struct Migration {
  int version;             // NNNN of migrations/NNNN_name.sql
  std::string_view name;
  std::string_view text;
};

// schema/*.sql: the current full schema, used to create a fresh catalog.
extern const std::string_view kSchema;

// migrations/*.sql in order; Migrations().back().version is the schema version.
const std::vector<Migration>& Migrations();

}  // namespace contentstore::sql

#endif  // CONTENTSTORE_SRC_EMBEDDED_SQL_H_
