// WriteBehind: a Write stream's appends, done on a thread of its own.
//
// Why: containerd's client sends a WRITE and waits for its answer before it
// sends the next (content/proxy's remoteWriter). If the stream's thread
// hashed and wrote each message before answering, the client would idle
// while the server hashes and the server while the next message travels:
// a 1 GiB upload would take the sum of both instead of the larger. So once
// a stream sends large messages, the session answers a WRITE as soon as its
// bytes are queued here, and this thread appends them to the Writer while
// the next message arrives.
//
// What the client is told stays true: the answer's offset counts queued
// bytes, which are written before anything else happens on the stream
// (STAT, COMMIT, truncation and the stream's end all Drain() first). A
// write that fails is reported by the next call on the stream, as the
// stream's error; the ingest then holds what was really written, and a new
// stream resumes from there. At most kMaxQueuedBytes (or one message, if
// larger) wait at a time; Append() blocks beyond that.
//
// Thread-safety: Append() and Drain() are called by the stream's thread;
// the Writer is used only by this object's thread between them (the queue's
// lock hands it over), and only by the stream's thread after a Drain().

#ifndef CONTENTSTORE_SERVER_WRITE_BEHIND_H_
#define CONTENTSTORE_SERVER_WRITE_BEHIND_H_

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <mutex>
#include <string>
#include <thread>

#include "contentstore/status.h"
#include "contentstore/writer.h"

namespace contentstore::server {

class WriteBehind {
 public:
  static constexpr size_t kMaxQueuedBytes = 4 << 20;

  explicit WriteBehind(Writer& writer);
  // Drains, then stops the thread.
  ~WriteBehind();
  WriteBehind(const WriteBehind&) = delete;
  WriteBehind& operator=(const WriteBehind&) = delete;

  // Queues `data` to be appended. Returns the error of an earlier append
  // instead, if one failed (then nothing more is queued).
  Status Append(std::string data);

  // Waits until everything queued is appended; the first error, if any.
  Status Drain();

 private:
  void Run();

  Writer& writer_;
  std::mutex mu_;
  std::condition_variable changed_;
  std::deque<std::string> queue_;  // guarded by mu_
  size_t queued_bytes_ = 0;        // guarded by mu_
  bool busy_ = false;              // guarded by mu_: an append is running
  bool stop_ = false;              // guarded by mu_
  Status error_;                   // guarded by mu_
  std::thread thread_;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_WRITE_BEHIND_H_
