// Helpers for the server's tests (see server_test_util.h).

#include "server_test_util.h"

#include <stdlib.h>

#include <cstring>
#include <filesystem>
#include <random>

#include "contentstore/digest.h"

namespace contentstore::server::testing {

TempDir::TempDir() {
  char name[] = "/tmp/cs-server-XXXXXX";
  if (::mkdtemp(name) == nullptr) ADD_FAILURE() << "mkdtemp: " << std::strerror(errno);
  path_ = name;
}

TempDir::~TempDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::string MakeContent(size_t size, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::string out(size, '\0');
  for (size_t i = 0; i < size; i += 8) {
    const uint64_t word = rng();
    std::memcpy(out.data() + i, &word, std::min<size_t>(8, size - i));
  }
  return out;
}

std::string Sha256(std::string_view bytes) {
  Digester digester;
  digester.update(bytes);
  return digester.digest().str();
}

std::shared_ptr<grpc::Channel> Connect(const std::string& socket) {
  grpc::ChannelArguments args;
  args.SetMaxReceiveMessageSize(16 << 20);
  args.SetMaxSendMessageSize(16 << 20);
  // A channel per call site, so tests that want separate connections get
  // them (gRPC would otherwise share one subchannel between them).
  args.SetInt(GRPC_ARG_USE_LOCAL_SUBCHANNEL_POOL, 1);
  return grpc::CreateCustomChannel("unix:" + socket, grpc::InsecureChannelCredentials(), args);
}

std::unique_ptr<Stub> NewStub(const std::string& socket) {
  return api::Content::NewStub(Connect(socket));
}

std::unique_ptr<grpc::ClientContext> Context(std::chrono::milliseconds limit) {
  auto context = std::make_unique<grpc::ClientContext>();
  context->set_deadline(std::chrono::system_clock::now() + limit);
  return context;
}

TestServer::TestServer(ServeOptions options, Options store_options) : options_(std::move(options)) {
  root_ = dir_ / "root";
  socket_ = dir_ / "s.sock";
  options_.address = socket_;
  Start(std::move(store_options));
}

void TestServer::Start(Options store_options) {
  auto store = Store::Open(root_, store_options);
  if (!store.ok()) {
    ADD_FAILURE() << store.status().ToString();
    return;
  }
  store_ = std::move(*store);
  auto server = Server::Start(*store_, options_);
  if (!server.ok()) {
    ADD_FAILURE() << server.status().ToString();
    return;
  }
  server_ = std::move(*server);
}

void TestServer::Reopen(Options store_options) {
  server_.reset();  // stops it and removes the socket
  store_.reset();
  Start(std::move(store_options));
}

TestServer::~TestServer() { server_.reset(); }

void TestServer::Stop() {
  if (!server_) return;
  server_->Stop();
  server_->Wait();
}

api::WriteContentRequest Stat(std::string ref, int64_t total, std::string expected) {
  api::WriteContentRequest request;
  request.set_action(api::STAT);
  request.set_ref(std::move(ref));
  request.set_total(total);
  request.set_expected(std::move(expected));
  return request;
}

api::WriteContentRequest WriteAt(int64_t offset, std::string data, std::string ref) {
  api::WriteContentRequest request;
  request.set_action(api::WRITE);
  request.set_ref(std::move(ref));
  request.set_offset(offset);
  request.set_data(std::move(data));
  return request;
}

api::WriteContentRequest CommitAt(int64_t offset, int64_t total, std::string expected,
                                  std::map<std::string, std::string> labels) {
  api::WriteContentRequest request;
  request.set_action(api::COMMIT);
  request.set_offset(offset);
  request.set_total(total);
  request.set_expected(std::move(expected));
  for (auto& [key, value] : labels) (*request.mutable_labels())[key] = value;
  return request;
}

WriteCall::WriteCall(Stub& stub, std::unique_ptr<grpc::ClientContext> call_context)
    : context(std::move(call_context)), stream(stub.Write(context.get())) {}

bool WriteCall::Send(const api::WriteContentRequest& request) {
  return stream->Write(request) && stream->Read(&response);
}

grpc::Status WriteCall::Finish() {
  stream->WritesDone();
  api::WriteContentResponse ignored;
  while (stream->Read(&ignored)) {
  }
  return stream->Finish();
}

grpc::Status Upload(Stub& stub, const std::string& ref, std::string_view data,
                    std::map<std::string, std::string> labels, size_t chunk,
                    std::unique_ptr<grpc::ClientContext> context) {
  WriteCall call(stub, context ? std::move(context) : Context());
  const std::string digest = Sha256(data);
  if (!call.Send(Stat(ref, static_cast<int64_t>(data.size()), digest))) return call.Finish();
  int64_t offset = call.response.offset();
  while (offset < static_cast<int64_t>(data.size())) {
    const size_t n = std::min(chunk, data.size() - static_cast<size_t>(offset));
    if (!call.Send(WriteAt(offset, std::string(data.substr(offset, n))))) return call.Finish();
    offset = call.response.offset();
  }
  call.Send(CommitAt(offset, static_cast<int64_t>(data.size()), digest, labels));
  return call.Finish();
}

namespace {

// A unary call with a fresh Context(); the response is dropped unless
// `response` is given.
template <typename Request, typename Response>
grpc::Status Call(Stub& stub,
                  grpc::Status (Stub::*method)(grpc::ClientContext*, const Request&, Response*),
                  const Request& request, Response* response = nullptr) {
  Response ignored;
  return (stub.*method)(Context().get(), request, response != nullptr ? response : &ignored);
}

}  // namespace

grpc::Status GetInfo(Stub& stub, const std::string& digest, api::Info* info) {
  api::InfoRequest request;
  request.set_digest(digest);
  api::InfoResponse response;
  grpc::Status s = Call(stub, &Stub::Info, request, &response);
  if (info != nullptr) *info = response.info();
  return s;
}

grpc::Status UpdateLabels(Stub& stub, const std::string& digest,
                          const std::map<std::string, std::string>& labels,
                          const std::vector<std::string>& paths, api::Info* info) {
  api::UpdateRequest request;
  request.mutable_info()->set_digest(digest);
  request.mutable_info()->mutable_labels()->insert(labels.begin(), labels.end());
  for (const auto& path : paths) request.mutable_update_mask()->add_paths(path);
  api::UpdateResponse response;
  grpc::Status s = Call(stub, &Stub::Update, request, &response);
  if (info != nullptr) *info = response.info();
  return s;
}

grpc::Status DeleteBlob(Stub& stub, const std::string& digest) {
  api::DeleteContentRequest request;
  request.set_digest(digest);
  return Call(stub, &Stub::Delete, request);
}

grpc::Status GetStatus(Stub& stub, const std::string& ref, api::Status* status) {
  api::StatusRequest request;
  request.set_ref(ref);
  api::StatusResponse response;
  grpc::Status s = Call(stub, &Stub::Status, request, &response);
  if (status != nullptr) *status = response.status();
  return s;
}

grpc::Status AbortIngest(Stub& stub, const std::string& ref) {
  api::AbortRequest request;
  request.set_ref(ref);
  return Call(stub, &Stub::Abort, request);
}

grpc::Status ListIngests(Stub& stub, const std::vector<std::string>& filters,
                         std::vector<api::Status>* statuses) {
  api::ListStatusesRequest request;
  for (const auto& filter : filters) request.add_filters(filter);
  api::ListStatusesResponse response;
  grpc::Status s = Call(stub, &Stub::ListStatuses, request, &response);
  if (statuses != nullptr) statuses->assign(response.statuses().begin(), response.statuses().end());
  return s;
}

grpc::Status ListBlobs(Stub& stub, const std::vector<std::string>& filters,
                       std::vector<api::Info>* infos, int* messages) {
  auto context = Context();
  api::ListContentRequest request;
  for (const auto& filter : filters) request.add_filters(filter);
  auto reader = stub.List(context.get(), request);
  api::ListContentResponse response;
  if (infos != nullptr) infos->clear();
  if (messages != nullptr) *messages = 0;
  while (reader->Read(&response)) {
    if (infos != nullptr) infos->insert(infos->end(), response.info().begin(), response.info().end());
    if (messages != nullptr) ++*messages;
  }
  return reader->Finish();
}

grpc::Status ReadBlob(Stub& stub, const std::string& digest, std::string* out, int64_t offset,
                      int64_t size) {
  out->clear();
  auto context = Context();
  api::ReadContentRequest request;
  request.set_digest(digest);
  request.set_offset(offset);
  request.set_size(size);
  auto reader = stub.Read(context.get(), request);
  api::ReadContentResponse response;
  const int64_t start = std::max<int64_t>(offset, 0);  // containerd: below 0 reads from 0
  while (reader->Read(&response)) {
    if (response.offset() != start + static_cast<int64_t>(out->size())) {
      return grpc::Status(grpc::StatusCode::INTERNAL, "Read answered an unexpected offset");
    }
    out->append(response.data());
  }
  grpc::Status status = reader->Finish();
  if (!status.ok()) out->clear();
  return status;
}

std::string Describe(const grpc::Status& status) {
  return std::to_string(static_cast<int>(status.error_code())) + " " + status.error_message();
}

}  // namespace contentstore::server::testing
