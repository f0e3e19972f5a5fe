// ImageRows: image names (table images), their labels (image_labels) and the
// state of ROOT/index.json (image_index), one function per named query in
// queries/*/images.sql.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_IMAGE_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_IMAGE_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/filtered_query.h"
#include "contentstore/image.h"
#include "contentstore/status.h"
#include "filter/filter_sql.h"

namespace contentstore::catalog {

// NotFound naming the image.
Status NoSuchImage(std::string_view name);

// One entry of ROOT/index.json: a name and its target, as stored (the digest
// is not parsed: a row written by hand may hold anything).
struct IndexEntry {
  std::string name;
  std::string digest;
  std::string media_type;
  int64_t size = 0;
};

// Where ROOT/index.json stands: current when published == generation.
struct IndexState {
  int64_t generation = 0;
  int64_t published = 0;
};

class ImageRows {
 public:
  explicit ImageRows(Transaction& tx) : tx_(tx) {}

  // What list filters may name: name, target.digest, target.mediatype,
  // labels.<key>.
  static const filter::FieldSchema& FilterFields();

  // Creates the name or points it at image.target, its labels replaced by
  // image.labels (empty values dropped); created_at stays when it existed.
  void Put(const Image& image, int64_t now);
  // The image with its labels; nullopt when there is no such name.
  // DataLoss for a row whose digest is not a digest.
  Result<std::optional<Image>> Find(const std::string& name);
  // By name. DataLoss as Find.
  Result<std::vector<Image>> List(const FilteredQuery& filter);
  // Its labels go with it. False when there was none.
  bool Delete(const std::string& name);

  // Every name's target, by name.
  std::vector<IndexEntry> IndexEntries();
  IndexState State();
  // index.json shows `generation` (or something newer already did).
  void MarkPublished(int64_t generation);

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_IMAGE_ROWS_H_
