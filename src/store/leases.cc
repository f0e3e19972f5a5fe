#include "store/leases.h"

#include <limits>

#include <fmt/format.h>

#include "catalog/filtered_query.h"
#include "catalog/lease_rows.h"
#include "contentstore/validate.h"
#include "env/random.h"
#include "util/text.h"
#include "util/timestamp.h"

namespace contentstore {
namespace {

Status ValidateResource(const LeaseResource& resource) {
  if (resource.type == LeaseResource::Type::kContent) {
    return Digest::Parse(resource.id).status();
  }
  return ValidateRef(resource.id);
}

// The lease Create makes: id, labels, and the expiry its label says.
Result<Lease> NewLease(const LeaseOptions& options, int64_t now) {
  Lease lease;
  // "<unix nanoseconds>-<8 random hex digits>", unique enough and sortable
  // by creation, like containerd's WithRandomID.
  lease.id = options.id ? *options.id : fmt::format("{}-{}", now, RandomHex(4));
  if (Status s = ValidateLeaseId(lease.id); !s.ok()) return s;
  if (Status s = ValidateLabels(options.labels); !s.ok()) return s;
  lease.created_at = FromNanos(now);
  for (const auto& [key, value] : options.labels) {
    if (!value.empty()) lease.labels[key] = value;
  }
  if (options.expire) {
    if (options.expire->count() < 0) {
      return Status::InvalidArgument("lease expiry must not be negative");
    }
    if (options.expire->count() > std::numeric_limits<int64_t>::max() - now) {
      return Status::InvalidArgument("lease expiry is too far in the future");
    }
    // containerd's WithExpiration writes second precision; we keep nanoseconds.
    lease.labels[kLeaseExpireLabel] = FormatRfc3339(now + options.expire->count());
  }
  if (auto it = lease.labels.find(kLeaseExpireLabel); it != lease.labels.end()) {
    auto expires = ParseRfc3339(it->second);
    if (!expires) {
      return Status::InvalidArgument(fmt::format("lease label {}=\"{}\" is not an RFC 3339 time",
                                                 kLeaseExpireLabel, Printable(it->second)));
    }
    lease.expires_at = FromNanos(*expires);
  }
  return lease;
}

}  // namespace

Result<Lease> Leases::Create(const LeaseOptions& options) {
  auto lease = NewLease(options, env_.NowNanos());
  if (!lease.ok()) return lease.status();
  Status s = catalog_.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    catalog::LeaseRows rows(tx);
    if (rows.Exists(lease->id)) {
      return Status::AlreadyExists(
          fmt::format("lease \"{}\" already exists", Printable(lease->id)));
    }
    rows.Insert(*lease);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return lease;
}

Result<Lease> Leases::Get(std::string_view id_view) {
  const std::string id(id_view);
  if (Status s = ValidateLeaseId(id); !s.ok()) return s;
  std::optional<Lease> lease;
  Status s = catalog_.Read([&](catalog::Transaction& tx) {
    lease = catalog::LeaseRows(tx).Find(id);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (!lease) return catalog::NoSuchLease(id);
  return std::move(*lease);
}

Result<std::vector<Lease>> Leases::List(const std::vector<std::string>& filters) {
  auto filter = catalog::FilteredQuery::Parse(filters, catalog::LeaseRows::FilterFields());
  if (!filter.ok()) return filter.status();
  std::vector<Lease> out;
  Status s = catalog_.Read([&](catalog::Transaction& tx) -> Status {
    auto listed = catalog::LeaseRows(tx).List(*filter);
    if (!listed.ok()) return listed.status();
    out = std::move(*listed);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status Leases::Delete(std::string_view id_view) {
  const std::string id(id_view);
  if (Status s = ValidateLeaseId(id); !s.ok()) return s;
  // A writer opened under this lease is not disturbed: its commit moves the
  // lease's ingest entry to content with an INSERT ... SELECT that simply
  // finds nothing once the lease is gone (moby#53335 shows containerd's
  // commit failing here instead).
  return catalog_.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    return catalog::LeaseRows(tx).Delete(id) ? Status::OK() : catalog::NoSuchLease(id);
  });
}

Status Leases::Hold(std::string_view lease, const LeaseResource& resource) {
  return ChangeResource(lease, resource, &catalog::LeaseRows::Hold);
}

Status Leases::Release(std::string_view lease, const LeaseResource& resource) {
  return ChangeResource(lease, resource, &catalog::LeaseRows::Release);
}

Status Leases::ChangeResource(std::string_view lease_view, const LeaseResource& resource,
                              void (catalog::LeaseRows::*change)(const std::string&,
                                                                 const LeaseResource&)) {
  const std::string lease(lease_view);
  if (Status s = ValidateLeaseId(lease); !s.ok()) return s;
  if (Status s = ValidateResource(resource); !s.ok()) return s;
  return catalog_.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    catalog::LeaseRows rows(tx);
    if (Status r = rows.Require(lease); !r.ok()) return r;
    (rows.*change)(lease, resource);
    return Status::OK();
  });
}

Result<std::vector<LeaseResource>> Leases::Resources(std::string_view lease_view) {
  const std::string lease(lease_view);
  if (Status s = ValidateLeaseId(lease); !s.ok()) return s;
  std::vector<LeaseResource> out;
  Status s = catalog_.Read([&](catalog::Transaction& tx) -> Status {
    catalog::LeaseRows rows(tx);
    if (Status r = rows.Require(lease); !r.ok()) return r;
    out = rows.Resources(lease);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace contentstore
