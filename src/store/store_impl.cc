#include "store/store_impl.h"

#include <fcntl.h>
#include <sys/stat.h>

#include <fmt/format.h>

#include <set>

#include "catalog/blob_rows.h"
#include "catalog/deletion_queue.h"
#include "catalog/filtered_query.h"
#include "catalog/gc_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "catalog/postgres_catalog.h"
#include "catalog/sqlite_catalog.h"
#include "contentstore/validate.h"
#include "store/batch.h"
#include "store/blob_tier_choice.h"
#include "store/catalog_rebuild.h"
#include "store/fsck.h"
#include "store/gc.h"
#include "store/ingest_sweep.h"
#include "store/ingest_writer.h"
#include "store/node_id.h"
#include "store/recovery.h"
#include "util/text.h"
#include "util/timestamp.h"

namespace contentstore {
namespace {

// Blobs per walk page: the walk holds no lock while `fn` runs.
constexpr int kWalkPage = 512;

Status NotCommitted(const Digest& digest) {
  return Status::NotFound(fmt::format("blob {} not found", digest.str()));
}

// update()'s field paths: every label, or the keys named.
struct LabelPaths {
  bool replace_all = false;
  std::set<std::string> keys;
};

Result<LabelPaths> ParseLabelPaths(const Info& info, const std::vector<std::string>& fieldpaths) {
  LabelPaths paths;
  paths.replace_all = fieldpaths.empty();
  for (const std::string& path : fieldpaths) {
    if (path == "labels") {
      paths.replace_all = true;
    } else if (path.starts_with("labels.") && path.size() > 7) {
      paths.keys.insert(path.substr(7));
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
  for (const std::string& key : paths.keys) {
    if (Status s = ValidateLabel(key, ""); !s.ok()) return s;
  }
  return paths;
}

}  // namespace

Result<std::unique_ptr<Store>> Store::Open(const std::string& root, const Options& options) {
  auto store = StoreImpl::Open(root, options);
  if (!store.ok()) return store.status();
  return std::unique_ptr<Store>(std::move(*store));
}

Result<RebuildReport> Store::RebuildCatalog(const std::string& root, const Options& options) {
  return StoreImpl::RebuildCatalog(root, options);
}

StoreImpl::StoreImpl(Layout layout, const Options& options)
    : layout_(std::move(layout)),
      options_(options),
      env_(options.env != nullptr ? *options.env : *Env::Default()) {}

// The reaper, destroyed first, unlinks what remove() queued; if that fails
// (or the process dies first) the next Open does it.
StoreImpl::~StoreImpl() = default;

Result<std::unique_ptr<StoreImpl>> StoreImpl::Open(const std::string& root,
                                                   const Options& options, OpenMode mode) {
  if (root.empty()) return Status::InvalidArgument("store root must not be empty");
  std::unique_ptr<StoreImpl> store(new StoreImpl(Layout(root), options));
  if (Status s = store->OpenParts(mode); !s.ok()) return s;
  if (!options.read_only) {
    if (Status s = store->Recover(mode); !s.ok()) return s.WithContext("recovering the store");
  }
  return store;
}

Status StoreImpl::OpenParts(OpenMode mode) {
  const std::string& root = layout_.root();
  auto st = env_.StatAt(AT_FDCWD, root, root);
  const bool read_only = options_.read_only;
  if (!st.ok()) {
    if (!st.status().IsNotFound()) return st.status();
    if (!options_.create_if_missing || read_only) {
      return Status::NotFound(fmt::format("store root {} does not exist", root));
    }
    // Create the root and any missing parents.
    for (size_t pos = 0; pos != std::string::npos;) {
      pos = root.find('/', pos + 1);
      const std::string path = root.substr(0, pos);
      if (Status s = env_.MakeDirAt(AT_FDCWD, path, path, 0755); !s.ok()) return s;
    }
  } else if (!S_ISDIR(st->st_mode)) {
    return Status::InvalidArgument(
        fmt::format("store root {} exists and is not a directory", root));
  } else if ((!options_.create_if_missing || read_only) && options_.catalog_url.empty() &&
             !env_.StatAt(AT_FDCWD, layout_.catalog_path(), layout_.catalog_path()).ok()) {
    // Refuse before creating anything inside a directory that is no store.
    return Status::NotFound(fmt::format("no store at {} (no {})", root, Layout::kCatalogFile));
  }
  if (mode == OpenMode::kNormal) {
    if (Status s = LockRoot(); !s.ok()) return s;
    if (options_.catalog_url.empty()) {
      if (Status s = RefuseToReplaceLostCatalog(); !s.ok()) return s;
    }
  }
  // The catalog first: one that refuses (missing, and not to be created;
  // too new) leaves the root as it found it.
  auto catalog = options_.catalog_url.empty()
                     ? catalog::OpenSqliteCatalog(layout_.catalog_path(), options_, env_)
                     : catalog::OpenPostgresCatalog(options_.catalog_url, options_, env_);
  if (!catalog.ok()) return catalog.status();
  catalog_ = std::move(*catalog);
  if (!read_only) {
    for (const std::string& dir : {layout_.blobs_dir(), layout_.ingest_root(),
                                   layout_.trash_dir(), layout_.batches_dir()}) {
      if (Status s = env_.MakeDirAt(AT_FDCWD, dir, dir, 0755); !s.ok()) return s;
    }
  }
  auto blobs = OpenBlobTier(env_, layout_, options_, *catalog_);
  if (!blobs.ok()) return blobs.status();
  blobs_ = std::move(*blobs);
  dirs_ = std::make_unique<IngestDirs>(env_, layout_);
  if (Status s = dirs_->Open(); !s.ok() && !(read_only && s.IsNotFound())) return s;
  std::string node_id;
  if (!options_.catalog_url.empty()) {
    auto id = LoadNodeId(env_, layout_, options_.sync, read_only);
    if (!id.ok()) return id.status();
    node_id = std::move(*id);
  }
  ingest_ctx_.reset(new IngestContext{env_, layout_, options_, *catalog_, *blobs_, *dirs_,
                                      std::move(node_id)});
  leases_ = std::make_unique<Leases>(*catalog_, env_);
  oci_files_ = std::make_unique<OciLayoutFiles>(env_, layout_, options_.sync && !read_only);
  images_ = std::make_unique<Images>(*catalog_, env_, *oci_files_);
  reserve_ = std::make_unique<SpaceReserve>(env_, layout_, read_only ? 0 : options_.reserve_bytes);
  reaper_ = std::make_unique<FileReaper>(*catalog_, *blobs_);
  return Status::OK();
}

Status StoreImpl::LockRoot() {
  auto fd = OpenDir(env_, layout_.root());
  if (!fd.ok()) return fd.status();
  Status s = env_.TryLockShared(fd->get(), layout_.root());
  if (s.IsUnavailable()) {
    return Status::Unavailable(fmt::format(
        "the store at {} is having its catalog rebuilt (contentstore fsck --rebuild-catalog); "
        "open it when that is done",
        layout_.root()));
  }
  if (!s.ok()) return s;
  root_lock_ = std::move(*fd);
  return Status::OK();
}

Status StoreImpl::RefuseToReplaceLostCatalog() {
  const std::string& path = layout_.catalog_path();
  auto st = env_.StatAt(AT_FDCWD, path, path);
  if (st.ok() && st->st_size > 0) return Status::OK();
  if (!st.ok() && !st.status().IsNotFound()) return st.status();
  // Anything in blobs/<alg>/ or ingest/ is data a new catalog would not know.
  bool has_data = false;
  for (const std::string& dir : {layout_.blobs_dir(), layout_.ingest_root()}) {
    auto fd = OpenDir(env_, dir);
    if (!fd.ok()) continue;
    auto names = env_.ListDir(fd->get(), dir);
    if (!names.ok()) return names.status();
    for (const std::string& name : *names) {
      if (dir == layout_.ingest_root()) {
        if (IngestDirs::IsSpare(name)) continue;  // empty, a dead process's
        has_data = true;
        break;
      }
      auto sub = OpenDirAt(env_, fd->get(), name, dir + "/" + name);
      if (!sub.ok()) continue;
      auto blobs = env_.ListDir(sub->get(), dir + "/" + name);
      if (blobs.ok() && !blobs->empty()) has_data = true;
    }
  }
  if (!has_data) {
    auto remote = HasBlobLocationRecord(env_, layout_);
    if (!remote.ok()) return remote.status();
    has_data = *remote;
  }
  if (!has_data) return Status::OK();
  return Status::DataLoss(fmt::format(
      "{} is {} but the store holds blob or upload files; a new, empty catalog would not know "
      "them. `contentstore fsck --rebuild-catalog` rebuilds the catalog from the files",
      path, st.ok() ? "empty (0 bytes)" : "missing"));
}

Result<RebuildReport> StoreImpl::RebuildCatalog(const std::string& root, const Options& options) {
  if (root.empty()) return Status::InvalidArgument("store root must not be empty");
  if (options.read_only) {
    return Status::FailedPrecondition("rebuilding the catalog needs a writable store");
  }
  if (!options.catalog_url.empty()) {
    return Status::FailedPrecondition(
        "rebuilding a catalog kept in PostgreSQL is not supported yet (it rebuilds ROOT/catalog.db)");
  }
  const Layout layout(root);
  Env& env = options.env != nullptr ? *options.env : *Env::Default();
  auto lock = OpenDir(env, root);
  if (!lock.ok()) return lock.status();
  if (Status s = env.TryLock(lock->get(), root); !s.ok()) {
    if (!s.IsUnavailable()) return s;
    return Status::Unavailable(fmt::format(
        "the store at {} is open in another process (a command, `contentstore serve`, a "
        "program using the library); stop it before rebuilding the catalog",
        root));
  }
  RebuildReport report;
  auto aside = SetAsideCatalog(env, layout);
  if (!aside.ok()) return aside.status();
  report.damaged_catalog = *aside;
  auto ingests = SetAsideIngests(env, layout);
  if (!ingests.ok()) return ingests.status();
  report.set_aside = std::move(*ingests);
  // The names' other copy, read before the fresh store could rewrite it.
  std::string index_json;
  if (auto text = OciLayoutFiles(env, layout, false).ReadIndex(); text.ok()) {
    index_json = std::move(*text);
  }
  Options fresh_options = options;
  fresh_options.create_if_missing = true;
  auto store = Open(root, fresh_options, OpenMode::kRebuild);
  if (!store.ok()) return store.status();
  StoreImpl& fresh = **store;
  if (Status s = AdoptBlobFiles(*fresh.blobs_, *fresh.catalog_, env, report); !s.ok()) return s;
  if (Status s = SalvageCatalog(*fresh.catalog_, report.damaged_catalog, index_json, env, report);
      !s.ok()) {
    return s;
  }
  if (Status s = fresh.images_->Rewrite(); !s.ok()) return s.WithContext("ROOT/index.json");
  return report;
}

// Quick, whatever the store's size: writers that died mid-commit or
// mid-batch, and their directories. Deleting queued files is the
// collector's and fsck's job (file_reaper.h), never an open's.
Status StoreImpl::Recover(OpenMode mode) {
  if (Status s = RecoverLockedIngests(*ingest_ctx_); !s.ok()) return s;
  if (Status s = RecoverBatches(*ingest_ctx_, layout_); !s.ok()) return s;
  if (Status s = GarbageCollector::ClearAbandonedRun(*ingest_ctx_); !s.ok()) return s;
  if (Status s = SweepOrphanIngestDirs(*ingest_ctx_); !s.ok()) return s;
  // A rebuild writes index.json once the names are back (RebuildCatalog).
  if (mode == OpenMode::kNormal) {
    if (Status s = images_->PublishIfStale(); !s.ok()) return s.WithContext("ROOT/index.json");
  }
  reserve_->Keep();
  return Status::OK();
}

Result<std::vector<std::string>> StoreImpl::pending_recovery() {
  std::vector<std::string> pending;
  if (!options_.read_only) return pending;
  int64_t dead_writers = 0, queued = 0;
  bool dead_collection = false;
  Status s = catalog_->Read([&](catalog::Transaction& tx) {
    for (const catalog::IngestPlace& l : catalog::IngestRows(tx).Locked()) {
      auto row = catalog::IngestRows(tx).Find(l.ref);
      // Only a hint: the flock, which a reader may not take, decides.
      if (row && row->lock_pid && ProcessIsGone(*row->lock_pid)) {
        ++dead_writers;
      }
    }
    queued = catalog::DeletionQueue(tx).Count();
    dead_collection = catalog::GcRows(tx).AnyRun();
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (dead_writers > 0) {
    pending.push_back(fmt::format("{} ingest{} held by writers that died", dead_writers,
                                  dead_writers == 1 ? "" : "s"));
  }
  if (queued > 0) {
    pending.push_back(fmt::format("{} removed blob{} whose files are not deleted yet", queued,
                                  queued == 1 ? "" : "s"));
  }
  if (dead_collection) pending.push_back("a collection that is running or died");
  if (auto batches = env_.StatAt(AT_FDCWD, layout_.batches_dir(), layout_.batches_dir());
      batches.ok() && batches->st_nlink > 2) {
    pending.push_back("batches of put_blobs calls that died");
  }
  return pending;
}

Status StoreImpl::RefuseIfReadOnly(std::string_view what) const {
  if (!options_.read_only) return Status::OK();
  return Status::FailedPrecondition(
      fmt::format("{}: the store at {} is open read-only", what, layout_.root()));
}

// --- Committed blobs ---

Result<Info> StoreImpl::info(const Digest& digest) {
  std::optional<Info> info;
  Status s = catalog_->Read([&](catalog::Transaction& tx) {
    info = catalog::BlobRows(tx).Find(digest);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (!info) return NotCommitted(digest);
  return std::move(*info);
}

Result<Info> StoreImpl::update(const Info& info, const std::vector<std::string>& fieldpaths) {
  auto paths = ParseLabelPaths(info, fieldpaths);
  if (!paths.ok()) return paths.status();
  if (Status r = RefuseIfReadOnly("update"); !r.ok()) return r;
  const std::string name = info.digest.str();
  // Label changes decide what GC keeps: make them durable.
  Status s = catalog_->Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    catalog::BlobRows blobs(tx);
    if (!blobs.Touch(name, env_.NowNanos())) return NotCommitted(info.digest);
    if (paths->replace_all) {
      blobs.DeleteLabels(name);
      blobs.SetLabels(name, info.labels);
      return Status::OK();
    }
    for (const std::string& key : paths->keys) {
      auto it = info.labels.find(key);
      if (it != info.labels.end() && !it->second.empty()) {
        blobs.SetLabel(name, key, it->second);
      } else {
        blobs.DeleteLabel(name, key);
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
    Status s = catalog_->Read([&](catalog::Transaction& tx) {
      size = catalog::BlobRows(tx).Size(digest.str());
      return Status::OK();
    });
    if (!s.ok()) return s;
    return size;
  };
  auto size = size_in_catalog();
  if (!size.ok()) return size.status();
  if (!*size) return NotCommitted(digest);
  auto reader = blobs_->Open(digest, **size);
  if (reader.ok() || !reader.status().IsNotFound()) return reader;
  // Removed between the two looks? Then it is simply not there.
  auto again = size_in_catalog();
  if (again.ok() && !*again) return NotCommitted(digest);
  return Status::DataLoss(fmt::format("blob {} is in the catalog but its file {} is missing",
                                      digest.str(), blobs_->Where(digest)));
}

Status StoreImpl::remove(const Digest& digest) {
  if (Status r = RefuseIfReadOnly("remove"); !r.ok()) return r;
  const std::string name = digest.str();
  Status s = reserve_->Free([&] { return RemoveRow(digest); });
  if (!s.ok()) return s;
  reaper_->Queued({name});
  return Status::OK();
}

Status StoreImpl::RemoveRow(const Digest& digest) {
  const std::string name = digest.str();
  return catalog_->Write(catalog::Sync::kNormal, [&](catalog::Transaction& tx) -> Status {
    if (!catalog::BlobRows(tx).Delete(name)) return NotCommitted(digest);
    catalog::DeletionQueue(tx).Add(name, env_.NowNanos());
    return Status::OK();
  });
}

Result<std::vector<Status>> StoreImpl::put_blobs(std::span<const BlobInput> blobs,
                                                 const PutOptions& options) {
  return PutBlobs(*ingest_ctx_, layout_, blobs, options);
}

Status StoreImpl::walk(const std::function<Status(const Info&)>& fn,
                       const std::vector<std::string>& filters) {
  auto filter = catalog::FilteredQuery::Parse(filters, catalog::BlobRows::FilterFields());
  if (!filter.ok()) return filter.status();
  std::string after;  // digests sort after ""
  for (;;) {
    std::vector<Info> page;
    Status s = catalog_->Read([&](catalog::Transaction& tx) -> Status {
      auto got = catalog::BlobRows(tx).WalkPage(*filter, after, kWalkPage);
      if (!got.ok()) return got.status();
      page = std::move(*got);
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
  return IngestWriter::Open(*ingest_ctx_, options);
}

Result<IngestStatus> StoreImpl::get_ingest(std::string_view ref_view) {
  const std::string ref(ref_view);
  if (Status s = ValidateRef(ref); !s.ok()) return s;
  std::optional<catalog::IngestRow> row;
  Status s = catalog_->Read([&](catalog::Transaction& tx) {
    row = catalog::IngestRows(tx).Find(ref);
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (!row) return Status::NotFound(fmt::format("ingest \"{}\" not found", Printable(ref)));
  // The data file is the truth about the offset: a live writer may be past
  // its last checkpoint. Not when another node sharing the catalog staged
  // the bytes: a local file of that name is then an older ingest's.
  const std::string data = dirs_->PathOf(row->id) + "/" + Layout::kDataFile;
  if (auto st = env_.StatAt(AT_FDCWD, data, data);
      st.ok() && StagedHere(*ingest_ctx_, row->staged_on)) {
    return row->ToStatus(st->st_size, std::max(row->updated_at, MtimeNanos(*st)));
  }
  return row->ToStatus(row->offset, row->updated_at);
}

Result<std::vector<IngestStatus>> StoreImpl::list_ingests(
    const std::vector<std::string>& filters) {
  auto filter = catalog::FilteredQuery::Parse(filters, catalog::IngestRows::FilterFields());
  if (!filter.ok()) return filter.status();
  std::vector<IngestStatus> out;
  Status s = catalog_->Read([&](catalog::Transaction& tx) -> Status {
    auto listed = catalog::IngestRows(tx).List(*filter);
    if (!listed.ok()) return listed.status();
    out = std::move(*listed);
    return Status::OK();
  });
  if (!s.ok()) return s;
  return out;
}

Status StoreImpl::abort(std::string_view ref) {
  if (Status r = RefuseIfReadOnly("abort"); !r.ok()) return r;
  return reserve_->Free([&] { return AbortIngest(ref); });
}

Status StoreImpl::AbortIngest(std::string_view ref_view) {
  const std::string ref(ref_view);
  if (Status s = ValidateRef(ref); !s.ok()) return s;
  const std::string id = Layout::IngestId(ref);
  auto not_found = [&] {
    return Status::NotFound(fmt::format("ingest \"{}\" not found", Printable(ref)));
  };
  bool exists = false;
  Status s = catalog_->Read([&](catalog::Transaction& tx) {
    exists = catalog::IngestRows(tx).Find(ref).has_value();
    return Status::OK();
  });
  if (!s.ok()) return s;
  if (!exists) return not_found();
  // A writer on another node sharing the catalog keeps its ref too.
  auto node_lock = LockRefAcrossNodes(*ingest_ctx_, ref);
  if (!node_lock.ok()) return node_lock.status();

  auto dir_fd = dirs_->OpenLocked(id);
  // A live writer keeps its ref: aborting under it would make its commit
  // fail later (containerd allows it; moby#53335 shows what follows).
  if (dir_fd.status().IsUnavailable()) return IngestWriter::RefLocked(*ingest_ctx_, ref);
  if (dir_fd.ok()) {
    // A commit that died half way: put its blob file back first, so it goes
    // with the ingest instead of staying behind without a row.
    auto recovered = RecoverIngestDir(*ingest_ctx_, ref, id, dir_fd->get());
    if (!recovered.ok()) return recovered.status();
    if (*recovered == IngestRecovery::kRemoved) return not_found();
  } else if (!dir_fd.status().IsNotFound()) {
    return dir_fd.status();
  }
  // The row goes first and durably: no checkpoint may outlive its bytes.
  std::optional<std::string> upload_id;
  s = catalog_->Write(catalog::Sync::kFull, [&](catalog::Transaction& tx) -> Status {
    catalog::IngestRows ingests(tx);
    auto row = ingests.Find(ref);
    if (!row || !ingests.Delete(ref)) return not_found();
    upload_id = row->upload_id;
    catalog::LeaseRows(tx).DropIngest(ref);
    return Status::OK();
  });
  if (!s.ok()) return s;
  DiscardIngestUpload(*ingest_ctx_, id, upload_id);
  if (dir_fd.ok()) dirs_->Retire(id, std::move(*dir_fd));
  return Status::OK();
}

// --- Leases ---

Result<Lease> StoreImpl::create_lease(const LeaseOptions& options) {
  if (Status r = RefuseIfReadOnly("create lease"); !r.ok()) return r;
  return leases_->Create(options);
}

Result<Lease> StoreImpl::get_lease(std::string_view id) { return leases_->Get(id); }

Result<std::vector<Lease>> StoreImpl::list_leases(const std::vector<std::string>& filters) {
  return leases_->List(filters);
}

Status StoreImpl::delete_lease(std::string_view id, const DeleteLeaseOptions& options) {
  if (Status r = RefuseIfReadOnly("delete lease"); !r.ok()) return r;
  Status s = reserve_->Free([&] { return leases_->Delete(id); });
  if (!s.ok() || !options.sync) return s;
  return collect_garbage(GcOptions{}).status();
}

Status StoreImpl::add_lease_resource(std::string_view lease, const LeaseResource& resource) {
  if (Status r = RefuseIfReadOnly("add to lease"); !r.ok()) return r;
  return leases_->Hold(lease, resource);
}

Status StoreImpl::remove_lease_resource(std::string_view lease, const LeaseResource& resource) {
  if (Status r = RefuseIfReadOnly("remove from lease"); !r.ok()) return r;
  return leases_->Release(lease, resource);
}

Result<std::vector<LeaseResource>> StoreImpl::lease_resources(std::string_view lease) {
  return leases_->Resources(lease);
}

// --- Named images ---

Result<Image> StoreImpl::put_image(const Image& image) {
  if (Status r = RefuseIfReadOnly("put image"); !r.ok()) return r;
  return images_->Put(image);
}

Result<Image> StoreImpl::get_image(std::string_view name) { return images_->Get(name); }

Result<std::vector<Image>> StoreImpl::list_images(const std::vector<std::string>& filters) {
  return images_->List(filters);
}

Status StoreImpl::delete_image(std::string_view name) {
  if (Status r = RefuseIfReadOnly("delete image"); !r.ok()) return r;
  return images_->Delete(name);
}

Result<Image> StoreImpl::tag_image(std::string_view source, std::string_view destination) {
  if (Status r = RefuseIfReadOnly("tag image"); !r.ok()) return r;
  return images_->Tag(source, destination);
}

// --- Garbage collection and checks ---

Result<GcReport> StoreImpl::collect_garbage(const GcOptions& options) {
  std::optional<Result<GcReport>> report;
  Status s = reserve_->Free([&] {
    report = GarbageCollector(*ingest_ctx_, *reaper_).Run(options);
    return report->status();
  });
  if (s.ok() && !options.dry_run) reserve_->Keep();  // what it freed may make room again
  return std::move(*report);
}

Result<FsckReport> StoreImpl::fsck(const FsckOptions& options) {
  return Fsck(*ingest_ctx_, *reaper_, *images_, options).Run();
}

}  // namespace contentstore
