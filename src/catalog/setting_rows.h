// SettingRows: the catalog's store_settings, what every node sharing the
// catalog must agree on, by name; one function per named query in
// queries/*/settings.sql.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_SETTING_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_SETTING_ROWS_H_

#include <optional>
#include <string>

#include "catalog/catalog.h"

namespace contentstore::catalog {

class SettingRows {
 public:
  // Where the blobs are: s3://BUCKET/PREFIX.
  static constexpr const char* kBlobs = "blobs";

  explicit SettingRows(Transaction& tx) : tx_(tx) {}

  std::optional<std::string> Get(const std::string& name);
  // Records `value` unless `name` has one already; returns the value that
  // is recorded now.
  std::string PutIfMissing(const std::string& name, const std::string& value);

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_SETTING_ROWS_H_
