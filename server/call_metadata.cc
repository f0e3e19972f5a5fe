// containerd's metadata headers (see call_metadata.h).

#include "call_metadata.h"

#include <string_view>

namespace contentstore::server {
namespace {

std::optional<std::string> Header(const grpc::ServerContext& context, std::string_view name) {
  const auto& metadata = context.client_metadata();
  auto it = metadata.find(grpc::string_ref(name.data(), name.size()));
  if (it == metadata.end()) return std::nullopt;
  return std::string(it->second.data(), it->second.size());
}

}  // namespace

CallMetadata ReadCallMetadata(const grpc::ServerContext& context) {
  CallMetadata metadata;
  metadata.ns = Header(context, kNamespaceHeader);
  metadata.lease = Header(context, kLeaseHeader);
  return metadata;
}

Status EnsureLease(Store& store, const std::string& id) {
  auto found = store.get_lease(id);
  if (found.ok()) return Status::OK();
  if (!found.status().IsNotFound()) return found.status();
  LeaseOptions options;
  options.id = id;
  options.expire = kCreatedLeaseExpiry;
  auto created = store.create_lease(options);
  if (created.ok() || created.status().IsAlreadyExists()) return Status::OK();
  return created.status();
}

}  // namespace contentstore::server
