// FileReaper: removes the files of deleted blobs, safely and off the caller's
// thread.
//
// remove() and the collector delete a blob's row and queue its digest in
// pending_file_deletions in the same transaction; the file must outlive the
// row deletion until that is durable, and must never be removed while a row
// names it again (a commit of the same digest may be racing). A flush:
//   1. reads the queue;
//   2. syncs the WAL, making those row deletions durable;
//   3. in one transaction per batch, for each digest that still has no row,
//      renames blobs/<alg>/<hex> to trash/<alg>-<hex> (a rename, so the
//      transaction stays short; a commit that renamed its file there
//      meanwhile re-checks it in its own transaction and puts it back);
//   4. unlinks the trash files, outside any transaction (on a file system
//      mounted with discard, an unlink can take a tenth of a millisecond);
//   5. fsyncs blobs/<alg>/, then drops the batch from the queue: a queue entry
//      is only forgotten once its file is durably out of blobs/.
// A crash anywhere leaves queue entries (redone at the next flush, which
// Store::Open runs) or trash files (Store::Open empties trash/). Steps 3 to
// 5 are the blob tier's Retire, PurgeRetired and SyncPublished.
//
// Flushes run on a background thread started by the first Queued(), a few
// milliseconds after deletions arrive or at once when a batch is full, and
// synchronously from Flush() (the collector, fsck, Store::Open and the
// store's destructor).
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
  // Stops the thread and flushes what is queued.
  ~FileReaper();
  FileReaper(const FileReaper&) = delete;
  FileReaper& operator=(const FileReaper&) = delete;

  // A digest was queued in pending_file_deletions (its transaction committed).
  void Queued();
  // Deletes the files of everything queued so far, now, in this thread;
  // then forgets the reference-graph nodes left unused (gc_nodes_to_check).
  Status Flush();

  // Deletions queued before a background flush starts.
  static constexpr int kBatch = 256;

 private:
  void Run();
  Status DeleteQueuedFiles();
  // Moves the files of `queued` digests that still have no row to trash/,
  // unlinks them, forgets their pending_file_deletions rows, and notes their
  // graph nodes in gc_nodes_to_check.
  Status DeleteFiles(const std::vector<std::string>& queued);
  // The background thread runs this once deletions pause (kQuietTime).
  Status ForgetUnusedNodes();

  catalog::Catalog& catalog_;
  BlobTier& blobs_;
  std::mutex flush_mu_;  // one flush at a time
  std::mutex mu_;
  std::condition_variable wake_;
  int queued_ = 0;
  bool stop_ = false;
  std::thread thread_;  // started by the first Queued()
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_FILE_REAPER_H_
