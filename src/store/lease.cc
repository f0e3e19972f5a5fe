// Leases (Store::create_lease and friends): rows in leases, lease_labels and
// lease_resources. A lease's expiry is parsed from its
// containerd.io/gc.expire label when the lease is created, so the collector
// and outside tools compare integers (containerd parses it at every GC and
// treats a bad value as "never", silently; here a bad value is refused).

#include <limits>

#include <fmt/format.h>

#include "util/clock.h"
#include "embedded_sql.h"
#include "filter/filtered_query.h"
#include "catalog/lease_rows.h"
#include "store/store_impl.h"
#include "util/text.h"
#include "contentstore/validate.h"

namespace contentstore {
namespace {

std::string_view TypeName(LeaseResource::Type type) {
  return type == LeaseResource::Type::kContent ? "content" : "ingest";
}

// "<unix nanoseconds>-<8 random hex digits>", unique enough and
// sortable by creation, like containerd's WithRandomID.
std::string RandomLeaseId() { return fmt::format("{}-{}", NowNanos(), posix::RandomHex(4)); }

Status ValidateResource(const LeaseResource& resource) {
  if (resource.type == LeaseResource::Type::kContent) {
    return Digest::Parse(resource.id).status();
  }
  return ValidateRef(resource.id);
}

}  // namespace

Status NoSuchLease(std::string_view id) {
  return Status::NotFound(fmt::format("lease \"{}\" not found", Printable(id)));
}

bool LeaseExists(Session& session, const std::string& id) {
  auto q = session.Prepare(sql::q::lease_exists);
  q->bindNoCopy(1, id);
  return q->executeStep();
}

Status RequireLease(Session& session, const std::string& id) {
  return LeaseExists(session, id) ? Status::OK() : NoSuchLease(id);
}

Result<Lease> StoreImpl::create_lease(const LeaseOptions& options) {
  Lease lease;
  lease.id = options.id ? *options.id : RandomLeaseId();
  if (Status s = ValidateLeaseId(lease.id); !s.ok()) return s;
  if (Status s = ValidateLabels(options.labels); !s.ok()) return s;
  const int64_t now = NowNanos();
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
  Status s = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    if (LeaseExists(session, lease.id)) {
      return Status::AlreadyExists(fmt::format("lease \"{}\" already exists", Printable(lease.id)));
    }
    auto q = session.Prepare(sql::q::lease_insert);
    q->bindNoCopy(1, lease.id);
    q->bind(2, now);
    if (lease.expires_at) q->bind(3, ToNanos(*lease.expires_at));
    q->exec();
    for (const auto& [key, value] : lease.labels) {
      auto l = session.Prepare(sql::q::lease_label_insert);
      l->bindNoCopy(1, lease.id);
      l->bindNoCopy(2, key);
      l->bindNoCopy(3, value);
      l->exec();
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return lease;
}

namespace {

// Rows of lease_get / lease_list (one per label) into leases, in order.
void ReadLeases(SQLite::Statement& q, std::vector<Lease>& out) {
  while (q.executeStep()) {
    std::string id = q.getColumn(0).getString();
    if (out.empty() || out.back().id != id) {
      Lease lease;
      lease.id = std::move(id);
      lease.created_at = FromNanos(q.getColumn(1).getInt64());
      if (!q.isColumnNull(2)) lease.expires_at = FromNanos(q.getColumn(2).getInt64());
      out.push_back(std::move(lease));
    }
    if (!q.isColumnNull(3)) {
      out.back().labels.emplace(q.getColumn(3).getString(), q.getColumn(4).getString());
    }
  }
}

}  // namespace

Result<Lease> StoreImpl::get_lease(std::string_view id_view) {
  const std::string id(id_view);
  if (Status s = ValidateLeaseId(id); !s.ok()) return s;
  std::vector<Lease> out;
  Status s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::lease_get);
    q->bindNoCopy(1, id);
    ReadLeases(*q, out);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (out.empty()) return NoSuchLease(id);
  return std::move(out.front());
}

Result<std::vector<Lease>> StoreImpl::list_leases(const std::vector<std::string>& filters) {
  auto query = FilteredQuery::Make(sql::q::lease_list, filters, LeaseFilterFields(), 0);
  if (!query.ok()) return query.status();
  std::vector<Lease> out;
  Status s = catalog_->Read([&](Session& session) -> Status {
    auto q = session.Prepare(query->sql());
    query->Bind(*q);
    ReadLeases(*q, out);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status StoreImpl::delete_lease(std::string_view id_view, const DeleteLeaseOptions& options) {
  const std::string id(id_view);
  if (Status s = ValidateLeaseId(id); !s.ok()) return s;
  // A writer opened under this lease is not disturbed: its commit moves the
  // lease's ingest entry to content with an INSERT ... SELECT that simply
  // finds nothing once the lease is gone (moby#53335 shows containerd's
  // commit failing here instead).
  Status s = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    auto q = session.Prepare(sql::q::lease_delete);
    q->bindNoCopy(1, id);
    q->exec();
    return session.Changes() == 0 ? NoSuchLease(id) : Status::OK();
  });
  if (!s.ok() || !options.sync) return s;
  return collect_garbage(GcOptions{}).status();
}

Status StoreImpl::add_lease_resource(std::string_view lease_view, const LeaseResource& resource) {
  const std::string lease(lease_view);
  if (Status s = ValidateLeaseId(lease); !s.ok()) return s;
  if (Status s = ValidateResource(resource); !s.ok()) return s;
  return catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    if (Status r = RequireLease(session, lease); !r.ok()) return r;
    auto q = session.Prepare(sql::q::lease_resource_add);
    q->bindNoCopy(1, lease);
    q->bind(2, std::string(TypeName(resource.type)));
    q->bindNoCopy(3, resource.id);
    q->exec();
    return Status::OK();
  });
}

Status StoreImpl::remove_lease_resource(std::string_view lease_view,
                                        const LeaseResource& resource) {
  const std::string lease(lease_view);
  if (Status s = ValidateLeaseId(lease); !s.ok()) return s;
  if (Status s = ValidateResource(resource); !s.ok()) return s;
  return catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    if (Status r = RequireLease(session, lease); !r.ok()) return r;
    auto q = session.Prepare(sql::q::lease_resource_remove);
    q->bindNoCopy(1, lease);
    q->bind(2, std::string(TypeName(resource.type)));
    q->bindNoCopy(3, resource.id);
    q->exec();
    return Status::OK();
  });
}

Result<std::vector<LeaseResource>> StoreImpl::lease_resources(std::string_view lease_view) {
  const std::string lease(lease_view);
  if (Status s = ValidateLeaseId(lease); !s.ok()) return s;
  std::vector<LeaseResource> out;
  Status s = catalog_->Read([&](Session& session) -> Status {
    if (Status r = RequireLease(session, lease); !r.ok()) return r;
    auto q = session.Prepare(sql::q::lease_resources_of);
    q->bindNoCopy(1, lease);
    while (q->executeStep()) {
      LeaseResource r;
      r.type = q->getColumn(0).getString() == "content" ? LeaseResource::Type::kContent
                                                       : LeaseResource::Type::kIngest;
      r.id = q->getColumn(1).getString();
      out.push_back(std::move(r));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

}  // namespace contentstore
