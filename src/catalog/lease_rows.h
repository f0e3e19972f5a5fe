// Lease lookups shared by the lease API, writers and put_blobs, which all
// refuse to work under a lease that does not exist.

#ifndef CONTENTSTORE_SRC_LEASE_ROWS_H_
#define CONTENTSTORE_SRC_LEASE_ROWS_H_

#include <string>
#include <string_view>

#include "catalog/catalog.h"
#include "contentstore/status.h"

namespace contentstore {

// NotFound naming the lease.
Status NoSuchLease(std::string_view id);

bool LeaseExists(Session& session, const std::string& id);

// OK if the lease exists, else NoSuchLease.
Status RequireLease(Session& session, const std::string& id);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_LEASE_ROWS_H_
