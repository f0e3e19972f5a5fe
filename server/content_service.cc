// The content service's methods (see content_service.h).

#include "content_service.h"

#include <fmt/format.h>

#include <algorithm>
#include <string>
#include <vector>

#include "call_metadata.h"
#include "convert.h"
#include "error_mapping.h"
#include "read_ahead.h"
#include "write_session.h"

namespace contentstore::server {
namespace {

// Inside ContentService, Status names the method.
using StoreStatus = contentstore::Status;

// Bytes of blob per Read message: containerd's server sends 1 MiB too, and
// it stays far below any client's receive limit (gRPC's default is 4 MiB).
constexpr int64_t kReadChunkBytes = 1 << 20;

// List sends a message once its batch holds this much. containerd's server
// sends 100 Infos a message; a batch by size makes fewer round trips for
// small Infos and stays far below any client's receive limit.
constexpr size_t kListBatchBytes = 256 << 10;

std::vector<std::string> Filters(const google::protobuf::RepeatedPtrField<std::string>& filters) {
  return std::vector<std::string>(filters.begin(), filters.end());
}

grpc::Status Stopping() { return grpc::Status(grpc::StatusCode::UNAVAILABLE, "the server is stopping"); }

grpc::Status ClientGone() { return grpc::Status(grpc::StatusCode::CANCELLED, "the client went away"); }

}  // namespace

ContentService::ContentService(Store& store, CallGate& gate, WriteStreams& streams,
                               ContentServiceOptions options)
    : store_(store), gate_(gate), streams_(streams), options_(options) {}

grpc::Status ContentService::Info(grpc::ServerContext*, const api::InfoRequest* request,
                                  api::InfoResponse* response) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  auto digest = Digest::Parse(request->digest());
  if (!digest.ok()) return ToGrpc(digest.status());
  auto info = store_.info(*digest);
  if (!info.ok()) return ToGrpc(info.status());
  ToProto(*info, response->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ContentService::Update(grpc::ServerContext*, const api::UpdateRequest* request,
                                    api::UpdateResponse* response) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  auto digest = Digest::Parse(request->info().digest());
  if (!digest.ok()) return ToGrpc(digest.status());
  contentstore::Info info;
  info.digest = *digest;
  for (const auto& [key, value] : request->info().labels()) info.labels.emplace(key, value);
  const auto& paths = request->update_mask().paths();
  auto updated = store_.update(info, std::vector<std::string>(paths.begin(), paths.end()));
  if (!updated.ok()) return ToGrpc(updated.status());
  ToProto(*updated, response->mutable_info());
  return grpc::Status::OK;
}

grpc::Status ContentService::List(grpc::ServerContext*, const api::ListContentRequest* request,
                                  grpc::ServerWriter<api::ListContentResponse>* writer) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  api::ListContentResponse batch;
  size_t batch_bytes = 0;
  bool gone = false;
  StoreStatus s = store_.walk(
      [&](const contentstore::Info& info) -> StoreStatus {
        api::Info* out = batch.add_info();
        ToProto(info, out);
        batch_bytes += out->ByteSizeLong();
        if (batch_bytes < kListBatchBytes) return StoreStatus::OK();
        if (!writer->Write(batch)) {
          gone = true;
          return StoreStatus::Internal("the client went away");
        }
        batch.Clear();
        batch_bytes = 0;
        return StoreStatus::OK();
      },
      Filters(request->filters()));
  if (gone) return ClientGone();
  if (!s.ok()) return ToGrpc(s);
  if (batch.info_size() > 0 && !writer->Write(batch)) return ClientGone();
  return grpc::Status::OK;
}

grpc::Status ContentService::Delete(grpc::ServerContext*, const api::DeleteContentRequest* request,
                                    google::protobuf::Empty*) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  auto digest = Digest::Parse(request->digest());
  if (!digest.ok()) return ToGrpc(digest.status());
  return ToGrpc(store_.remove(*digest));
}

