// DeletionQueue: blob files whose rows are gone but whose files may still be
// on disk (table pending_file_deletions). remove() and the collector queue a
// digest in the transaction that deletes its row; the file reaper unlinks the
// file once that deletion is durable and then forgets the entry
// (store/file_reaper.h).
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_DELETION_QUEUE_H_
#define CONTENTSTORE_SRC_CATALOG_DELETION_QUEUE_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"

namespace contentstore::catalog {

class DeletionQueue {
 public:
  explicit DeletionQueue(Transaction& tx) : tx_(tx) {}

  void Add(std::string_view digest, int64_t deleted_at);
  // Every queued digest, sorted.
  std::vector<std::string> List();
  void Remove(std::string_view digest);
  int64_t Count();

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_DELETION_QUEUE_H_
