// LocalBlobFiles: the BlobTier of ROOT/blobs/<alg>/<hex> (the OCI image-layout
// rule), read-only files published by rename or hard link and made durable
// by an fsync of blobs/<alg>/, grouped across threads (util/group_sync.h).
// Retired blobs wait in ROOT/trash/<alg>-<hex> until purged.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_LOCAL_BLOB_FILES_H_
#define CONTENTSTORE_SRC_FILES_LOCAL_BLOB_FILES_H_

#include <array>
#include <mutex>
#include <string>

#include "contentstore/env.h"
#include "env/unique_fd.h"
#include "files/blob_tier.h"
#include "files/layout.h"
#include "util/group_sync.h"

namespace contentstore {

class LocalBlobFiles final : public BlobTier {
 public:
  // `sync`: whether SyncPublished (and purging) fsync (Options::sync).
  LocalBlobFiles(Env& env, const Layout& layout, bool sync);

  Result<Published> Publish(const Digest& digest, int64_t size, const LocalFile& source,
                            Mode mode) override;
  Status SyncPublished(Algorithm algorithm) override;
  Result<struct stat> Stat(const Digest& digest) override;
  Result<std::unique_ptr<Reader>> Open(const Digest& digest, int64_t size) override;
  Status Retire(const Digest& digest) override;
  Status Purge(const std::vector<Digest>& retired) override;
  Status PurgeAllRetired() override;
  Status Withdraw(const Digest& digest, const LocalFile& target) override;
  Status Unlink(const Digest& digest, const LocalFile& source) override;
  Status List(const Visitor& visitor) override;
  Result<std::string> MoveAside(const std::string& path) override;
  std::string Where(const Digest& digest) const override { return layout_.blob_path(digest); }

 private:
  // ROOT/blobs/<alg>, created (durably) on first use.
  Result<int> DirFd(Algorithm algorithm);

  Env& env_;
  const Layout& layout_;
  const bool sync_;
  std::mutex mu_;
  std::array<UniqueFd, 3> dir_fds_;     // by Algorithm
  std::array<GroupSync, 3> dir_syncs_;  // by Algorithm
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_LOCAL_BLOB_FILES_H_
