// BlobCache: a local copy of remote blobs, ROOT/cache/<alg>/<hex>, bounded
// in bytes and evicted least recently used first.
//
// Blobs never change under their digest, so a cached copy needs no
// invalidation: what is cached is checked once, when it is filled (its bytes
// must hash to its digest before it is renamed into place), and is right for
// as long as it stays. A blob removed from the store may stay cached until
// evicted; the store never reads it without a catalog row naming it.
//
// Recency is the file's modification time, set on every hit, so processes
// sharing the directory share one order. Eviction runs after each fill: it
// lists the directory and removes the oldest files until the total fits.
// Several processes may fill and evict at once: a fill is a temporary file
// renamed into place, an eviction an unlink, and a reader keeps reading a
// file it opened after it is unlinked.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_FILES_BLOB_CACHE_H_
#define CONTENTSTORE_SRC_FILES_BLOB_CACHE_H_

#include <sys/stat.h>

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

#include "contentstore/digest.h"
#include "contentstore/env.h"
#include "contentstore/reader.h"
#include "contentstore/status.h"

namespace contentstore {

class BlobCache {
 public:
  // `dir` is created on first fill. `capacity_bytes` > 0.
  BlobCache(Env& env, std::string dir, int64_t capacity_bytes);

  // Whether a blob of `size` bytes is worth caching: at most a quarter of
  // the capacity, so one large read cannot empty the cache.
  bool Admits(int64_t size) const { return size > 0 && size <= capacity_ / 4; }

  // The cached blob, or nullopt when it is not cached (or cached with
  // another size, which is removed).
  Result<std::optional<std::unique_ptr<Reader>>> Find(const Digest& digest, int64_t size);

  // Writes the blob through `fetch` (which calls its argument with the
  // blob's bytes in order) into a temporary file, checks size and digest,
  // renames it into place and evicts what no longer fits. Returns a reader
  // of the cached copy. DataLoss when the bytes do not match the digest.
  using Sink = std::function<Status(std::string_view bytes)>;
  Result<std::unique_ptr<Reader>> Fill(const Digest& digest, int64_t size,
                                       const std::function<Status(const Sink&)>& fetch);

  // Drops the cached copy, if any.
  void Forget(const Digest& digest);

  // Total bytes of cached blobs (a directory listing).
  Result<int64_t> TotalBytes();

 private:
  std::string AlgDir(Algorithm algorithm) const;  // DIR/<alg>
  std::string PathOf(const Digest& digest) const;
  Status EnsureDirs(Algorithm algorithm);
  // Calls `fn` for each file in the cache's <alg>/ directories.
  Status ForEachFile(const std::function<void(const std::string& name, const std::string& path,
                                              const struct stat& st)>& fn);
  Status Evict();

  Env& env_;
  const std::string dir_;
  const int64_t capacity_;
  std::mutex evict_mu_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_FILES_BLOB_CACHE_H_
