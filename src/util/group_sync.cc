#include "util/group_sync.h"

namespace contentstore {

Status GroupSync::Sync(const std::function<Status()>& sync) {
  std::unique_lock lock(mu_);
  const uint64_t ticket = ++requested_;
  while (covered_ < ticket) {
    if (running_) {
      done_.wait(lock);
      continue;
    }
    // Everything requested so far happened before this sync starts.
    const uint64_t covers = requested_;
    running_ = true;
    ++syncs_run_;
    lock.unlock();
    Status s = sync();
    lock.lock();
    running_ = false;
    if (s.ok() && covers > covered_) covered_ = covers;
    done_.notify_all();
    if (!s.ok()) return s;
  }
  return Status::OK();
}

uint64_t GroupSync::syncs_run() const {
  std::lock_guard lock(mu_);
  return syncs_run_;
}

}  // namespace contentstore
