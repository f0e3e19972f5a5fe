#include "catalog/wal_index_watch.h"


namespace contentstore::catalog {

std::optional<WalIndexWatch::Header> WalIndexWatch::Read() {
  if (region_ == nullptr) {
    sqlite3_file* file = nullptr;
    if (sqlite3_file_control(db_, "main", SQLITE_FCNTL_FILE_POINTER, &file) != SQLITE_OK ||
        file == nullptr || file->pMethods == nullptr || file->pMethods->iVersion < 2 ||
        file->pMethods->xShmMap == nullptr || file->pMethods->xShmBarrier == nullptr) {
      return std::nullopt;
    }
    // Region 0 is mapped once the connection has read in WAL mode; asking
    // without extending never creates it. SQLite's regions are 32 KiB.
    volatile void* region = nullptr;
    if (file->pMethods->xShmMap(file, 0, 32 * 1024, 0, &region) != SQLITE_OK) return std::nullopt;
    if (region == nullptr) return std::nullopt;
    file_ = file;
    region_ = region;
  }
  // Read as SQLite's walIndexTryHdr does: the first copy, a barrier, the
  // second; they differ while a writer is between its two stores.
  Header first;
  Header second;
  const volatile uint8_t* bytes = static_cast<const volatile uint8_t*>(region_);
  for (size_t i = 0; i < first.size(); ++i) first[i] = bytes[i];
  // The VFS's own barrier, as SQLite uses between the two copies
  // (std::atomic_thread_fence would do, but ThreadSanitizer refuses it).
  file_->pMethods->xShmBarrier(file_);
  for (size_t i = 0; i < second.size(); ++i) second[i] = bytes[first.size() + i];
  if (first != second) return std::nullopt;
  // isInit (byte 12) is 0 until some connection has built the index.
  if (first[12] == 0) return std::nullopt;
  return first;
}

}  // namespace contentstore::catalog
