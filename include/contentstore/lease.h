// Leases: named holds on blobs and ingests, so that the garbage collector
// keeps content a client is still assembling (containerd's leases). A lease
// may expire: containerd's label "containerd.io/gc.expire" (RFC 3339) sets
// when; an expired lease holds nothing and the next collection deletes it.
//
// Thread-safety: plain values.

#ifndef CONTENTSTORE_LEASE_H_
#define CONTENTSTORE_LEASE_H_

#include <chrono>
#include <optional>
#include <string>

#include "contentstore/types.h"

namespace contentstore {

// The lease label that sets an expiry (RFC 3339).
inline constexpr char kLeaseExpireLabel[] = "containerd.io/gc.expire";

struct Lease {
  std::string id;
  Timestamp created_at{};
  std::optional<Timestamp> expires_at;  // from the containerd.io/gc.expire label
  Labels labels;
};

struct LeaseOptions {
  // Default: a random id like containerd's ("<unix nanoseconds>-<random>").
  // Ids are 1 to 256 bytes of UTF-8 without control characters.
  std::optional<std::string> id;
  // Sets the label containerd.io/gc.expire to now + expire.
  std::optional<std::chrono::nanoseconds> expire;
  // A containerd.io/gc.expire label here must be RFC 3339.
  Labels labels;
};

struct DeleteLeaseOptions {
  // Collect garbage (default GcOptions) before returning, so what only the
  // lease held is gone when delete_lease returns (containerd's
  // SynchronousDelete). Default: false.
  bool sync = false;
};

struct LeaseResource {
  enum class Type { kContent, kIngest };
  Type type = Type::kContent;
  std::string id;  // a digest for content, a ref for an ingest

  friend bool operator==(const LeaseResource&, const LeaseResource&) = default;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_LEASE_H_
