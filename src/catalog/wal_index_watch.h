// Tells, without a system call, whether any connection in any process has
// committed to a WAL-mode SQLite database since a given moment.
//
// Why: a read transaction costs two fcntl() calls on the -shm file and an
// fstat() of the database, which on this kind of machine is most of an
// info() call. A connection that keeps its read transaction open between
// calls can skip them, but only while its snapshot is still the newest one.
// Every commit rewrites the WAL-index header at the start of the -shm
// mapping (the page count, the last frame, the checksums, the salts after a
// WAL restart), and that header is what a new read transaction would read
// to find its snapshot. So: read the header before beginning a read
// transaction, and later compare. Equal means no commit has become visible
// since, and the open snapshot is what a fresh transaction would see.
//
// The header's layout is SQLite's documented WAL-index format
// (https://sqlite.org/walformat.html, "The WAL-Index Header"): two copies
// of a 48-byte struct, the writer updating the second copy, a barrier, then
// the first; a reader that sees them differ is looking at a write in
// progress. Only whole-header equality is used, never a field's meaning.
//
// Thread-safety: Read() needs the connection's mutex, like any use of it.

#ifndef CONTENTSTORE_SRC_CATALOG_WAL_INDEX_WATCH_H_
#define CONTENTSTORE_SRC_CATALOG_WAL_INDEX_WATCH_H_

#include <sqlite3.h>

#include <array>
#include <cstdint>
#include <optional>

namespace contentstore::catalog {

class WalIndexWatch {
 public:
  using Header = std::array<uint8_t, 48>;

  // Watches the "main" database of `db`, which must be in WAL mode with its
  // wal-index in shared memory (not heap memory, as in exclusive locking
  // mode). Nothing to watch yet (no read since opening) or no shared
  // mapping: every Read() is nullopt.
  explicit WalIndexWatch(sqlite3* db) : db_(db) {}

  // The current header, or nullopt when it cannot be read consistently (a
  // writer is updating it, or there is no mapping): then assume a change.
  std::optional<Header> Read();

 private:
  sqlite3* db_;
  sqlite3_file* file_ = nullptr;           // the database file, for xShmBarrier
  volatile const void* region_ = nullptr;  // region 0 of the -shm mapping
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_WAL_INDEX_WATCH_H_
