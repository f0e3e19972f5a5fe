// What a call's metadata headers ask of the server: containerd's namespace
// and lease headers, and the lease a call writes under.
//
//  - "containerd-namespace" is accepted and otherwise ignored: a store is one
//    namespace. (containerd's daemon sends none to a proxy plugin; ctr
//    talking to the server directly sends "default".)
//  - "containerd-lease" names a lease that is to hold what the call writes:
//    a Write stream's ingest and, once committed, its blob. A lease that does
//    not exist yet is created, with containerd's client default expiry of 24
//    hours (label containerd.io/gc.expire), so that a header alone never
//    pins content forever.
//
// Thread-safety: ReadCallMetadata reads a ServerContext the calling handler
// owns; EnsureLease may run on many threads (the Store is thread-safe).

#ifndef CONTENTSTORE_SERVER_CALL_METADATA_H_
#define CONTENTSTORE_SERVER_CALL_METADATA_H_

#include <grpcpp/server_context.h>

#include <chrono>
#include <optional>
#include <string>

#include "contentstore/status.h"
#include "contentstore/store.h"

namespace contentstore::server {

inline constexpr char kNamespaceHeader[] = "containerd-namespace";
inline constexpr char kLeaseHeader[] = "containerd-lease";

// The expiry given to a lease created because a call named it.
inline constexpr std::chrono::hours kCreatedLeaseExpiry{24};

struct CallMetadata {
  std::optional<std::string> ns;
  std::optional<std::string> lease;
};

CallMetadata ReadCallMetadata(const grpc::ServerContext& context);

// OK when lease `id` exists afterwards: found, created here, or created by a
// concurrent call. InvalidArgument for an id the store refuses.
Status EnsureLease(Store& store, const std::string& id);

}  // namespace contentstore::server

#endif  // CONTENTSTORE_SERVER_CALL_METADATA_H_
