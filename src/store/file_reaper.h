// FileReaper: removes the files of deleted blobs, safely and off the caller's
// thread.
//
// remove() and the collector delete a blob's row and queue its digest in
// pending_file_deletions in the same transaction; the file must outlive the
// row deletion until that is durable, and must never be removed while a row
// names it again (a commit of the same digest may be racing). Deleting a set
// of queued files:
//   1. syncs the WAL, making those row deletions durable;
//   2. in one transaction per batch, for each digest that still has no row,
//      retires its file from the blob tier (a rename into trash/, so the
//      transaction stays short; a commit that published its file meanwhile
//      re-checks it in its own transaction and puts it back);
//   3. purges the retired files, outside any transaction (on a file system
//      mounted with discard, an unlink can take a tenth of a millisecond);
//   4. makes the removals durable (fsync blobs/<alg>/), then drops the batch
//      from the queue: a queue entry is only forgotten once its file is
//      durably out of blobs/.
// A crash anywhere leaves queue entries or trash files, which the next full
// flush finishes.
//
// Whose deletions: a background thread, started by the first Queued(),
// deletes the files of what this process removed, a few milliseconds after
// the removals (at once when a batch is full), and the destructor finishes
// them. Flush() deletes everything queued by any process and purges what
// crashed flushes left in trash/; the collector and fsck call it. Opening a
// store never does: a process that only reads, or removes one blob, never
// waits for a collection's hundred thousand files.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_STORE_FILE_REAPER_H_
#define CONTENTSTORE_SRC_STORE_FILE_REAPER_H_

#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "catalog/catalog.h"
#include "contentstore/status.h"
#include "files/blob_tier.h"

namespace contentstore {

class FileReaper {
 public:
  FileReaper(catalog::Catalog& catalog, BlobTier& blobs);
  // Stops the thread and deletes the files of what this process queued.
  ~FileReaper();
  FileReaper(const FileReaper&) = delete;
  FileReaper& operator=(const FileReaper&) = delete;

  // This process queued these digests in pending_file_deletions (their
  // transaction committed).
  void Queued(std::vector<std::string> digests);
  // Deletes the files of everything queued so far by any process, and what
  // crashed flushes left, now, in this thread; then forgets the
  // reference-graph nodes left unused (gc_nodes_to_check).
  Status Flush();

  // Deletions gathered before a background flush starts.
  static constexpr size_t kBatch = 256;

 private:
  void Run();
  // Deletes the files of `queued` digests that still have no row, and
  // forgets their pending_file_deletions rows.
  Status DeleteFiles(const std::vector<std::string>& queued);
  // The background thread runs this once deletions pause (kQuietTime).
  Status ForgetUnusedNodes();

  catalog::Catalog& catalog_;
  BlobTier& blobs_;
  std::mutex flush_mu_;  // one deletion at a time
  std::mutex mu_;
  std::condition_variable wake_;
  std::vector<std::string> own_;  // queued by this process, not yet deleted
  bool stop_ = false;
  std::thread thread_;  // started by the first Queued()
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_FILE_REAPER_H_
