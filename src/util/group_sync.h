// GroupSync: group commit for an fsync. Many threads each need "everything I
// did before this call is on disk"; one fsync that starts after all their
// calls serves them all. While one thread syncs, the others that arrive wait,
// and the next sync covers every one of them (LevelDB's writer queue idea,
// applied to a single file or directory).
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_GROUP_SYNC_H_
#define CONTENTSTORE_SRC_GROUP_SYNC_H_

#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>

#include "contentstore/status.h"

namespace contentstore {

class GroupSync {
 public:
  // Returns once a call of `sync` that began after this call began has
  // succeeded, running `sync` itself if no other thread is. A failed sync is
  // returned to the thread that ran it; the others try again themselves.
  Status Sync(const std::function<Status()>& sync);

  // How many times `sync` actually ran (for tests).
  uint64_t syncs_run() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable done_;
  uint64_t requested_ = 0;  // tickets handed out
  uint64_t covered_ = 0;    // highest ticket a successful sync covered
  bool running_ = false;
  uint64_t syncs_run_ = 0;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_GROUP_SYNC_H_
