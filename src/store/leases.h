// Leases (Store::create_lease and friends): named holds on blobs and
// ingests. A lease's expiry is parsed from its containerd.io/gc.expire label
// when the lease is created, so the collector and outside tools compare
// integers (containerd parses it at every GC and treats a bad value as
// "never", silently; here a bad value is refused).
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_STORE_LEASES_H_
#define CONTENTSTORE_SRC_STORE_LEASES_H_

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/lease_rows.h"
#include "contentstore/env.h"
#include "contentstore/lease.h"
#include "contentstore/status.h"

namespace contentstore {

class Leases {
 public:
  Leases(catalog::Catalog& catalog, Env& env) : catalog_(catalog), env_(env) {}

  Result<Lease> Create(const LeaseOptions& options);
  Result<Lease> Get(std::string_view id);
  Result<std::vector<Lease>> List(const std::vector<std::string>& filters);
  Status Delete(std::string_view id);
  Status Hold(std::string_view lease, const LeaseResource& resource);
  Status Release(std::string_view lease, const LeaseResource& resource);
  Result<std::vector<LeaseResource>> Resources(std::string_view lease);

 private:
  // Hold or Release, after the checks both need.
  Status ChangeResource(std::string_view lease, const LeaseResource& resource,
                        void (catalog::LeaseRows::*change)(const std::string&,
                                                           const LeaseResource&));

  catalog::Catalog& catalog_;
  Env& env_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_LEASES_H_
