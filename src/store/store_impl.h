// StoreImpl: the Store behind Store::Open. It owns the layout, the catalog
// and cached directory descriptors; the ingest writer (ingest_writer.h), the
// commit protocol (commit.cc) and recovery (recovery.cc) work through it.
//
// Thread-safety: thread-safe, as Store promises.

#ifndef CONTENTSTORE_SRC_STORE_IMPL_H_
#define CONTENTSTORE_SRC_STORE_IMPL_H_

#include <array>
#include <atomic>
#include <memory>
#include <mutex>
#include <string>

#include "catalog/catalog.h"
#include "store/file_reaper.h"
#include "util/group_sync.h"
#include "catalog/ingest_row.h"
#include "contentstore/store.h"
#include "files/layout.h"
#include "env/posix.h"

namespace contentstore {

class StoreImpl final : public Store {
 public:
  static Result<std::unique_ptr<StoreImpl>> Open(const std::string& root, const Options& options);
  ~StoreImpl() override;

  const std::string& root() const override { return layout_.root(); }

  Result<Info> info(const Digest& digest) override;
  Result<Info> update(const Info& info, const std::vector<std::string>& fieldpaths) override;
  Result<std::unique_ptr<Reader>> reader(const Digest& digest) override;
  Status remove(const Digest& digest) override;
  Result<std::vector<Status>> put_blobs(std::span<const BlobInput> blobs,
                                        const PutOptions& options) override;  // batch.cc
  Status walk(const std::function<Status(const Info&)>& fn,
              const std::vector<std::string>& filters) override;

  Result<std::unique_ptr<Writer>> writer(const WriterOptions& options) override;
  Result<IngestStatus> get_ingest(std::string_view ref) override;
  Result<std::vector<IngestStatus>> list_ingests(const std::vector<std::string>& filters) override;
  Status abort(std::string_view ref) override;

  // lease.cc
  Result<Lease> create_lease(const LeaseOptions& options) override;
  Result<Lease> get_lease(std::string_view id) override;
  Result<std::vector<Lease>> list_leases(const std::vector<std::string>& filters) override;
  using Store::delete_lease;
  Status delete_lease(std::string_view id, const DeleteLeaseOptions& options) override;
  Status add_lease_resource(std::string_view lease, const LeaseResource& resource) override;
  Status remove_lease_resource(std::string_view lease, const LeaseResource& resource) override;
  Result<std::vector<LeaseResource>> lease_resources(std::string_view lease) override;

  // gc.cc, fsck.cc
  Result<GcReport> collect_garbage(const GcOptions& options) override;
  Result<FsckReport> fsck(const FsckOptions& options) override;

  // --- For the store's own modules ---
  const Layout& layout() const { return layout_; }
  const Options& options() const { return options_; }
  Catalog& catalog() { return *catalog_; }
  // ROOT/ingest, open for *at() calls.
  int ingest_root_fd() const { return ingest_root_fd_.get(); }
  // ROOT/blobs/<alg>, created (durably) on first use.
  Result<int> blob_dir_fd(Algorithm algorithm);
  // fsync of ROOT/blobs/<alg>, grouped across threads (group_sync.h): makes
  // every rename into it so far durable. Nothing when !options().sync.
  Status SyncBlobDir(Algorithm algorithm);

  // Removes the files of deleted blobs queued so far (file_reaper.h), now.
  Status FlushPendingDeletions() { return reaper_->Flush(); }

  // The ingests row of `ref`, if any.
  Result<std::optional<IngestRow>> LoadIngest(const std::string& ref);

  // Open-time recovery (recovery.cc): finishes what writers that died in
  // the middle of a commit left behind, and flushes pending deletions.
  Status Recover();
  // Undoes what put_blobs calls that died left in batches/ (batch.cc).
  Status RecoverBatches();
  Status UndoBatchLinks(const std::string& token, int dir_fd);

 private:
  StoreImpl(Layout layout, const Options& options);

  const Layout layout_;
  const Options options_;
  std::unique_ptr<Catalog> catalog_;
  posix::UniqueFd ingest_root_fd_;
  std::mutex blob_dirs_mu_;
  std::array<posix::UniqueFd, 3> blob_dir_fds_;  // by Algorithm
  std::array<GroupSync, 3> blob_dir_syncs_;      // by Algorithm
  // After catalog_: it flushes through the catalog when destroyed.
  std::unique_ptr<FileReaper> reaper_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_IMPL_H_
