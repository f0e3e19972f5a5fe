#include "files/blob_tier.h"

#include <vector>

#include "util/hasher.h"

namespace contentstore {

Result<Digest> HashStoredBlob(BlobTier& blobs, const Digest& digest, int64_t size,
                              const std::function<void(int64_t)>& progress) {
  auto reader = blobs.Open(digest, size);
  if (!reader.ok()) return reader.status();
  Hasher hasher(digest.algorithm());
  std::vector<std::byte> buf(1 << 20);
  for (int64_t off = 0;;) {
    auto n = (*reader)->read_at(off, buf);
    if (!n.ok()) return n.status();
    if (*n == 0) break;
    hasher.update(buf.data(), *n);
    off += static_cast<int64_t>(*n);
    if (progress) progress(static_cast<int64_t>(*n));
  }
  return hasher.digest();
}

}  // namespace contentstore
