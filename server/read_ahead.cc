// Reading a blob ahead of its Read stream (see read_ahead.h).

#include "read_ahead.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>

namespace contentstore::server {

ReadAhead::ReadAhead(const Reader& reader, const std::string& name, int64_t offset, int64_t end,
                     size_t chunk, int depth)
    : reader_(reader),
      name_(name),
      end_(end),
      chunk_(chunk),
      depth_(static_cast<size_t>(depth)),
      next_offset_(offset) {
  if (end - offset > static_cast<int64_t>(chunk)) thread_ = std::thread([this] { Run(); });
}

ReadAhead::~ReadAhead() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  changed_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool ReadAhead::ReadChunk(std::string& buffer, Status* error) {
  if (next_offset_ >= end_) return false;
  const auto want =
      static_cast<size_t>(std::min<int64_t>(static_cast<int64_t>(chunk_), end_ - next_offset_));
  buffer.resize(want);
  auto got = reader_.read_at(next_offset_, std::as_writable_bytes(std::span(buffer.data(), want)));
  if (!got.ok()) {
    *error = got.status();
    return false;
  }
  if (*got == 0) {
    *error = Status::DataLoss(fmt::format(
        "blob {} ends at offset {}, before the {} bytes it should have", name_, next_offset_, end_));
    return false;
  }
  buffer.resize(*got);
  next_offset_ += static_cast<int64_t>(*got);
  return true;
}

Result<std::string> ReadAhead::Next() {
  if (!thread_.joinable()) {
    std::string chunk;
    Status error;
    if (ReadChunk(chunk, &error)) return chunk;
    if (!error.ok()) return error;
    return std::string();
  }
  std::unique_lock lock(mu_);
  changed_.wait(lock, [&] { return !ready_.empty() || done_; });
  if (!ready_.empty()) {
    std::string chunk = std::move(ready_.front());
    ready_.pop_front();
    lock.unlock();
    changed_.notify_all();
    return chunk;
  }
  if (!error_.ok()) return error_;
  return std::string();
}

void ReadAhead::Recycle(std::string buffer) {
  std::lock_guard lock(mu_);
  spare_.push_back(std::move(buffer));
}

void ReadAhead::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    changed_.wait(lock, [&] { return stop_ || ready_.size() < depth_; });
    if (stop_) break;
    std::string buffer;
    if (!spare_.empty()) {
      buffer = std::move(spare_.back());
      spare_.pop_back();
    }
    lock.unlock();
    Status error;
    const bool read = ReadChunk(buffer, &error);
    lock.lock();
    if (!read) {
      error_ = error;
      break;
    }
    ready_.push_back(std::move(buffer));
    changed_.notify_all();
  }
  done_ = true;
  changed_.notify_all();
}

}  // namespace contentstore::server
