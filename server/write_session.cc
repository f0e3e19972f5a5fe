// The Write stream's state machine (see write_session.h for the protocol).

#include "write_session.h"

#include <fmt/format.h>

#include <algorithm>
#include <span>
#include <thread>

#include "call_metadata.h"
#include "contentstore/validate.h"
#include "convert.h"
#include "error_mapping.h"

namespace contentstore::server {
namespace {

std::span<const std::byte> Bytes(const std::string& data) {
  return std::as_bytes(std::span<const char>(data.data(), data.size()));
}

Result<std::optional<Digest>> ParseExpected(const std::string& text) {
  if (text.empty()) return std::optional<Digest>();
  auto digest = Digest::Parse(text);
  if (!digest.ok()) return digest.status();
  return std::optional<Digest>(std::move(*digest));
}

}  // namespace

WriteSession::WriteSession(Store& store, WriteStreams::Member& member, WriteSessionOptions options)
    : store_(store), member_(member), options_(std::move(options)) {}

WriteSession::~WriteSession() { End(); }

void WriteSession::End() {
  // The queued bytes were promised to the client: they go in first.
  behind_.reset();
  if (writer_) {
    // Nothing to tell the client any more: a failed close leaves the ingest
    // where its last checkpoint put it, which the next writer resumes.
    (void)writer_->close();
    writer_.reset();
  }
  member_.Release();
}

grpc::Status WriteSession::HalfClosed() {
  Status queued = behind_ ? behind_->Drain() : Status::OK();
  End();
  return ToGrpc(queued);
}

grpc::Status WriteSession::Fail(const Status& status) {
  End();
  return ToGrpc(status);
}

grpc::Status WriteSession::Handle(api::WriteContentRequest* mutable_request,
                                  api::WriteContentResponse* response, Next* next) {
  const api::WriteContentRequest& request = *mutable_request;
  if (!writer_) {
    if (grpc::Status s = Open(request); !s.ok()) return s;
  }
  if (grpc::Status s = TakeExpectations(request); !s.ok()) return s;
  if (CanWriteBehind(request)) {
    *next = Next::kReadMore;
    return QueueWrite(mutable_request, response);
  }
  if (behind_) {
    if (Status s = behind_->Drain(); !s.ok()) return Fail(s);
  }
  const int64_t offset = writer_->status().offset;
  switch (request.action()) {
    case api::STAT:
      break;
    case api::WRITE:
    case api::COMMIT:
      if (grpc::Status s = WriteData(request, offset); !s.ok()) return s;
      if (request.action() == api::COMMIT) {
        if (grpc::Status s = Commit(request); !s.ok()) return s;
      }
      break;
    default:
      return Fail(Status::InvalidArgument(
          fmt::format("unknown write action {}", static_cast<int>(request.action()))));
  }
  response->set_action(request.action());
  FillStatus(response);
  if (request.action() == api::COMMIT) {
    behind_.reset();
    writer_.reset();  // commit() closed it
    member_.Release();
    *next = Next::kDone;
  } else {
    *next = Next::kReadMore;
  }
  return grpc::Status::OK;
}

grpc::Status WriteSession::Open(const api::WriteContentRequest& first) {
  if (first.ref().empty()) {
    return Fail(Status::InvalidArgument("first message must have a reference"));
  }
  if (Status s = ValidateRef(first.ref()); !s.ok()) return Fail(s);
  ref_ = first.ref();
  WriterOptions options;
  options.ref = ref_;
  if (first.total() > 0) options.total = first.total();
  auto expected = ParseExpected(first.expected());
  if (!expected.ok()) return Fail(expected.status());
  options.expected = *expected;
  options.lease = options_.lease;
  if (options.lease) {
    if (Status s = EnsureLease(store_, *options.lease); !s.ok()) return Fail(s);
  }
  const auto deadline = WriteStreams::Clock::now() + options_.lock_wait;
  if (Status s = member_.Hold(ref_, deadline); !s.ok()) return Fail(s);
  auto writer = OpenWriter(options, deadline);
  if (!writer.ok()) return Fail(writer.status());
  writer_ = std::move(*writer);
  accepted_ = writer_->status();
  total_ = options.total;
  expected_ = options.expected;
  return grpc::Status::OK;
}

Result<std::unique_ptr<Writer>> WriteSession::OpenWriter(
    const WriterOptions& options, WriteStreams::Clock::time_point deadline) {
  // A writer in another process (or a store call that timed out on the
  // catalog) answers Unavailable at once; retry it until the deadline, with
  // growing pauses, as containerd's local store retries its lock.
  auto pause = std::chrono::milliseconds(2);
  for (;;) {
    auto writer = store_.writer(options);
    if (writer.ok() || !writer.status().IsUnavailable()) return writer;
    const auto now = WriteStreams::Clock::now();
    if (now >= deadline) return writer;
    std::this_thread::sleep_for(
        std::min<WriteStreams::Clock::duration>(pause, deadline - now));
    pause = std::min(pause * 2, std::chrono::milliseconds(128));
  }
}

grpc::Status WriteSession::TakeExpectations(const api::WriteContentRequest& request) {
  auto expected = ParseExpected(request.expected());
  if (!expected.ok()) return Fail(expected.status());
  if (*expected && *expected != expected_) {
    // Checked when it changes, as containerd checks it on every message: an
    // expected blob that exists already ends the upload.
    const Digest& digest = **expected;
    auto info = store_.info(digest);
    if (info.ok()) {
      End();
      if (Status s = store_.abort(ref_); !s.ok() && !s.IsNotFound()) return ToGrpc(s);
      if (options_.lease) {
        LeaseResource held{LeaseResource::Type::kContent, digest.str()};
        if (Status s = store_.add_lease_resource(*options_.lease, held); !s.ok()) {
          return ToGrpc(s);
        }
      }
      return ToGrpc(
          Status::AlreadyExists(fmt::format("blob with expected digest {} exists", digest.str())));
    }
    if (!info.status().IsNotFound()) return Fail(info.status());
    expected_ = digest;
  }
  if (request.total() > 0) total_ = request.total();
  return grpc::Status::OK;
}

bool WriteSession::CanWriteBehind(const api::WriteContentRequest& request) const {
  if (request.action() != api::WRITE || request.data().empty()) return false;
  if (!behind_ && request.data().size() < kWriteBehindMinBytes) return false;
  // At the current offset only: truncations and bad offsets take the
  // ordinary path, after the queue.
  return request.offset() > 0 ? request.offset() == accepted_.offset : accepted_.offset == 0;
}

grpc::Status WriteSession::QueueWrite(api::WriteContentRequest* request,
                                      api::WriteContentResponse* response) {
  if (!behind_) behind_ = std::make_unique<WriteBehind>(*writer_);
  const auto bytes = static_cast<int64_t>(request->data().size());
  if (Status s = behind_->Append(std::move(*request->mutable_data())); !s.ok()) return Fail(s);
  accepted_.offset += bytes;
  accepted_.updated_at =
      std::chrono::time_point_cast<std::chrono::nanoseconds>(std::chrono::system_clock::now());
  member_.Publish(accepted_);
  response->set_action(api::WRITE);
  response->set_offset(accepted_.offset);
  response->set_total(total_.value_or(accepted_.total.value_or(0)));
  ToProto(accepted_.started_at, response->mutable_started_at());
  ToProto(accepted_.updated_at, response->mutable_updated_at());
  return grpc::Status::OK;
}

grpc::Status WriteSession::WriteData(const api::WriteContentRequest& request, int64_t offset) {
  if (request.offset() < 0 || (request.offset() > 0 && request.offset() != offset)) {
    End();
    return OutOfRange(fmt::format("write at offset {} of ref \"{}\" must occur at its current offset {}",
                                  request.offset(), ref_, offset));
  }
  if (request.offset() == 0 && offset > 0) {
    if (Status s = writer_->truncate(0); !s.ok()) return Fail(s);
  }
  if (!request.data().empty()) {
    if (Status s = writer_->write(Bytes(request.data())); !s.ok()) return Fail(s);
  }
  return grpc::Status::OK;
}

grpc::Status WriteSession::Commit(const api::WriteContentRequest& request) {
  CommitOptions options;
  options.size = total_;
  options.expected = expected_;
  for (const auto& [key, value] : request.labels()) options.labels.emplace(key, value);
  Status s = writer_->commit(options);
  if (!s.ok()) return Fail(s);
  return grpc::Status::OK;
}

void WriteSession::FillStatus(api::WriteContentResponse* response) {
  const IngestStatus status = writer_->status();
  accepted_ = status;
  response->set_offset(status.offset);
  response->set_total(total_.value_or(status.total.value_or(0)));
  ToProto(status.started_at, response->mutable_started_at());
  ToProto(status.updated_at, response->mutable_updated_at());
  response->set_digest(writer_->digest().str());
  if (response->action() != api::COMMIT) member_.Publish(status);
}

}  // namespace contentstore::server
