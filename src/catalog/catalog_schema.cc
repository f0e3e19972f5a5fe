// Bringing a catalog to the current schema: a fresh catalog gets
// schema/schema.sql; an older one gets each pending migrations/NNNN_*.sql; all
// in one transaction with PRAGMA user_version, which SQLite rolls back with
// the rest if anything fails. A catalog newer than this library is refused
// before anything is written.

#include <fmt/format.h>

#include "catalog/catalog.h"
#include "embedded_sql.h"

namespace contentstore {
namespace {

int LatestVersion() { return sql::kMigrations.back().version; }

Status TooNew(const std::string& path, int version) {
  return Status::IOError(fmt::format(
      "catalog {} has schema version {}, but this contentstore knows only up to {}: "
      "use a newer contentstore",
      path, version, LatestVersion()));
}

}  // namespace

Status Catalog::Migrate() {
  const int latest = LatestVersion();
  int version = schema_version();
  if (version < 0) return Status::IOError(fmt::format("catalog {}: cannot read its version", path_));
  if (version > latest) return TooNew(path_, version);
  if (version == latest) return Status::OK();
  return Write(Sync::kFull, [&](Session& s) -> Status {
    // Another process may have migrated between the check and the lock.
    auto v = s.Prepare("PRAGMA user_version");
    v->executeStep();
    version = v->getColumn(0).getInt();
    if (version > latest) return TooNew(path_, version);
    if (version == latest) return Status::OK();
    if (version == 0) {
      auto count = s.Prepare("SELECT count(*) FROM sqlite_schema");
      count->executeStep();
      if (count->getColumn(0).getInt() != 0) {
        return Status::IOError(fmt::format(
            "{} is an SQLite database but not a contentstore catalog (it has tables but no "
            "schema version)",
            path_));
      }
      s.db().exec(std::string(sql::kSchema));
    } else {
      for (const sql::Migration& m : sql::kMigrations) {
        if (m.version > version) s.db().exec(std::string(m.text));
      }
    }
    s.db().exec(fmt::format("PRAGMA user_version = {}", latest));
    return Status::OK();
  });
}

}  // namespace contentstore
