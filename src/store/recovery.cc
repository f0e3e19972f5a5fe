#include "store/recovery.h"

#include <fmt/format.h>

#include "catalog/blob_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "files/commit_marker.h"
#include "files/layout.h"
#include "util/text.h"

namespace contentstore {

Result<IngestRecovery> RecoverIngestDir(IngestContext& ctx, const std::string& ref,
                                        const std::string& id, int dir_fd) {
  const std::string dir = ctx.dirs.PathOf(id);
  auto marker = ReadCommitMarker(ctx.env, dir_fd, dir);
  if (!marker.ok()) return marker.status();
  if (!*marker) return IngestRecovery::kNothingToDo;

  auto clear_marker = [&]() -> Result<IngestRecovery> {
    if (Status s = ClearCommitMarker(ctx.env, dir_fd, dir); !s.ok()) return s;
    return IngestRecovery::kCleaned;
  };
  // Another ingest's (this directory served it before, as a spare): its
  // clearing was lost in a crash; nothing of this ingest's was published.
  const std::optional<std::string> target = CommitMarkerTarget(**marker, id);
  if (!target) return clear_marker();
  auto digest = Layout::ParseBlobRelativePath(*target);
  if (!digest.ok()) return clear_marker();  // not ours to interpret; the data decides
  const LocalFile data = ctx.dirs.DataFile(id, dir_fd);
  if (ctx.env.StatAt(dir_fd, data.name, data.path).ok()) {
    return clear_marker();  // the commit died before it published
  }

  // The data went to the blob tier and the catalog never heard of it.
  const std::string name = digest->str();
  IngestRecovery outcome = IngestRecovery::kNothingToDo;
  // In a write transaction, so that no commit of the same digest can insert
  // its row between our check and our move (commits re-check their file in
  // their own transaction and put it back if we took it).
  Status s = ctx.catalog.Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    if (catalog::BlobRows(tx).Exists(name)) {
      catalog::IngestRows(tx).Delete(ref);
      catalog::LeaseRows(tx).MoveIngestToBlob(ref, name);
      outcome = IngestRecovery::kRemoved;
      return Status::OK();
    }
    Status r = ctx.blobs.Withdraw(*digest, data);
    if (r.ok()) {
      outcome = IngestRecovery::kRolledBack;
      return Status::OK();
    }
    if (r.IsNotFound()) {
      outcome = IngestRecovery::kCleaned;  // nothing to put back; the ingest resumes empty
      return Status::OK();
    }
    return r;
  });
  if (!s.ok()) return s.WithContext(fmt::format("recovering ingest \"{}\"", Printable(ref)));

  if (outcome == IngestRecovery::kRemoved) {
    if (Status r = ctx.dirs.Remove(id, dir_fd); !r.ok()) return r;
    return outcome;
  }
  if (ctx.options.sync) {
    if (Status r = ctx.env.SyncDir(dir_fd, dir); !r.ok()) return r;
    if (Status r = ctx.blobs.SyncPublished(digest->algorithm()); !r.ok()) return r;
  }
  if (auto r = clear_marker(); !r.ok()) return r.status();
  return outcome;
}

Status RecoverLockedIngests(IngestContext& ctx) {
  std::vector<catalog::IngestPlace> locked;
  Status s = ctx.catalog.Read([&](catalog::Transaction& tx) {
    locked = catalog::IngestRows(tx).Locked();
    return Status::OK();
  });
  if (!s.ok()) return s;
  for (const catalog::IngestPlace& l : locked) {
    auto dir_fd = ctx.dirs.OpenLocked(l.id);
    if (!dir_fd.ok()) {
      // Absent: a writer resuming it recreates it. Unavailable: its writer
      // is alive.
      if (dir_fd.status().IsNotFound() || dir_fd.status().IsUnavailable()) continue;
      return dir_fd.status();
    }
    // With a shared catalog the holder may be a live writer on another node
    // (this node's directory of the same name is an older ingest's).
    auto node_lock = LockRefAcrossNodes(ctx, l.ref);
    if (!node_lock.ok()) {
      if (node_lock.status().IsUnavailable()) continue;
      return node_lock.status();
    }
    auto recovered = RecoverIngestDir(ctx, l.ref, l.id, dir_fd->get());
    if (!recovered.ok()) return recovered.status();
    if (*recovered == IngestRecovery::kRemoved) continue;
    // The holder is dead: say so in the catalog too.
    Status u = ctx.catalog.Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) {
      catalog::IngestRows(tx).Unlock(l.ref, l.lock_token);
      return Status::OK();
    });
    if (!u.ok()) return u;
  }
  return Status::OK();
}

}  // namespace contentstore
