// Copies one blob into the store the way every import does: under the
// import's lease, through writer() and commit() with the expected digest and
// size, on the deterministic ref "import-<digest>" so that an interrupted
// import resumes the ingest where it stopped. A blob the store has is not
// copied again.
//
// Thread-safety: as the Store; a ByteSource is one caller's.

#ifndef CONTENTSTORE_SRC_OCI_BLOB_INGEST_H_
#define CONTENTSTORE_SRC_OCI_BLOB_INGEST_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "contentstore/store.h"

namespace contentstore::oci {

// The bytes of one blob, read from their start.
class ByteSource {
 public:
  ByteSource() = default;
  ByteSource(const ByteSource&) = delete;
  ByteSource& operator=(const ByteSource&) = delete;
  virtual ~ByteSource() = default;
  // Up to buf.size() bytes; fewer only at the end.
  virtual Result<size_t> Read(std::span<std::byte> buf) = 0;
  // Moves past the next `n` bytes (a resumed ingest holds them already).
  virtual Status Skip(int64_t n) = 0;
};

// "import-<alg>:<hex>".
std::string IngestRef(const Digest& digest);

// Puts `digest` under `lease` and says whether the store has it with `size`
// bytes (false when it has not; FailedPrecondition when it has another
// size).
Result<bool> HoldExisting(Store& store, const std::string& lease, const Digest& digest,
                          int64_t size);

// Stores `size` bytes of `source` as `digest` under `lease`, unless the
// store has it already. True when bytes were copied. A source that does not
// hash to `digest` or holds another size is FailedPrecondition, and its
// ingest is aborted (it could never commit). An I/O failure leaves the
// ingest to be resumed.
// REQUIRES: `source` is at the blob's first byte.
Result<bool> IngestBlob(Store& store, const std::string& lease, const Digest& digest, int64_t size,
                        ByteSource& source, std::string_view source_name);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_BLOB_INGEST_H_
