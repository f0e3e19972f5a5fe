// DataFile: the bytes of one ingest, appended to ingest/<id>/data.
//
// Small ingests write straight through the page cache. Once an ingest passes
// kDirectThreshold bytes it switches to direct I/O (O_DIRECT) through two
// aligned staging buffers and a writer thread: while the thread writes one
// buffer to the device, the caller fills the other and hashes (the writer
// hashes in its own thread). On this class of machine, filling fresh page
// cache runs at a few hundred MB/s while direct writes reach the device's
// speed, and doing the writing beside the hashing instead of after it nearly
// doubles what one ingest can sustain. Where the file system refuses
// O_DIRECT (tmpfs), the thread still writes through the page cache.
//
// Bytes appended but still in a staging buffer are not in the file yet:
// Flush() puts them there, Sync() also makes them durable. A crash loses
// what was not flushed, which a resumed writer simply does not find.
//
// Appending also hashes. In direct mode that happens piece by piece as the
// bytes go into the staging buffer, so when a full buffer is handed to the
// writer thread the hash state at its end is known; every checkpoint_every
// bytes the thread, after writing such a buffer, fdatasyncs and reports
// (offset, saved hash state) to on_checkpoint. Checkpoints of a large ingest
// therefore cost the caller nothing: no pipeline drain, no fsync, no
// catalog transaction in its thread.
//
// Thread-safety: one thread at a time (the owning writer); the writer thread
// is internal.

#ifndef CONTENTSTORE_SRC_DATA_FILE_H_
#define CONTENTSTORE_SRC_DATA_FILE_H_

#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>

#include "contentstore/status.h"
#include "util/hasher.h"
#include "contentstore/env.h"
#include "env/unique_fd.h"

namespace contentstore {

class DataFile {
 public:
  static constexpr int64_t kDirectThreshold = 8 << 20;
  static constexpr size_t kBufferBytes = 8 << 20;
  static constexpr size_t kAlignment = 4096;

  // Records a checkpoint: `state` is the saved hash state after `offset`
  // bytes, which are durable (fdatasync'ed, when syncing at all).
  using CheckpointFn = std::function<Status(int64_t offset, const std::string& state)>;

  // `fd` is open read-write on the file, whose first `size` bytes are the
  // ingest's. With `sync` false, Sync() only flushes (Options::sync).
  // `on_checkpoint` is called from the writer thread in direct mode (see
  // above); 0 for `checkpoint_every` disables that.
  DataFile(Env& env, UniqueFd fd, std::string path, int64_t size, bool sync,
           int64_t checkpoint_every, CheckpointFn on_checkpoint);
  ~DataFile();
  DataFile(const DataFile&) = delete;
  DataFile& operator=(const DataFile&) = delete;

  // Appends at size() and feeds the bytes to `hasher`, which must have seen
  // exactly the first size() bytes. On error in page-cache mode nothing of
  // `data` counts as appended or hashed (the file is cut back); in direct
  // mode the error comes from a background write and broken() is true.
  Status Append(const void* data, size_t size, Hasher& hasher);
  // Everything appended is in the file.
  Status Flush();
  // Everything appended is in the file and on the device (fdatasync).
  Status Sync();
  // A background write failed: the file may hold less than size() says.
  bool broken() const { return !thread_error_.ok(); }
  // Empties the file.
  Status Truncate();

  int64_t size() const { return size_; }
  // In direct mode, checkpoints are the writer thread's business.
  bool direct() const { return direct_; }
  // The ordinary (page-cache) descriptor, for stat, chmod and reads.
  int fd() const { return fd_.get(); }
  const std::string& path() const { return path_; }

 private:
  struct Buffer;
  Status StartDirect();
  Status Submit(const Hasher& hasher);  // hands the staging buffer to the thread
  Status WaitIdle();        // waits for the thread's write to finish
  void Run();               // the writer thread
  Status AppendBuffered(const void* data, size_t size);

  Env& env_;
  UniqueFd fd_;
  const std::string path_;
  int64_t size_;
  const bool sync_;
  bool synced_ = true;
  const int64_t checkpoint_every_;
  const CheckpointFn on_checkpoint_;
  int64_t last_checkpoint_;  // offset of the last checkpoint handed to the thread

  // Direct mode (after kDirectThreshold).
  bool direct_ = false;
  UniqueFd direct_fd_;  // O_DIRECT, or a second ordinary descriptor
  std::unique_ptr<Buffer> filling_;  // the caller's buffer
  std::unique_ptr<Buffer> writing_;  // the thread's buffer, when busy
  std::unique_ptr<Buffer> spare_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool busy_ = false;
  bool stop_ = false;
  Status thread_error_;
  std::thread thread_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_DATA_FILE_H_
