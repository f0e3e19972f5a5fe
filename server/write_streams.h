// WriteStreams: the Write streams this server is running, the refs they
// hold, what each one's writer last reported, and stopping them.
//
// Why the server keeps its own table on top of the store's ref locks:
//  1. containerd's client ends a write stream with CloseSend and at once
//     opens the next one on the same ref, without waiting for the server to
//     finish the first. The new stream's first message can be handled
//     before the old stream's handler has closed its Writer. So a stream
//     that finds its ref held by another stream of this server waits for it
//     (until a deadline: containerd's local store retries its lock for about
//     a second before it answers Unavailable), woken the moment it is
//     released.
//  2. Status and ListStatuses answer a ref held here with the offset its
//     writer reports, which is exact; the store's own figure may lag a live
//     writer by its staging buffers.
//  3. Stopping the server: streams waiting for their client's next message
//     are cancelled at once; a stream busy with a message ends after it.
//     Either way its Writer is closed and the ingest stays resumable.
//
// Thread-safety: WriteStreams may be used from any thread. A Member belongs
// to its stream's handler thread; only its constructor's `cancel` callback
// is called from elsewhere (by Stop(), under the table's lock).

#ifndef CONTENTSTORE_SERVER_WRITE_STREAMS_H_
#define CONTENTSTORE_SERVER_WRITE_STREAMS_H_

#include <chrono>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <string_view>

#include "contentstore/status.h"
#include "contentstore/types.h"

namespace contentstore::server {

class WriteStreams {
 public:
  using Clock = std::chrono::steady_clock;

  // One Write stream's place in the table.
  class Member {
   public:
    Member(const Member&) = delete;
    Member& operator=(const Member&) = delete;
    // Release()s and leaves the table.
    ~Member();

    // Claims `ref` for this stream. If another stream of this server holds
    // it, waits until that one lets go or `deadline` passes (Unavailable).
    // Unavailable at once while the server is stopping.
    // REQUIRES: this member holds no ref yet.
    Status Hold(const std::string& ref, Clock::time_point deadline);

    // Lets go of the held ref, if any, waking streams waiting for it (the
    // writer must be closed by then).
    void Release();

    // Records the writer's current status (what Status and ListStatuses
    // report for the held ref). REQUIRES: a ref is held.
    void Publish(const IngestStatus& status);

    // Bracket the wait for the client's next message, during which Stop()
    // may cancel the stream. BeginWait() is false when the server is
    // stopping: the stream must end instead of waiting.
    bool BeginWait();
    void EndWait();

   private:
    friend class WriteStreams;
    Member(WriteStreams& table, std::function<void()> cancel)
        : table_(table), cancel_(std::move(cancel)) {}

    WriteStreams& table_;
    const std::function<void()> cancel_;
    // Guarded by table_.mu_.
    std::optional<std::string> ref_;
    Clock::time_point held_since_{};
    std::optional<IngestStatus> status_;
    bool waiting_for_client_ = false;
  };

  WriteStreams() = default;
  WriteStreams(const WriteStreams&) = delete;
  WriteStreams& operator=(const WriteStreams&) = delete;

  // Enters a new stream. `cancel` ends the stream's wait for its client (it
  // must be safe to call from another thread). nullptr once stopping.
  std::unique_ptr<Member> Join(std::function<void()> cancel);

  // The status last published for `ref`, if a stream here holds it.
  std::optional<IngestStatus> Published(std::string_view ref) const;

  // Every held ref's published status, by ref.
  std::map<std::string, IngestStatus, std::less<>> AllPublished() const;

  // Waits until no stream here holds `ref`; false if one still does at
  // `deadline`.
  bool WaitUntilFree(std::string_view ref, Clock::time_point deadline);

  // From now on Join() and Hold() refuse, and streams waiting for their
  // client are cancelled. Idempotent.
  void Stop();

  // Streams in the table.
  size_t size() const;

 private:
  mutable std::mutex mu_;
  std::condition_variable released_;
  bool stopping_ = false;
  std::set<Member*> members_;
  std::map<std::string, Member*, std::less<>> held_;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_WRITE_STREAMS_H_
