// Layout: every path in a store root is built and parsed here (LevelDB's
// db/filename.h idea), so the commit protocol, recovery, GC and fsck agree on
// what lives where:
//
//   ROOT/catalog.db                 the SQLite catalog (+ -wal, -shm)
//   ROOT/blobs/<alg>/<hex>          committed blobs, read-only (OCI image layout)
//   ROOT/ingest/<id>/data           bytes of an ingest in progress
//   ROOT/ingest/<id>/commit         while committing, where the file system has no
//                                   user xattrs: symlink to "<alg>/<hex>"
//   ROOT/ingest/.spare-<inst>-<n>/  an ended ingest's empty directory, kept for
//                                   the next (files/ingest_dirs.h)
//   ROOT/trash/<alg>-<hex>          files of deleted blobs on their way out
//   ROOT/batches/<token>/<alg>-<hex> blobs staged by Store::put_blobs
//   ROOT/lost+found/                what fsck --repair moved out of the way
//   ROOT/reserve                    space set aside for freeing a full disk
//   ROOT/oci-layout                 {"imageLayoutVersion":"1.0.0"} (OCI image layout)
//   ROOT/index.json                 OCI image index: one descriptor per image name
//   ROOT/index.json.lock            flock serializing rewrites of index.json
//   ROOT/index.json.tmp             index.json being rewritten (under that lock)
//   ROOT/contentstore.sock (+.lock) `contentstore serve`'s default socket
//
// <id> is the SHA-256 of the ref in hex: refs may contain '/' and "..", and
// a fixed-length name is safe for any of them.
//
// Thread-safety: immutable after construction.

#ifndef CONTENTSTORE_SRC_LAYOUT_H_
#define CONTENTSTORE_SRC_LAYOUT_H_

#include <string>
#include <string_view>

#include "contentstore/digest.h"
#include "contentstore/status.h"

namespace contentstore {

class Layout {
 public:
  explicit Layout(std::string root);

  static constexpr std::string_view kCatalogFile = "catalog.db";
  static constexpr std::string_view kBlobsDir = "blobs";
  static constexpr std::string_view kIngestDir = "ingest";
  static constexpr std::string_view kTrashDir = "trash";
  static constexpr std::string_view kBatchesDir = "batches";
  static constexpr std::string_view kLostFoundDir = "lost+found";
  static constexpr std::string_view kReserveFile = "reserve";
  static constexpr std::string_view kOciLayoutFile = "oci-layout";
  static constexpr std::string_view kIndexFile = "index.json";
  static constexpr std::string_view kIndexLockFile = "index.json.lock";
  static constexpr std::string_view kIndexTempFile = "index.json.tmp";
  // Where the blobs live when not in blobs/ (store/blob_tier_choice.h), and
  // the local read cache of remote blobs (files/blob_cache.h).
  static constexpr std::string_view kBlobLocationFile = "blobs-location";
  // This root's id among nodes sharing a catalog (store/node_id.h).
  static constexpr std::string_view kNodeIdFile = "node-id";
  static constexpr std::string_view kCacheDir = "cache";
  // `contentstore serve`'s default socket, and its lock ("<socket>.lock").
  static constexpr std::string_view kServeSocket = "contentstore.sock";
  static constexpr const char* kDataFile = "data";
  static constexpr const char* kCommitMarker = "commit";

  const std::string& root() const { return root_; }
  std::string catalog_path() const;
  std::string blobs_dir() const;                   // ROOT/blobs
  std::string blob_dir(Algorithm algorithm) const;  // ROOT/blobs/<alg>
  std::string blob_path(const Digest& digest) const;
  std::string ingest_root() const;                 // ROOT/ingest
  std::string ingest_dir(std::string_view id) const;
  std::string trash_dir() const;                   // ROOT/trash
  std::string batches_dir() const;                 // ROOT/batches
  std::string lost_found_dir() const;              // ROOT/lost+found
  std::string reserve_path() const;                // ROOT/reserve
  std::string oci_layout_path() const;             // ROOT/oci-layout
  std::string index_path() const;                  // ROOT/index.json

  // The directory name of the ingest under `ref`.
  static std::string IngestId(std::string_view ref);

  // "<alg>/<hex>": the commit marker's target, relative to ROOT/blobs.
  static std::string BlobRelativePath(const Digest& digest);
  // Inverse of BlobRelativePath; InvalidArgument for anything else.
  static Result<Digest> ParseBlobRelativePath(std::string_view path);

 private:
  std::string root_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_LAYOUT_H_
