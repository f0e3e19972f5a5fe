#include "files/data_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>

#include <fmt/format.h>

#include "env/thread_name.h"

namespace contentstore {

struct DataFile::Buffer {
  Buffer() {
    void* p = nullptr;
    if (::posix_memalign(&p, kAlignment, kBufferBytes) != 0) std::abort();
    data = static_cast<char*>(p);
  }
  ~Buffer() { std::free(data); }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;

  char* data = nullptr;
  int64_t file_offset = 0;  // where data[0] goes; a multiple of kAlignment
  size_t used = 0;          // bytes of data that are the file's
  std::string checkpoint;   // when set: the hash state at file_offset + used
};

DataFile::DataFile(Env& env, UniqueFd fd, std::string path, int64_t size, bool sync,
                   int64_t checkpoint_every, CheckpointFn on_checkpoint)
    : env_(env),
      fd_(std::move(fd)),
      path_(std::move(path)),
      size_(size),
      sync_(sync),
      synced_(!sync),
      checkpoint_every_(checkpoint_every),
      on_checkpoint_(std::move(on_checkpoint)),
      last_checkpoint_(size) {}

DataFile::~DataFile() {
  if (thread_.joinable()) {
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !busy_; });
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
  }
}

Status DataFile::AppendBuffered(const void* data, size_t size) {
  if (Status s = env_.WriteAt(fd_.get(), data, size, size_, path_); !s.ok()) {
    // Part of it may have landed: cut it off, so the file holds exactly what
    // was appended.
    (void)env_.Truncate(fd_.get(), size_, path_);
    return s;
  }
  size_ += static_cast<int64_t>(size);
  return Status::OK();
}

Status DataFile::StartDirect() {
  // A second descriptor on the same file; O_DIRECT where the file system
  // takes it. /proc/self/fd reaches the same inode whatever its name.
  const std::string self = "/proc/self/fd/" + std::to_string(fd_.get());
  auto direct = OpenPath(env_, self, O_WRONLY | O_DIRECT);
  if (!direct.ok()) direct = OpenPath(env_, self, O_WRONLY);
  if (!direct.ok()) direct = OpenPath(env_, path_, O_WRONLY);
  if (!direct.ok()) return direct.status();
  direct_fd_ = std::move(*direct);
  filling_ = std::make_unique<Buffer>();
  spare_ = std::make_unique<Buffer>();
  // The buffer starts at the block holding the end of the file; the bytes
  // already there are read back so whole blocks can be written.
  filling_->file_offset = size_ & ~static_cast<int64_t>(kAlignment - 1);
  filling_->used = static_cast<size_t>(size_ - filling_->file_offset);
  if (filling_->used > 0) {
    auto got = env_.ReadAt(fd_.get(), filling_->data, filling_->used, filling_->file_offset,
                             path_);
    if (!got.ok()) return got.status();
    if (*got != filling_->used) {
      return Status::IOError(fmt::format("{} is shorter than the data written to it", path_));
    }
  }
  direct_ = true;
  thread_ = std::thread([this] {
    NameThisThread("direct-write");
    Run();
  });
  return Status::OK();
}

void DataFile::Run() {
  std::unique_lock lock(mu_);
  for (;;) {
    cv_.wait(lock, [&] { return busy_ || stop_; });
    if (stop_) return;
    Buffer* b = writing_.get();
    lock.unlock();
    Status s = env_.WriteAt(direct_fd_.get(), b->data, b->used, b->file_offset, path_);
    if (s.ok() && !b->checkpoint.empty()) {
      if (sync_) s = env_.SyncData(fd_.get(), path_);
      if (s.ok()) s = on_checkpoint_(b->file_offset + static_cast<int64_t>(b->used), b->checkpoint);
    }
    lock.lock();
    if (!s.ok() && thread_error_.ok()) thread_error_ = s;
    busy_ = false;
    cv_.notify_all();
  }
}

Status DataFile::WaitIdle() {
  std::unique_lock lock(mu_);
  cv_.wait(lock, [&] { return !busy_; });
  if (writing_) {
    spare_ = std::move(writing_);
  }
  return thread_error_;
}

Status DataFile::Submit(const Hasher& hasher) {
  if (Status s = WaitIdle(); !s.ok()) return s;
  const int64_t end = filling_->file_offset + static_cast<int64_t>(filling_->used);
  filling_->checkpoint.clear();
  if (checkpoint_every_ > 0 && on_checkpoint_ && end - last_checkpoint_ >= checkpoint_every_) {
    filling_->checkpoint = hasher.save();
    last_checkpoint_ = end;
  }
  std::unique_ptr<Buffer> next = std::move(spare_);
  next->file_offset = end;
  next->used = 0;
  {
    std::lock_guard lock(mu_);
    writing_ = std::move(filling_);
    busy_ = true;
  }
  cv_.notify_all();
  filling_ = std::move(next);
  return Status::OK();
}

Status DataFile::Append(const void* data, size_t size, Hasher& hasher) {
  if (!direct_ && size_ + static_cast<int64_t>(size) <= kDirectThreshold) {
    Status s = AppendBuffered(data, size);
    if (s.ok()) {
      hasher.update(data, size);
      synced_ = !sync_;
    }
    return s;
  }
  if (!direct_) {
    if (Status s = StartDirect(); !s.ok()) return s;
  }
  synced_ = !sync_;
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const size_t take = std::min(size, kBufferBytes - filling_->used);
    std::memcpy(filling_->data + filling_->used, p, take);
    // Hashing here overlaps the thread's write of the previous buffer.
    hasher.update(p, take);
    filling_->used += take;
    size_ += static_cast<int64_t>(take);
    p += take;
    size -= take;
    if (filling_->used == kBufferBytes) {
      if (Status s = Submit(hasher); !s.ok()) return s;
    }
  }
  return Status::OK();
}

Status DataFile::Flush() {
  if (!direct_) return Status::OK();
  if (Status s = WaitIdle(); !s.ok()) return s;
  Buffer& b = *filling_;
  const size_t whole = b.used & ~(kAlignment - 1);
  if (whole > 0) {
    if (Status s = env_.WriteAt(direct_fd_.get(), b.data, whole, b.file_offset, path_);
        !s.ok()) {
      return s;
    }
  }
  const size_t tail = b.used - whole;
  if (tail > 0) {
    // Direct I/O writes whole blocks only; the last partial block goes
    // through the page cache (and is written again, whole, with what follows).
    if (Status s = env_.WriteAt(fd_.get(), b.data + whole, tail,
                                  b.file_offset + static_cast<int64_t>(whole), path_);
        !s.ok()) {
      return s;
    }
    std::memmove(b.data, b.data + whole, tail);
  }
  b.file_offset += static_cast<int64_t>(whole);
  b.used = tail;
  return Status::OK();
}

Status DataFile::Sync() {
  if (Status s = Flush(); !s.ok()) return s;
  if (!sync_ || synced_) return Status::OK();
  if (Status s = env_.SyncData(fd_.get(), path_); !s.ok()) return s;
  synced_ = true;
  return Status::OK();
}

Status DataFile::Truncate() {
  if (direct_) {
    if (Status s = WaitIdle(); !s.ok()) return s;
    filling_->file_offset = 0;
    filling_->used = 0;
  }
  if (Status s = env_.Truncate(fd_.get(), 0, path_); !s.ok()) return s;
  size_ = 0;
  last_checkpoint_ = 0;
  synced_ = !sync_;
  return Status::OK();
}

}  // namespace contentstore
