// Starting and stopping the content server (see server.h).

#include "server.h"

#include <fmt/format.h>
#include <grpcpp/resource_quota.h>
#include <grpcpp/security/server_credentials.h>
#include <grpcpp/server_builder.h>
#include <sys/stat.h>

namespace contentstore::server {

Server::Server(Store& store, const ServeOptions& options, std::unique_ptr<SocketClaim> claim)
    : options_(options),
      claim_(std::move(claim)),
      service_(store, gate_, streams_, ContentServiceOptions{options.lock_wait}) {}

Result<std::unique_ptr<Server>> Server::Start(Store& store, const ServeOptions& options) {
  auto claim = SocketClaim::Claim(options.address);
  if (!claim.ok()) return claim.status();
  std::unique_ptr<Server> server(new Server(store, options, std::move(*claim)));

  grpc::ServerBuilder builder;
  builder.AddListeningPort(server->claim_->uri(), grpc::InsecureServerCredentials());
  builder.RegisterService(&server->service_);
  builder.SetMaxReceiveMessageSize(options.max_message_bytes);
  builder.SetMaxSendMessageSize(options.max_message_bytes);
  grpc::ResourceQuota quota("contentstore-serve");
  quota.SetMaxThreads(options.max_threads);
  builder.SetResourceQuota(quota);
  // The socket is created by the bind inside BuildAndStart: with this umask
  // it never exists with a wider mode than 0660, not even for a moment.
  // Nothing else of this process creates files while the server starts.
  const mode_t old_umask = ::umask(0117);
  server->grpc_ = builder.BuildAndStart();
  ::umask(old_umask);
  if (!server->grpc_) {
    return Status::IOError(fmt::format("cannot listen on {}", server->claim_->path()));
  }
  if (Status s = server->claim_->Bound(); !s.ok()) return s;
  return server;
}

Server::~Server() {
  Stop();
  Wait();
}

void Server::Stop() {
  std::lock_guard lock(stop_mu_);
  if (stopped_ || !grpc_) return;
  stopped_ = true;
  // Write streams first: once they are stopping, none starts waiting again.
  streams_.Stop();
  gate_.CloseAndDrain(std::chrono::steady_clock::now() + options_.stop_grace);
  // What is left after the grace is cancelled; connections close, idle or
  // not (see call_gate.h).
  grpc_->Shutdown(std::chrono::system_clock::now());
}

void Server::Wait() {
  if (grpc_) grpc_->Wait();
}

}  // namespace contentstore::server
