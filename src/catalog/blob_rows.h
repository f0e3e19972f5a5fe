// BlobRows: the catalog's committed blobs (table blobs) and their labels
// (blob_labels), one function per named query in queries/*/blobs.sql.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_BLOB_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_BLOB_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/filtered_query.h"
#include "contentstore/digest.h"
#include "contentstore/types.h"
#include "filter/filter_sql.h"

namespace contentstore::catalog {

struct BlobSize {
  std::string digest;  // as stored; not necessarily a valid digest
  int64_t size = 0;
};

// Whether a label key is a containerd reference key (containerd.io/gc.ref.content,
// or it followed by '.' or '/' and more): blob_labels.gc_reference, in C++.
bool IsGcReferenceKey(std::string_view key);

class BlobRows {
 public:
  explicit BlobRows(Transaction& tx) : tx_(tx) {}

  // What walk filters may name: digest, size, labels.<key>.
  static const filter::FieldSchema& FilterFields();

  // The blob with its labels; nullopt when it is not committed.
  std::optional<Info> Find(const Digest& digest);
  // "Is it committed": `digest` as text, so queued digests work too.
  bool Exists(std::string_view digest);
  std::optional<int64_t> Size(std::string_view digest);

  // Adds the row; false, changing nothing, when the digest is committed.
  bool Insert(std::string_view digest, int64_t size, int64_t created_at);
  // False when there was no such row. Its labels go with it.
  bool Delete(std::string_view digest);
  // Sets updated_at; false when there is no such row.
  bool Touch(std::string_view digest, int64_t updated_at);

  // REQUIRES: value is not empty (empty values are never stored).
  void SetLabel(std::string_view digest, std::string_view key, std::string_view value);
  // Sets every label whose value is not empty.
  void SetLabels(std::string_view digest, const Labels& labels);
  void DeleteLabel(std::string_view digest, std::string_view key);
  void DeleteLabels(std::string_view digest);

  // Up to `limit` blobs after digest `after` (in digest order) that `filter`
  // accepts, with their labels. DataLoss for a row whose digest is invalid.
  Result<std::vector<Info>> WalkPage(const FilteredQuery& filter, const std::string& after,
                                     int limit);
  // Up to `limit` digests and sizes after `after`, for fsck.
  std::vector<BlobSize> SizesAfter(const std::string& after, int limit);
  int64_t TotalSize();

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_BLOB_ROWS_H_
