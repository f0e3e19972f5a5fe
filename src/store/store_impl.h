// StoreImpl: the Store behind Store::Open, a thin front. It owns the store's
// parts (the Env, the layout, the catalog, the blob tier, the ingest
// directories, the file reaper, the OCI layout files) and hands each feature
// only the parts it needs: writers, recovery and the collector an
// IngestContext, leases the catalog, images the catalog and the layout files. No feature module includes this header.
//
// Thread-safety: thread-safe, as Store promises.

#ifndef CONTENTSTORE_SRC_STORE_STORE_IMPL_H_
#define CONTENTSTORE_SRC_STORE_STORE_IMPL_H_

#include <memory>
#include <string>

#include "catalog/catalog.h"
#include "contentstore/store.h"
#include "env/unique_fd.h"
#include "files/ingest_dirs.h"
#include "files/layout.h"
#include "files/blob_tier.h"
#include "files/oci_layout_files.h"
#include "files/space_reserve.h"
#include "store/file_reaper.h"
#include "store/images.h"
#include "store/ingest_context.h"
#include "store/leases.h"

namespace contentstore {

class StoreImpl final : public Store {
 public:
  // kRebuild: the caller holds the root's exclusive lock and has set the old
  // catalog aside; neither the lock nor the missing-catalog check applies.
  enum class OpenMode { kNormal, kRebuild };
  static Result<std::unique_ptr<StoreImpl>> Open(const std::string& root, const Options& options,
                                                 OpenMode mode = OpenMode::kNormal);
  static Result<RebuildReport> RebuildCatalog(const std::string& root, const Options& options);
  ~StoreImpl() override;

  const std::string& root() const override { return layout_.root(); }
  Result<std::vector<std::string>> pending_recovery() override;

  Result<Info> info(const Digest& digest) override;
  Result<Info> update(const Info& info, const std::vector<std::string>& fieldpaths) override;
  Result<std::unique_ptr<Reader>> reader(const Digest& digest) override;
  Status remove(const Digest& digest) override;
  Result<std::vector<Status>> put_blobs(std::span<const BlobInput> blobs,
                                        const PutOptions& options) override;
  Status walk(const std::function<Status(const Info&)>& fn,
              const std::vector<std::string>& filters) override;

  Result<std::unique_ptr<Writer>> writer(const WriterOptions& options) override;
  Result<IngestStatus> get_ingest(std::string_view ref) override;
  Result<std::vector<IngestStatus>> list_ingests(const std::vector<std::string>& filters) override;
  Status abort(std::string_view ref) override;

  Result<Lease> create_lease(const LeaseOptions& options) override;
  Result<Lease> get_lease(std::string_view id) override;
  Result<std::vector<Lease>> list_leases(const std::vector<std::string>& filters) override;
  using Store::delete_lease;
  Status delete_lease(std::string_view id, const DeleteLeaseOptions& options) override;
  Status add_lease_resource(std::string_view lease, const LeaseResource& resource) override;
  Status remove_lease_resource(std::string_view lease, const LeaseResource& resource) override;
  Result<std::vector<LeaseResource>> lease_resources(std::string_view lease) override;

  Result<Image> put_image(const Image& image) override;
  Result<Image> get_image(std::string_view name) override;
  Result<std::vector<Image>> list_images(const std::vector<std::string>& filters) override;
  Status delete_image(std::string_view name) override;
  Result<Image> tag_image(std::string_view source, std::string_view destination) override;

  Result<GcReport> collect_garbage(const GcOptions& options) override;
  Result<FsckReport> fsck(const FsckOptions& options) override;

 private:
  StoreImpl(Layout layout, const Options& options);
  // Creates the root and its directories (writable opens), opens the parts.
  Status OpenParts(OpenMode mode);
  // Shares the root directory's flock for the store's life, so that a
  // catalog rebuild (which takes it exclusively) never runs under an open
  // store.
  Status LockRoot();
  // A writable open would create an empty catalog beside blob files: the
  // catalog was lost, and an empty one would let gc and fsck act on a lie.
  Status RefuseToReplaceLostCatalog();
  // What a writable open finishes for processes that died (recovery.h,
  // batch.h, the reaper's queue), and a stale ROOT/index.json (images.h).
  Status Recover(OpenMode mode);
  Status RefuseIfReadOnly(std::string_view what) const;
  Status RemoveRow(const Digest& digest);
  Status AbortIngest(std::string_view ref);

  const Layout layout_;
  const Options options_;
  Env& env_;
  // First, so released last.
  UniqueFd root_lock_;
  std::unique_ptr<catalog::Catalog> catalog_;
  std::unique_ptr<BlobTier> blobs_;
  std::unique_ptr<IngestDirs> dirs_;
  std::unique_ptr<IngestContext> ingest_ctx_;
  std::unique_ptr<Leases> leases_;
  std::unique_ptr<OciLayoutFiles> oci_files_;
  std::unique_ptr<Images> images_;
  std::unique_ptr<SpaceReserve> reserve_;
  // Last: it flushes through the catalog and the blob tier when destroyed.
  std::unique_ptr<FileReaper> reaper_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_STORE_IMPL_H_
