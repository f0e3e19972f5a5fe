#include "store/store_impl.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <set>

#include "files/blob_reader.h"
#include "util/clock.h"
#include "embedded_sql.h"
#include "filter/filtered_query.h"
#include "catalog/ingest_row.h"
#include "store/ingest_writer.h"
#include "store/recovery.h"
#include "util/text.h"
#include "contentstore/validate.h"

namespace contentstore {
namespace {

// Blobs per walk page: the walk holds no lock while `fn` runs.
constexpr int kWalkPage = 512;

Status NotCommitted(const Digest& digest) {
  return Status::NotFound(fmt::format("blob {} not found", digest.str()));
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& root, const Options& options) {
  auto store = StoreImpl::Open(root, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

StoreImpl::StoreImpl(Layout layout, const Options& options)
    : layout_(std::move(layout)), options_(options) {}

// The reaper, destroyed first, unlinks what remove() queued; if that fails
// (or the process dies first) the next Open does it.
StoreImpl::~StoreImpl() = default;

Result<std::unique_ptr<StoreImpl>> StoreImpl::Open(const std::string& root,
                                                   const Options& options) {
  if (root.empty()) return Status::InvalidArgument("store root must not be empty");
  std::unique_ptr<StoreImpl> store(new StoreImpl(Layout(root), options));
  const Layout& layout = store->layout_;
  struct stat st {};
  if (::stat(layout.root().c_str(), &st) != 0) {
    if (!options.create_if_missing) {
      return Status::NotFound(fmt::format("store root {} does not exist", layout.root()));
    }
    // Create the root and any missing parents.
    std::string path;
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = layout.root().find('/', pos + 1);
      path = layout.root().substr(0, pos);
      if (Status s = posix::MakeDir(path); !s.ok()) return s;
    }
  } else if (!S_ISDIR(st.st_mode)) {
    return Status::InvalidArgument(
        fmt::format("store root {} exists and is not a directory", layout.root()));
  } else if (!options.create_if_missing && ::stat(layout.catalog_path().c_str(), &st) != 0) {
    // Refuse before creating anything inside a directory that is no store.
    return Status::NotFound(fmt::format("no store at {} (no {})", layout.root(),
                                        Layout::kCatalogFile));
  }
  for (const std::string& dir : {layout.blobs_dir(), layout.ingest_root(), layout.trash_dir(),
                                 layout.batches_dir()}) {
    if (Status s = posix::MakeDir(dir); !s.ok()) return s;
  }
  auto ingest_fd = posix::OpenDir(layout.ingest_root());
  if (!ingest_fd.ok()) return ingest_fd.status();
  store->ingest_root_fd_ = std::move(*ingest_fd);

  auto catalog = Catalog::Open(layout.catalog_path(), options);
  if (!catalog.ok()) return catalog.status();
  store->catalog_ = std::move(*catalog);
  store->reaper_ = std::make_unique<FileReaper>(*store);
  if (Status s = store->Recover(); !s.ok()) return s.WithContext("recovering the store");
  return store;
}

Result<int> StoreImpl::blob_dir_fd(Algorithm algorithm) {
  std::lock_guard lock(blob_dirs_mu_);
  posix::UniqueFd& fd = blob_dir_fds_[static_cast<size_t>(algorithm)];
  if (!fd.valid()) {
    const std::string dir = layout_.blob_dir(algorithm);
    struct stat st {};
    const bool existed = ::stat(dir.c_str(), &st) == 0;
    if (Status s = posix::MakeDir(dir); !s.ok()) return s;
    if (!existed && options_.sync) {
      // The new directory's own entry must survive too.
      auto parent = posix::OpenDir(layout_.blobs_dir());
      if (!parent.ok()) return parent.status();
      if (Status s = posix::SyncDir(parent->get(), layout_.blobs_dir()); !s.ok()) return s;
    }
    auto opened = posix::OpenDir(dir);
    if (!opened.ok()) return opened.status();
    fd = std::move(*opened);
  }
  return fd.get();
}

Status StoreImpl::SyncBlobDir(Algorithm algorithm) {
  if (!options_.sync) return Status::OK();
  auto fd = blob_dir_fd(algorithm);
  if (!fd.ok()) return fd.status();
  return blob_dir_syncs_[static_cast<size_t>(algorithm)].Sync(
      [&] { return posix::SyncDir(*fd, layout_.blob_dir(algorithm)); });
}

// --- Committed blobs ---

Result<Info> StoreImpl::info(const Digest& digest) {
  Info info;
  info.digest = digest;
  bool found = false;
  const std::string name = digest.str();
  Status s = catalog_->Read([&](Session& session) {
    auto q = session.Prepare(sql::q::blob_info);
    q->bindNoCopy(1, name);
    while (q->executeStep()) {
      if (!found) {
        found = true;
        info.size = q->getColumn(0).getInt64();
        info.created_at = FromNanos(q->getColumn(1).getInt64());
        info.updated_at = FromNanos(q->getColumn(2).getInt64());
      }
      if (!q->isColumnNull(3)) {
        info.labels.emplace(q->getColumn(3).getString(), q->getColumn(4).getString());
      }
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (!found) return NotCommitted(digest);
  return info;
}

Result<Info> StoreImpl::update(const Info& info, const std::vector<std::string>& fieldpaths) {
  bool replace_all = fieldpaths.empty();
  std::set<std::string> keys;
  for (const std::string& path : fieldpaths) {
    if (path == "labels") {
      replace_all = true;
    } else if (path.starts_with("labels.") && path.size() > 7) {
      keys.insert(path.substr(7));
    } else {
      return Status::InvalidArgument(
          fmt::format("cannot update field \"{}\" of blob {}: only \"labels\" and "
                      "\"labels.<key>\" can change",
                      Printable(path), info.digest.str()));
    }
  }
  if (Status s = ValidateLabels(info.labels); !s.ok()) {
    return s.WithContext(fmt::format("update of blob {}", info.digest.str()));
  }
  for (const std::string& key : keys) {
    if (Status s = ValidateLabel(key, ""); !s.ok()) return s;
  }
  const std::string name = info.digest.str();
  // Label changes decide what GC keeps: make them durable.
  Status s = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    auto touch = session.Prepare(sql::q::blob_touch);
    touch->bindNoCopy(1, name);
    touch->bind(2, NowNanos());
    touch->exec();
    if (session.Changes() == 0) return NotCommitted(info.digest);
    auto set = [&](const std::string& key, const std::string& value) {
      auto q = session.Prepare(sql::q::label_set);
      q->bindNoCopy(1, name);
      q->bindNoCopy(2, key);
      q->bindNoCopy(3, value);
      q->exec();
    };
    if (replace_all) {
      auto clear = session.Prepare(sql::q::labels_delete_all);
      clear->bindNoCopy(1, name);
      clear->exec();
      for (const auto& [key, value] : info.labels) {
        if (!value.empty()) set(key, value);
      }
      return Status::OK();
    }
    for (const std::string& key : keys) {
      auto it = info.labels.find(key);
      if (it != info.labels.end() && !it->second.empty()) {
        set(key, it->second);
      } else {
        auto q = session.Prepare(sql::q::label_delete);
        q->bindNoCopy(1, name);
        q->bindNoCopy(2, key);
        q->exec();
      }
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return this->info(info.digest);
}

Result<std::unique_ptr<Reader>> StoreImpl::reader(const Digest& digest) {
  auto size_in_catalog = [&]() -> Result<std::optional<int64_t>> {
    std::optional<int64_t> size;
    Status s = catalog_->Read([&](Session& session) {
      auto q = session.Prepare(sql::q::blob_size);
      q->bind(1, digest.str());
      if (q->executeStep()) size = q->getColumn(0).getInt64();
      return Status::OK();
    });
    if (!s.ok()) return s;
    return size;
  };
  auto size = size_in_catalog();
  if (!size.ok()) return size.status();
  if (!*size) return NotCommitted(digest);
  const std::string path = layout_.blob_path(digest);
  auto fd = posix::Open(path, O_RDONLY);
  if (!fd.ok()) {
    if (!fd.status().IsNotFound()) return fd.status();
    // Removed between the two looks? Then it is simply not there.
    auto again = size_in_catalog();
    if (again.ok() && !*again) return NotCommitted(digest);
    return Status::DataLoss(
        fmt::format("blob {} is in the catalog but its file {} is missing", digest.str(), path));
  }
  auto st = posix::StatFd(fd->get(), path);
  if (!st.ok()) return st.status();
  if (st->st_size != **size) {
    return Status::DataLoss(fmt::format("blob {}: file {} has {} bytes, the catalog says {}",
                                        digest.str(), path, st->st_size, **size));
  }
  return std::unique_ptr<Reader>(new BlobReader(std::move(*fd), path, **size));
}

Status StoreImpl::remove(const Digest& digest) {
  const std::string name = digest.str();
  Status s = catalog_->Write(Catalog::Sync::kNormal, [&](Session& session) -> Status {
    auto del = session.Prepare(sql::q::blob_delete);
    del->bindNoCopy(1, name);
    del->exec();
    if (session.Changes() == 0) return NotCommitted(digest);
    auto queue = session.Prepare(sql::q::pending_deletion_add);
    queue->bindNoCopy(1, name);
    queue->bind(2, NowNanos());
    queue->exec();
    return Status::OK();
  });
  if (!s.ok()) return s;
  reaper_->Queued();
  return Status::OK();
}

Status StoreImpl::walk(const std::function<Status(const Info&)>& fn,
                       const std::vector<std::string>& filters) {
  auto query = FilteredQuery::Make(sql::q::walk_page, filters, BlobFilterFields(), 2);
  if (!query.ok()) return query.status();
  std::string after;  // digests sort after ""
  for (;;) {
    std::vector<Info> page;
    Status s = catalog_->Read([&](Session& session) -> Status {
      auto q = session.Prepare(query->sql());
      q->bind(1, after);
      q->bind(2, kWalkPage);
      query->Bind(*q);
      std::string current;
      while (q->executeStep()) {
        std::string digest = q->getColumn(0).getString();
        if (page.empty() || digest != current) {
          auto parsed = Digest::Parse(digest);
          if (!parsed.ok()) {
            return Status::DataLoss(fmt::format("catalog row with a bad digest: {}",
                                                parsed.status().message()));
          }
          Info info;
          info.digest = std::move(*parsed);
          info.size = q->getColumn(1).getInt64();
          info.created_at = FromNanos(q->getColumn(2).getInt64());
          info.updated_at = FromNanos(q->getColumn(3).getInt64());
          page.push_back(std::move(info));
          current = std::move(digest);
        }
        if (!q->isColumnNull(4)) {
          page.back().labels.emplace(q->getColumn(4).getString(), q->getColumn(5).getString());
        }
      }
      return Status::OK();
    });
    if (!s.ok()) return s;
    for (const Info& info : page) {
      if (Status r = fn(info); !r.ok()) return r;
    }
    if (page.size() < static_cast<size_t>(kWalkPage)) return Status::OK();
    after = page.back().digest.str();
  }
}

// --- Ingests ---

Result<std::unique_ptr<Writer>> StoreImpl::writer(const WriterOptions& options) {
  return IngestWriter::Open(*this, options);
}

Result<std::optional<IngestRow>> StoreImpl::LoadIngest(const std::string& ref) {
  std::optional<IngestRow> row;
  Status s = catalog_->Read([&](Session& session) -> Status {
    auto loaded = LoadIngestRow(session, ref);
    if (!loaded.ok()) return loaded.status();
    row = std::move(*loaded);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return row;
}

Result<IngestStatus> StoreImpl::get_ingest(std::string_view ref_view) {
  const std::string ref(ref_view);
  if (Status s = ValidateRef(ref); !s.ok()) return s;
  auto loaded = LoadIngest(ref);
  if (!loaded.ok()) return loaded.status();
  const std::optional<IngestRow>& row = *loaded;
  if (!row) return Status::NotFound(fmt::format("ingest \"{}\" not found", Printable(ref)));
  // The catalog's offset lags a live writer by up to a checkpoint; the data
  // file does not.
  const std::string data = layout_.ingest_dir(row->id) + "/" + Layout::kDataFile;
  struct stat st {};
  if (::stat(data.c_str(), &st) == 0) {
    const int64_t mtime = int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
    return row->ToStatus(st.st_size, std::max(row->updated_at, mtime));
  }
  return row->ToStatus(row->offset, row->updated_at);
}

Result<std::vector<IngestStatus>> StoreImpl::list_ingests(
    const std::vector<std::string>& filters) {
  auto query = FilteredQuery::Make(sql::q::ingest_list, filters, IngestFilterFields(), 0);
  if (!query.ok()) return query.status();
  std::vector<IngestStatus> out;
  Status s = catalog_->Read([&](Session& session) -> Status {
    auto q = session.Prepare(query->sql());
    query->Bind(*q);
    while (q->executeStep()) {
      IngestStatus status;
      status.ref = q->getColumn(0).getString();
      status.offset = q->getColumn(1).getInt64();
      if (!q->isColumnNull(2)) status.total = q->getColumn(2).getInt64();
      if (!q->isColumnNull(3)) {
        auto d = Digest::Parse(q->getColumn(3).getString());
        if (d.ok()) status.expected = *d;
      }
      status.started_at = FromNanos(q->getColumn(4).getInt64());
      status.updated_at = FromNanos(q->getColumn(5).getInt64());
      out.push_back(std::move(status));
    }
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status StoreImpl::abort(std::string_view ref_view) {
  const std::string ref(ref_view);
  if (Status s = ValidateRef(ref); !s.ok()) return s;
  const std::string id = Layout::IngestId(ref);
  const std::string dir = layout_.ingest_dir(id);
  auto not_found = [&] {
    return Status::NotFound(fmt::format("ingest \"{}\" not found", Printable(ref)));
  };
  auto row = LoadIngest(ref);
  if (!row.ok()) return row.status();
  if (!*row) return not_found();

  auto dir_fd = posix::OpenAt(ingest_root_fd(), id, O_RDONLY | O_DIRECTORY, 0, dir);
  if (dir_fd.ok()) {
    // A live writer keeps its ref: aborting under it would make its commit
    // fail later (containerd allows it; moby#53335 shows what follows).
    if (Status s = posix::TryLockExclusive(dir_fd->get(), dir); !s.ok()) {
      if (s.IsUnavailable()) return RefLockedStatus(ref, *row);
      return s;
    }
    // A commit that died half way: put its blob file back first, so it goes
    // with the ingest instead of staying behind without a row.
    auto recovered = RecoverIngestDir(*this, ref, id, dir_fd->get());
    if (!recovered.ok()) return recovered.status();
    if (*recovered == IngestRecovery::kRemoved) return not_found();
  } else if (!dir_fd.status().IsNotFound()) {
    return dir_fd.status();
  }
  // The row goes first and durably: no checkpoint may outlive its bytes.
  Status s = catalog_->Write(Catalog::Sync::kFull, [&](Session& session) -> Status {
    auto q = session.Prepare(sql::q::ingest_delete);
    q->bindNoCopy(1, ref);
    q->exec();
    if (session.Changes() == 0) return not_found();
    DropIngestLeases(session, ref);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (dir_fd.ok()) return RemoveIngestFiles(*this, id, dir_fd->get());
  return Status::OK();
}

}  // namespace contentstore
