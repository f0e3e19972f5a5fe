#include "store/recovery.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <vector>

#include "files/commit_marker.h"
#include "embedded_sql.h"
#include "catalog/ingest_row.h"
#include "files/layout.h"
#include "store/store_impl.h"
#include "util/text.h"

namespace contentstore {

Status RemoveIngestFiles(StoreImpl& store, const std::string& id, int dir_fd) {
  const std::string dir = store.layout().ingest_dir(id);
  for (const char* name : {Layout::kDataFile, Layout::kCommitMarker}) {
    Status s = posix::UnlinkAt(dir_fd, name, 0, dir + "/" + name);
    if (!s.ok() && !s.IsNotFound()) return s;
  }
  Status s = posix::UnlinkAt(store.ingest_root_fd(), id, AT_REMOVEDIR, dir);
  return s.IsNotFound() ? Status::OK() : s;
}

Result<IngestRecovery> RecoverIngestDir(StoreImpl& store, const std::string& ref,
                                        const std::string& id, int dir_fd) {
  const std::string dir = store.layout().ingest_dir(id);
  auto marker = ReadCommitMarker(dir_fd, dir);
  if (!marker.ok()) return marker.status();
  if (!*marker) return IngestRecovery::kNothingToDo;

  auto clear_marker = [&]() -> Result<IngestRecovery> {
    if (Status s = ClearCommitMarker(dir_fd, dir); !s.ok()) return s;
    return IngestRecovery::kCleaned;
  };
  auto digest = Layout::ParseBlobRelativePath(**marker);
  if (!digest.ok()) return clear_marker();  // not ours to interpret; the data decides
  const std::string data_path = dir + "/" + Layout::kDataFile;
  if (posix::StatAt(dir_fd, Layout::kDataFile, data_path).ok()) {
    return clear_marker();  // the commit died before its rename
  }

  // The data went to blobs/ and the catalog never heard of it.
  auto blob_dir = store.blob_dir_fd(digest->algorithm());
  if (!blob_dir.ok()) return blob_dir.status();
  const std::string blob_path = store.layout().blob_path(*digest);
  const std::string name = digest->str();
  IngestRecovery outcome = IngestRecovery::kNothingToDo;
  // In a write transaction, so that no commit of the same digest can insert
  // its row between our check and our rename (commits re-check their file in
  // their own transaction and put it back if we took it).
  Status s = store.catalog().Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    auto q = session.Prepare(sql::q::blob_size);
    q->bindNoCopy(1, name);
    if (q->executeStep()) {
      auto del = session.Prepare(sql::q::ingest_delete);
      del->bindNoCopy(1, ref);
      del->exec();
      MoveIngestLeasesToBlob(session, ref, name);
      outcome = IngestRecovery::kRemoved;
      return Status::OK();
    }
    Status r = posix::Rename(*blob_dir, digest->hex(), dir_fd, Layout::kDataFile, data_path);
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
    if (Status r = RemoveIngestFiles(store, id, dir_fd); !r.ok()) return r;
    return outcome;
  }
  if (store.options().sync) {
    if (Status r = posix::SyncDir(dir_fd, dir); !r.ok()) return r;
    if (Status r = store.SyncBlobDir(digest->algorithm()); !r.ok()) return r;
  }
  if (auto r = clear_marker(); !r.ok()) return r.status();
  return outcome;
}

Status StoreImpl::Recover() {
  struct Locked {
    std::string ref, id, token;
  };
  std::vector<Locked> locked;
  Status s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::ingests_locked);
    while (q->executeStep()) {
      locked.push_back({q->getColumn(0).getString(), q->getColumn(1).getString(),
                        q->getColumn(2).getString()});
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  for (const Locked& l : locked) {
    const std::string dir = layout_.ingest_dir(l.id);
    auto dir_fd = posix::OpenAt(ingest_root_fd(), l.id, O_RDONLY | O_DIRECTORY, 0, dir);
    if (!dir_fd.ok()) {
      if (dir_fd.status().IsNotFound()) continue;  // a writer resuming it recreates it
      return dir_fd.status();
    }
    Status lock = posix::TryLockExclusive(dir_fd->get(), dir);
    if (lock.IsUnavailable()) continue;  // its writer is alive
    if (!lock.ok()) return lock;
    auto recovered = RecoverIngestDir(*this, l.ref, l.id, dir_fd->get());
    if (!recovered.ok()) return recovered.status();
    if (*recovered == IngestRecovery::kRemoved) continue;
    // The holder is dead: say so in the catalog too.
    Status u = catalog_->Write(Catalog::Sync::kNormal, [&](Session& session) {
      auto q = session.Prepare(sql::q::ingest_unlock);
      q->bindNoCopy(1, l.ref);
      q->bindNoCopy(2, l.token);
      q->exec();
      return Status::OK();
    });
    if (!u.ok()) return u;
  }
  if (Status b = RecoverBatches(); !b.ok()) return b;
  if (Status t = reaper_->EmptyTrash(); !t.ok()) return t;
  return FlushPendingDeletions();
}

}  // namespace contentstore
