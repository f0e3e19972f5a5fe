#include "store/ingest_sweep.h"

#include <set>
#include <utility>
#include <string>
#include <vector>

#include "catalog/ingest_rows.h"
#include "files/ingest_uploads.h"

namespace contentstore {

Status SweepOrphanIngestDirs(IngestContext& ctx) {
  auto names = ctx.dirs.List();
  if (!names.ok()) return names.status();
  if (names->empty()) return Status::OK();
  std::set<std::string> known;
  Status s = ctx.catalog.Read([&](catalog::Transaction& tx) {
    for (const catalog::IngestPlace& p : catalog::IngestRows(tx).All()) known.insert(p.id);
    return Status::OK();
  });
  if (!s.ok()) return s;
  for (const std::string& id : *names) {
    if (known.count(id)) continue;
    // Gone or renamed meanwhile, not a directory (fsck reports it), or a
    // writer is at work.
    auto dir_fd = ctx.dirs.OpenLocked(id);
    if (!dir_fd.ok()) continue;
    bool claimed = false;  // a writer may have claimed it since the listing
    s = ctx.catalog.Read([&](catalog::Transaction& tx) {
      claimed = catalog::IngestRows(tx).IdExists(id);
      return Status::OK();
    });
    if (!s.ok()) return s;
    if (!claimed) (void)ctx.dirs.Remove(id, dir_fd->get());  // leftovers: fsck reports them
  }
  return Status::OK();
}

void DiscardIngestUpload(IngestContext& ctx, const std::string& id,
                         const std::optional<std::string>& upload_id) {
  IngestUploads* uploads = ctx.blobs.ingest_uploads();
  if (uploads != nullptr && upload_id) (void)uploads->Discard(id, *upload_id);
}

Result<std::vector<IngestUploads::StartedUpload>> UploadsNoIngestNames(IngestContext& ctx) {
  std::vector<IngestUploads::StartedUpload> out;
  IngestUploads* uploads = ctx.blobs.ingest_uploads();
  if (uploads == nullptr) return out;
  // Listed before the rows are read: an upload started after the listing is
  // not in it, and one named after the listing is in the rows.
  auto listed = uploads->ListUploads();
  if (!listed.ok()) return listed.status();
  std::set<std::pair<std::string, std::string>> named;
  Status s = ctx.catalog.Read([&](catalog::Transaction& tx) {
    for (const catalog::IngestPlace& p : catalog::IngestRows(tx).Uploads()) {
      named.insert({p.id, *p.upload_id});
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  for (IngestUploads::StartedUpload& u : *listed) {
    if (!named.count({u.id, u.upload_id})) out.push_back(std::move(u));
  }
  return out;
}

Result<int> SweepLeftoverUploads(IngestContext& ctx, int64_t cutoff) {
  auto leftovers = UploadsNoIngestNames(ctx);
  if (!leftovers.ok()) return leftovers.status();
  int removed = 0;
  for (const IngestUploads::StartedUpload& u : *leftovers) {
    if (u.started_ns >= cutoff) continue;
    if (Status d = ctx.blobs.ingest_uploads()->Discard(u.id, u.upload_id); !d.ok()) return d;
    ++removed;
  }
  return removed;
}

}  // namespace contentstore
