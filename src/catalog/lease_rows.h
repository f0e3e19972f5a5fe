// LeaseRows: leases, their labels and what they hold (tables leases,
// lease_labels, lease_resources), one function per named query in
// queries/*/leases.sql. The resource types' names in the catalog, 'content'
// and 'ingest', are spelled here and nowhere else in C++.
//
// Thread-safety: a view over one Transaction; use it inside that
// transaction's Read or Write body only.

#ifndef CONTENTSTORE_SRC_CATALOG_LEASE_ROWS_H_
#define CONTENTSTORE_SRC_CATALOG_LEASE_ROWS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/filtered_query.h"
#include "contentstore/lease.h"
#include "contentstore/status.h"
#include "filter/filter_sql.h"

namespace contentstore::catalog {

// NotFound naming the lease.
Status NoSuchLease(std::string_view id);

class LeaseRows {
 public:
  explicit LeaseRows(Transaction& tx) : tx_(tx) {}

  // What list filters may name: id, labels.<key>.
  static const filter::FieldSchema& FilterFields();

  // The lease row with its labels (an expiry label included).
  void Insert(const Lease& lease);
  bool Exists(const std::string& id);
  // OK if the lease exists, else NoSuchLease.
  Status Require(const std::string& id);
  std::optional<Lease> Find(const std::string& id);
  Result<std::vector<Lease>> List(const FilteredQuery& filter);
  // Its labels and resources go with it. False when there was none.
  bool Delete(const std::string& id);

  // Holding what is already held changes nothing.
  void Hold(const std::string& lease, const LeaseResource& resource);
  void Release(const std::string& lease, const LeaseResource& resource);
  std::vector<LeaseResource> Resources(const std::string& lease);
  // Leases that held the ingest `ref` now hold the blob `digest` instead
  // (at commit, or when the commit found the blob already there).
  void MoveIngestToBlob(const std::string& ref, std::string_view digest);
  // The ingest `ref` is gone: no lease holds it any more.
  void DropIngest(const std::string& ref);

  // Ids of leases expired at `now`, sorted; then their removal.
  std::vector<std::string> ExpiredIds(int64_t now);
  void DeleteExpired(int64_t now);

 private:
  Transaction& tx_;
};

}  // namespace contentstore::catalog

#endif  // CONTENTSTORE_SRC_CATALOG_LEASE_ROWS_H_
