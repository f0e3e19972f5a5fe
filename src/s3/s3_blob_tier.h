// S3BlobTier: committed blobs as objects PREFIX/blobs/<alg>/<hex> in an
// S3-compatible bucket (the same key layout as ROOT/blobs/), for a store
// whose catalog and ingests stay local (Options::blobs).
//
// How the store's protocols map onto S3 (files/blob_tier.h):
//   - Publish uploads the sealed local file to the blob's key: one PUT up to
//     kSinglePutBytes, else a multipart upload of kPartBytes parts from the
//     file (never held in memory whole), completed only when every part is
//     there, so the key never shows a partial blob. A key already holding
//     the right size is kept (kExisting). The local file stays (kLinked)
//     until the commit's catalog transaction is durable: a crash before it
//     leaves a resumable ingest, never a blob known only to S3 that recovery
//     would have to download again. An object such a crash leaves without a
//     row is what fsck reports as file-without-row.
//   - SyncPublished is nothing: S3 acknowledges a PUT or a completed upload
//     once it is durable.
//   - Retire deletes the object, inside the caller's catalog transaction:
//     that transaction decided no row names the digest, and a commit of the
//     same digest re-checks its object in its own transaction (Holds), so
//     either the deletion came first and the commit uploads again, or the
//     commit's row came first and the deletion does not happen. Deleting
//     outside the transaction would let a deletion land after such a
//     re-check. Purge is therefore nothing.
//   - Stat and Holds are a HEAD: a regular file of the object's size.
//   - Open reads through ranged GETs, or from the local read cache
//     (files/blob_cache.h) when one is configured and the blob fits.
//
// Thread-safety: thread-safe (the client is).

#ifndef CONTENTSTORE_SRC_S3_S3_BLOB_TIER_H_
#define CONTENTSTORE_SRC_S3_S3_BLOB_TIER_H_

#include <memory>
#include <string>

#include "contentstore/env.h"
#include "files/blob_cache.h"
#include "files/blob_tier.h"
#include "files/ingest_uploads.h"
#include "s3/client.h"
#include "s3/config.h"

namespace contentstore::s3 {

class S3BlobTier final : public BlobTier, public IngestUploads {
 public:
  static constexpr int64_t kSinglePutBytes = 16 << 20;
  static constexpr int64_t kPartBytes = 16 << 20;

  // `cache` may be null (no read cache).
  S3BlobTier(Env& env, std::unique_ptr<Client> client, BucketUrl url,
             std::unique_ptr<BlobCache> cache);

  // The client from the URL and the environment's credentials
  // (AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN), and a
  // HEAD of the bucket, so a wrong endpoint, bucket or key fails at open.
  static Result<std::unique_ptr<S3BlobTier>> Open(Env& env, const BucketUrl& url,
                                                  std::unique_ptr<BlobCache> cache);

  Result<Published> Publish(const Digest& digest, int64_t size, const LocalFile& source,
                            Mode mode) override;
  Status SyncPublished(Algorithm) override { return Status::OK(); }
  Result<struct stat> Stat(const Digest& digest) override;
  Result<std::unique_ptr<Reader>> Open(const Digest& digest, int64_t size) override;
  Status Retire(const Digest& digest) override;
  // A DELETE takes a few milliseconds on a nearby server: eight keep the
  // write lock held for tens of milliseconds.
  size_t RetiresPerTransaction() const override { return 8; }
  Status Purge(const std::vector<Digest>&) override { return Status::OK(); }
  Status PurgeAllRetired() override { return Status::OK(); }
  Status Withdraw(const Digest& digest, const LocalFile& target) override;
  Status Unlink(const Digest& digest, const LocalFile& source) override;
  Status List(const Visitor& visitor) override;
  Result<std::string> MoveAside(const std::string& path) override;
  std::string Where(const Digest& digest) const override;

  // Ingests are multipart uploads at PREFIX/ingests/<id> (id: the ingest's
  // directory name), assembled there at commit and copied on the server to
  // the blob's key.
  IngestUploads* ingest_uploads() override { return this; }
  int64_t min_part_bytes() const override { return 5 << 20; }
  Result<std::string> Start(const std::string& id) override;
  Result<std::string> PutPart(const std::string& id, const std::string& upload_id, int number,
                              int fd, int64_t offset, int64_t size,
                              const std::string& path) override;
  Result<std::vector<int>> PartNumbers(const std::string& id,
                                       const std::string& upload_id) override;
  Result<Published> Publish(const Digest& digest, int64_t size, const std::string& id,
                            const std::string& upload_id,
                            std::span<const UploadedPart> parts) override;
  Status Discard(const std::string& id, const std::string& upload_id) override;
  Result<std::vector<StartedUpload>> ListUploads() override;
  std::string WhereUpload(const std::string& id) const override { return UrlOf(IngestKeyOf(id)); }

  const BucketUrl& url() const { return url_; }
  Client& client() { return *client_; }

 private:
  std::string KeyOf(const Digest& digest) const;
  std::string IngestKeyOf(const std::string& id) const;
  std::string UrlOf(const std::string& key) const;
  Status UploadFile(const std::string& key, int64_t size, int fd, const std::string& path);

  Env& env_;
  std::unique_ptr<Client> client_;
  const BucketUrl url_;
  std::unique_ptr<BlobCache> cache_;
};

}  // namespace contentstore::s3

#endif  // CONTENTSTORE_SRC_S3_S3_BLOB_TIER_H_
