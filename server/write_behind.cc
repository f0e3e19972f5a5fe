// Appends on a thread of their own (see write_behind.h).

#include "write_behind.h"

#include <span>

namespace contentstore::server {

WriteBehind::WriteBehind(Writer& writer) : writer_(writer), thread_([this] { Run(); }) {}

WriteBehind::~WriteBehind() {
  (void)Drain();
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  thread_.join();
}

Status WriteBehind::Append(std::string data) {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !error_.ok() || queued_bytes_ < kMaxQueuedBytes; });
  if (!error_.ok()) return error_;
  queued_bytes_ += data.size();
  queue_.push_back(std::move(data));
  lock.unlock();
  changed_.notify_all();
  return Status::OK();
}

Status WriteBehind::Drain() {
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return queue_.empty() && !busy_; });
  return error_;
}

void WriteBehind::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping, nothing left
    std::string data = std::move(queue_.front());
    queue_.pop_front();
    busy_ = true;
    const bool failed = !error_.ok();
    lock.unlock();
    Status s =
        failed ? Status::OK() : writer_.write(std::as_bytes(std::span(data.data(), data.size())));
    lock.lock();
    busy_ = false;
    queued_bytes_ -= data.size();
    if (!s.ok() && error_.ok()) error_ = s;
    if (!error_.ok()) {
      // Nothing after a failed append may be written: the stream is over.
      for (const std::string& rest : queue_) queued_bytes_ -= rest.size();
      queue_.clear();
    }
    changed_.notify_all();
  }
}

}  // namespace contentstore::server
