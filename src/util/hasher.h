// Hasher: a streaming SHA-2 hash whose state can be saved and restored, so a
// resumed ingest continues hashing where the last checkpoint stopped instead
// of reading its whole data file again.
//
// OpenSSL's EVP interface cannot export a digest's state, so this uses the
// SHA256_CTX / SHA512_CTX functions of libcrypto directly: the same
// implementation (including the CPU's SHA instructions) that EVP calls.
//
// Thread-safety: one thread at a time per object.

#ifndef CONTENTSTORE_SRC_HASHER_H_
#define CONTENTSTORE_SRC_HASHER_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "contentstore/digest.h"
#include "contentstore/status.h"

namespace contentstore {

class Hasher {
 public:
  explicit Hasher(Algorithm algorithm = Algorithm::kSHA256);

  Algorithm algorithm() const { return algorithm_; }
  // Bytes hashed since construction or reset().
  int64_t bytes() const { return bytes_; }

  void update(const void* data, size_t size);
  // The digest of the bytes so far; the stream may continue.
  Digest digest() const;
  void reset();

  // The state as bytes, for the catalog's ingests.hash_state column. The
  // format carries the algorithm, the byte count and a checksum.
  std::string save() const;
  // Rebuilds a Hasher from save()'s output. DataLoss when the bytes are not a
  // saved state of `algorithm` covering exactly `expected_bytes` bytes.
  static Result<Hasher> Restore(Algorithm algorithm, std::string_view state,
                                int64_t expected_bytes);

 private:
  // Large enough for SHA512_CTX (which SHA-384 uses too); checked in hasher.cc.
  static constexpr size_t kContextSize = 224;

  Algorithm algorithm_;
  int64_t bytes_ = 0;
  alignas(16) unsigned char context_[kContextSize];
};

// The lowercase hex of `size` bytes.
std::string HexEncode(const unsigned char* data, size_t size);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_HASHER_H_