grpc::Status ContentService::Read(grpc::ServerContext*, const api::ReadContentRequest* request,
                                  grpc::ServerWriter<api::ReadContentResponse>* writer) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  auto digest = Digest::Parse(request->digest());
  if (!digest.ok()) return ToGrpc(digest.status());
  auto reader = store_.reader(*digest);
  if (!reader.ok()) return ToGrpc(reader.status());
  const int64_t size = (*reader)->size();
  // containerd's rules: a negative offset reads from 0, one past the end is
  // OutOfRange, a size of 0 or less (or past the end) reads to the end.
  int64_t offset = std::max<int64_t>(request->offset(), 0);
  if (offset > size) {
    return OutOfRange(fmt::format("read at offset {} is past the end of blob {} ({} bytes)", offset,
                                  digest->str(), size));
  }
  const int64_t end =
      request->size() <= 0 || request->size() > size - offset ? size : offset + request->size();
  ReadAhead ahead(**reader, digest->str(), offset, end, kReadChunkBytes);
  api::ReadContentResponse response;
  for (;;) {
    auto chunk = ahead.Next();
    if (!chunk.ok()) return ToGrpc(chunk.status());
    if (chunk->empty()) break;
    const auto bytes = static_cast<int64_t>(chunk->size());
    response.set_offset(offset);
    response.mutable_data()->swap(*chunk);
    if (!writer->Write(response)) return ClientGone();
    ahead.Recycle(std::move(*response.mutable_data()));
    offset += bytes;
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Status(grpc::ServerContext*, const api::StatusRequest* request,
                                    api::StatusResponse* response) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  if (auto live = streams_.Published(request->ref())) {
    ToProto(*live, response->mutable_status());
    return grpc::Status::OK;
  }
  auto status = store_.get_ingest(request->ref());
  if (!status.ok()) return ToGrpc(status.status());
  ToProto(*status, response->mutable_status());
  return grpc::Status::OK;
}

grpc::Status ContentService::ListStatuses(grpc::ServerContext*,
                                          const api::ListStatusesRequest* request,
                                          api::ListStatusesResponse* response) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  auto statuses = store_.list_ingests(Filters(request->filters()));
  if (!statuses.ok()) return ToGrpc(statuses.status());
  // The catalog's offsets of ingests written here may lag; their streams'
  // own figures do not.
  const auto live = streams_.AllPublished();
  response->mutable_statuses()->Reserve(static_cast<int>(statuses->size()));
  for (const IngestStatus& status : *statuses) {
    auto it = live.empty() ? live.end() : live.find(status.ref);
    ToProto(it == live.end() ? status : it->second, response->add_statuses());
  }
  return grpc::Status::OK;
}

grpc::Status ContentService::Write(
    grpc::ServerContext* context,
    grpc::ServerReaderWriter<api::WriteContentResponse, api::WriteContentRequest>* stream) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  auto member = streams_.Join([context] { context->TryCancel(); });
  if (!member) return Stopping();
  WriteSessionOptions options;
  options.lease = ReadCallMetadata(*context).lease;
  options.lock_wait = options_.lock_wait;
  // Declared after `member`, so it closes its writer before the member
  // lets go of the ref, and both happen before the client sees the end.
  WriteSession session(store_, *member, options);
  api::WriteContentRequest request;
  api::WriteContentResponse response;
  for (;;) {
    if (!member->BeginWait()) return Stopping();
    const bool got = stream->Read(&request);
    member->EndWait();
    // Half-close or cancel without a commit: the ingest stays resumable.
    if (!got) return session.HalfClosed();
    response.Clear();
    WriteSession::Next next;
    if (grpc::Status s = session.Handle(&request, &response, &next); !s.ok()) return s;
    if (!stream->Write(response)) return ClientGone();
    if (next == WriteSession::Next::kDone) return grpc::Status::OK;
  }
}

grpc::Status ContentService::Abort(grpc::ServerContext*, const api::AbortRequest* request,
                                   google::protobuf::Empty*) {
  CallGate::Pass pass(gate_);
  if (!pass) return Stopping();
  // A write stream that the client just closed may still be closing here.
  streams_.WaitUntilFree(request->ref(),
                         WriteStreams::Clock::now() + options_.lock_wait);
  return ToGrpc(store_.abort(request->ref()));
}

}  // namespace contentstore::server
