// The benchmark's content API client (see serve_client.h).

#include "serve_client.h"

#include <fmt/format.h>


namespace contentstore::bench {
namespace {

using StoreStatus = contentstore::Status;

StoreStatus FromGrpc(const grpc::Status& s, std::string_view what) {
  if (s.ok()) return StoreStatus::OK();
  const Code code = s.error_code() == grpc::StatusCode::ALREADY_EXISTS ? Code::kAlreadyExists
                                                                         : Code::kInternal;
  return StoreStatus(code, fmt::format("{}: gRPC code {}: {}", what,
                                       static_cast<int>(s.error_code()), s.error_message()));
}

std::unique_ptr<grpc::ClientContext> NewContext() {
  auto context = std::make_unique<grpc::ClientContext>();
  context->AddMetadata("containerd-namespace", "default");
  return context;
}

}  // namespace

ServeClient::ServeClient(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);  // a connection of its own
  stub_ = api::Content::NewStub(
      grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args));
}

StoreStatus ServeClient::Upload(const std::string& ref, int64_t size, const std::string& digest,
                                const std::function<std::span<const std::byte>()>& next_chunk,
                                int window) {
  auto context = NewContext();
  auto stream = stub_->Write(context.get());
  auto finish = [&](std::string_view what) {
    stream->WritesDone();
    api::WriteContentResponse ignored;
    while (stream->Read(&ignored)) {
    }
    StoreStatus s = FromGrpc(stream->Finish(), what);
    return s.IsAlreadyExists() ? StoreStatus::OK() : s;
  };
  api::WriteContentRequest request;
  api::WriteContentResponse response;
  request.set_action(api::STAT);
  request.set_ref(ref);
  request.set_total(size);
  request.set_expected(digest);
  if (!stream->Write(request) || !stream->Read(&response)) return finish("stat");
  int64_t offset = response.offset();
  if (offset != 0) return StoreStatus::Internal(fmt::format("{}: resumed at {}", ref, offset));
  request.Clear();
  request.set_action(api::WRITE);
  int in_flight = 0;
  for (;;) {
    std::span<const std::byte> chunk = next_chunk();
    if (chunk.empty()) break;
    request.set_offset(offset);
    request.set_data(chunk.data(), chunk.size());
    if (!stream->Write(request)) return finish("write");
    offset += static_cast<int64_t>(chunk.size());
    if (++in_flight == window) {
      if (!stream->Read(&response)) return finish("write");
      --in_flight;
    }
  }
  for (; in_flight > 0; --in_flight) {
    if (!stream->Read(&response)) return finish("write");
  }
  request.Clear();
  request.set_action(api::COMMIT);
  request.set_offset(offset);
  request.set_total(size);
  request.set_expected(digest);
  if (!stream->Write(request) || !stream->Read(&response)) return finish("commit");
  if (response.digest() != digest) {
    return StoreStatus::Internal(fmt::format("{}: committed {}, not {}", ref, response.digest(), digest));
  }
  return finish("commit");
}

StoreStatus ServeClient::Upload(const std::string& ref, std::span<const std::byte> data,
                                const std::string& digest) {
  bool sent = false;
  return Upload(ref, static_cast<int64_t>(data.size()), digest, [&] {
    if (sent) return std::span<const std::byte>();
    sent = true;
    return data;
  });
}

StoreStatus ServeClient::StartIngest(const std::string& ref, std::span<const std::byte> data) {
  auto context = NewContext();
  auto stream = stub_->Write(context.get());
  api::WriteContentRequest request;
  api::WriteContentResponse response;
  request.set_action(api::STAT);
  request.set_ref(ref);
  bool ok = stream->Write(request) && stream->Read(&response);
  if (ok) {
    request.set_action(api::WRITE);
    request.set_offset(0);
    request.set_data(data.data(), data.size());
    ok = stream->Write(request) && stream->Read(&response);
  }
  stream->WritesDone();
  while (stream->Read(&response)) {
  }
  return FromGrpc(stream->Finish(), "start ingest");
}

Result<int64_t> ServeClient::Read(const std::string& digest) {
  auto context = NewContext();
  api::ReadContentRequest request;
  request.set_digest(digest);
  auto reader = stub_->Read(context.get(), request);
  api::ReadContentResponse response;
  int64_t bytes = 0;
  while (reader->Read(&response)) bytes += static_cast<int64_t>(response.data().size());
  if (StoreStatus s = FromGrpc(reader->Finish(), "read"); !s.ok()) return s;
  return bytes;
}

StoreStatus ServeClient::Info(const std::string& digest) {
  auto context = NewContext();
  api::InfoRequest request;
  request.set_digest(digest);
  api::InfoResponse response;
  return FromGrpc(stub_->Info(context.get(), request, &response), "info");
}

StoreStatus ServeClient::StatusOf(const std::string& ref) {
  auto context = NewContext();
  api::StatusRequest request;
  request.set_ref(ref);
  api::StatusResponse response;
  return FromGrpc(stub_->Status(context.get(), request, &response), "status");
}

StoreStatus ServeClient::SetLabel(const std::string& digest, const std::string& key,
                                  const std::string& value) {
  auto context = NewContext();
  api::UpdateRequest request;
  request.mutable_info()->set_digest(digest);
  (*request.mutable_info()->mutable_labels())[key] = value;
  request.mutable_update_mask()->add_paths("labels." + key);
  api::UpdateResponse response;
  return FromGrpc(stub_->Update(context.get(), request, &response), "update");
}

Result<int64_t> ServeClient::List(const std::vector<std::string>& filters) {
  auto context = NewContext();
  api::ListContentRequest request;
  for (const auto& f : filters) request.add_filters(f);
  auto reader = stub_->List(context.get(), request);
  api::ListContentResponse response;
  int64_t n = 0;
  while (reader->Read(&response)) n += response.info_size();
  if (StoreStatus s = FromGrpc(reader->Finish(), "list"); !s.ok()) return s;
  return n;
}

Result<int64_t> ServeClient::ListStatuses(const std::vector<std::string>& filters) {
  auto context = NewContext();
  api::ListStatusesRequest request;
  for (const auto& f : filters) request.add_filters(f);
  api::ListStatusesResponse response;
  if (StoreStatus s = FromGrpc(stub_->ListStatuses(context.get(), request, &response),
                               "list statuses");
      !s.ok()) {
    return s;
  }
  return static_cast<int64_t>(response.statuses_size());
}

}  // namespace contentstore::bench
