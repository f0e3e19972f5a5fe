#include "store/ingest_sweep.h"

#include <set>
#include <string>
#include <vector>

#include "catalog/ingest_rows.h"

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
    auto dir_fd = ctx.dirs.OpenExisting(id);
    if (!dir_fd.ok()) continue;  // gone meanwhile, or not a directory: fsck reports it
    if (!ctx.dirs.TryLock(id, dir_fd->get()).ok()) continue;  // a writer is at work
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

}  // namespace contentstore
