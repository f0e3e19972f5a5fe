// WriteSession: the state machine of one Write stream (containerd's
// bidirectional ingest protocol), apart from the gRPC stream that carries
// it, so that it can be driven and tested message by message.
//
// The protocol, as containerd 1.6's content server runs it
// (services/content/contentserver/contentserver.go) and its client
// (content/proxy/content_writer.go) expects it:
//  1. The first message names the ref (else InvalidArgument) and opens or
//     resumes its ingest, with the message's total (> 0) and expected digest
//     if given. The ref is held for the rest of the stream; if another
//     stream of this server holds it, the open waits for it up to the lock
//     wait, and a live writer in another process is retried for as long
//     (then Unavailable). An expected digest that is already committed ends
//     the stream with AlreadyExists.
//  2. Every message: a non-empty `expected` that differs from the digest
//     known so far is checked again (committed: the ingest is aborted and
//     the stream ends with AlreadyExists) and replaces it; a `total` > 0
//     replaces the known total. Both are what COMMIT checks.
//  3. STAT answers offset, total, times, and the digest of the bytes so far
//     (the empty input's digest when nothing is written, never "").
//  4. WRITE and COMMIT: an offset > 0 other than the current one is
//     OutOfRange; offset 0 on an ingest holding data truncates it first;
//     then the data is appended. The answer carries the new offset and
//     digest. Once a stream sends messages of kWriteBehindMinBytes or more,
//     its WRITEs at the current offset are answered as soon as their bytes
//     are queued for a thread of their own (write_behind.h), with the new
//     offset and no digest (containerd's contract leaves a WRITE's digest to
//     the implementation); every other message waits for the queue first.
//  5. COMMIT then commits with the known total and expected digest and the
//     message's labels, and ends the stream. Whatever the outcome, the
//     writer is closed (a failed commit leaves the ingest resumable, an
//     AlreadyExists one removes it, as the library does).
//  6. Ending the stream any other way (half-close, cancel, error) closes the
//     writer: the ingest stays resumable and the ref is free again before
//     the client sees the stream end.
//
// Thread-safety: one thread at a time (the stream's handler thread).

#ifndef CONTENTSTORE_SERVER_WRITE_SESSION_H_
#define CONTENTSTORE_SERVER_WRITE_SESSION_H_

#include <grpcpp/support/status.h>

#include <chrono>
#include <memory>
#include <optional>
#include <string>

#include "containerd/services/content/v1/content.pb.h"
#include "contentstore/digest.h"
#include "contentstore/store.h"
#include "contentstore/writer.h"
#include "write_behind.h"
#include "write_streams.h"

namespace contentstore::server {

namespace api = ::containerd::services::content::v1;

struct WriteSessionOptions {
  // From the containerd-lease header: the lease that holds the ingest and
  // the blob. Must exist (see EnsureLease).
  std::optional<std::string> lease;
  // How long opening waits for a ref held by another writer.
  std::chrono::milliseconds lock_wait{1000};
};

class WriteSession {
 public:
  enum class Next { kReadMore, kDone };

  // `member` is this stream's place in the server's table of write streams.
  WriteSession(Store& store, WriteStreams::Member& member, WriteSessionOptions options);
  ~WriteSession();
  WriteSession(const WriteSession&) = delete;
  WriteSession& operator=(const WriteSession&) = delete;

  // The smallest WRITE that starts writing behind (see above).
  static constexpr size_t kWriteBehindMinBytes = 64 << 10;

  // Handles one request (whose data it may take). On OK, `response` is the
  // answer to send and `next` says whether the stream goes on. An error
  // ends the stream (the writer is closed by then).
  grpc::Status Handle(api::WriteContentRequest* request, api::WriteContentResponse* response,
                      Next* next);

  // The client half-closed without committing: finishes the queued writes
  // and closes the writer (the ingest stays resumable). An append that
  // failed meanwhile is the stream's error.
  grpc::Status HalfClosed();

  // Finishes the queued writes and closes the writer if still open: the
  // ingest stays resumable. Called by the destructor too.
  void End();

 private:
  grpc::Status Open(const api::WriteContentRequest& first);
  Result<std::unique_ptr<Writer>> OpenWriter(const WriterOptions& options,
                                             WriteStreams::Clock::time_point deadline);
  grpc::Status TakeExpectations(const api::WriteContentRequest& request);
  bool CanWriteBehind(const api::WriteContentRequest& request) const;
  grpc::Status QueueWrite(api::WriteContentRequest* request, api::WriteContentResponse* response);
  grpc::Status WriteData(const api::WriteContentRequest& request, int64_t offset);
  grpc::Status Commit(const api::WriteContentRequest& request);
  void FillStatus(api::WriteContentResponse* response);
  grpc::Status Fail(const Status& status);

  Store& store_;
  WriteStreams::Member& member_;
  const WriteSessionOptions options_;
  std::string ref_;
  std::unique_ptr<Writer> writer_;
  std::unique_ptr<WriteBehind> behind_;  // once writing behind; uses *writer_
  // The writer's status as of the last message, with the offset counting
  // the bytes queued behind it: what the client was told.
  IngestStatus accepted_;
  std::optional<int64_t> total_;
  std::optional<Digest> expected_;
};

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_WRITE_SESSION_H_
