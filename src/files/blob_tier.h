// BlobTier: where committed blob bytes live, as the store's protocols need
// them: publish a verified file under its digest, make publishing durable,
// look at a blob, read it, take it out of the tier, list the tier.
//
// The catalog decides what is committed; a tier only holds bytes. Every
// operation is idempotent enough for the protocols to redo it after a crash
// (store/commit.cc, store/file_reaper.h, store/batch.cc).
//
// The one tier today is LocalBlobFiles, the tree ROOT/blobs/<alg>/<hex>
// (local_blob_files.h). An object store would be another.
//
// Thread-safety: implementations are thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_BLOB_TIER_H_
#define CONTENTSTORE_SRC_FILES_BLOB_TIER_H_

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/reader.h"
#include "contentstore/status.h"

namespace contentstore {

// A local file to publish: `name` in the directory open at `dir_fd`.
class IngestUploads;  // files/ingest_uploads.h

struct LocalFile {
  int dir_fd = -1;
  std::string name;
  std::string path;  // for messages
};

class BlobTier {
 public:
  virtual ~BlobTier() = default;

  enum class Published {
    kMoved,     // the source became the blob (it is gone from its directory)
    kLinked,    // the source became the blob and keeps its own name too
    kExisting,  // a complete blob was there already; the source is untouched
  };
  enum class Mode { kMove, kLink };
  // Puts `source`, whose bytes hash to `digest` and are durable, in place as
  // that blob. A complete blob already there (the right size) is kept; a
  // damaged one is replaced. Not durable until SyncPublished.
  virtual Result<Published> Publish(const Digest& digest, int64_t size, const LocalFile& source,
                                    Mode mode) = 0;
  // Makes every publication so far of `algorithm` blobs durable (grouped
  // across threads). Nothing when the store does not sync.
  virtual Status SyncPublished(Algorithm algorithm) = 0;

  // What is there under `digest`, without following links: NotFound when
  // nothing is.
  virtual Result<struct stat> Stat(const Digest& digest) = 0;
  // True when a regular file of exactly `size` bytes is there.
  Result<bool> Holds(const Digest& digest, int64_t size);

  // Positional reads of the blob, which the catalog says has `size` bytes.
  // NotFound when absent; DataLoss when what is there is not a regular file
  // of that size.
  virtual Result<std::unique_ptr<Reader>> Open(const Digest& digest, int64_t size) = 0;

  // Takes the blob out of the tier's name space at once (cheap enough to run
  // inside a catalog transaction); NotFound when absent. Its bytes go when
  // it is purged.
  virtual Status Retire(const Digest& digest) = 0;
  // How many Retire calls one catalog transaction should make: the caller
  // holds the catalog's write lock meanwhile, so a tier whose Retire is a
  // network request takes fewer per transaction.
  virtual size_t RetiresPerTransaction() const { return 256; }
  // Frees the bytes of blobs this process retired.
  virtual Status Purge(const std::vector<Digest>& retired) = 0;
  // Frees whatever is retired, a crash's leftovers included. Entries that
  // are not retired blobs are left alone (fsck reports them).
  virtual Status PurgeAllRetired() = 0;

  // Puts a blob that no catalog row names back into a local file (undoing a
  // commit that died before its catalog transaction). NotFound when absent.
  virtual Status Withdraw(const Digest& digest, const LocalFile& target) = 0;

  // Undoes Publish(kLink) of `source`: removes the blob only if it is still
  // that very file. Missing is fine.
  virtual Status Unlink(const Digest& digest, const LocalFile& source) = 0;

  // Calls `blob` for each blob in the tier, `stray` for each entry that is
  // not one (with what is wrong), in digest order.
  struct Visitor {
    std::function<Status(const Digest& digest, const struct stat& st, const std::string& path)>
        blob;
    std::function<Status(const std::string& path, std::string_view why)> stray;
  };
  virtual Status List(const Visitor& visitor) = 0;

  // Moves an entry the tier did not put there (a path List reported, or a
  // blob's path holding something that is not a blob file) out of the tier,
  // to where a person can look at it; returns where it went.
  virtual Result<std::string> MoveAside(const std::string& path) = 0;

  // Where the blob lives, for messages.
  virtual std::string Where(const Digest& digest) const = 0;

  // Non-null when ingests go to this tier while they are written (an object
  // store); null when they stay local until commit.
  virtual IngestUploads* ingest_uploads() { return nullptr; }
};

// Hashes a stored blob of `size` bytes with its digest's algorithm, through
// the tier; `progress` (may be empty) gets the bytes as they go.
Result<Digest> HashStoredBlob(BlobTier& blobs, const Digest& digest, int64_t size,
                              const std::function<void(int64_t)>& progress);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_BLOB_TIER_H_
