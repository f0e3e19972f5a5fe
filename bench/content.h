// Benchmark content: the bytes contentstore-bench commits, identical byte for
// byte to what the containerd peer harness (shared/peer/containerd/main.go)
// commits, so that both programs store blobs with the same digests and the
// comparison is of stores, not of inputs.
//
// The generator is splitmix64 (x += 0x9e3779b97f4a7c15, then the standard
// mix), 8 bytes per step, little endian; a stream of n bytes uses the first
// bytes of the last word when n is not a multiple of 8.
//  - SmallSet: n blobs of `size` bytes cut from one stream seeded `seed`;
//    blob i has its first 8 bytes replaced by uint64(i) little endian.
//  - Stream: `total` bytes delivered in chunks of `chunk` bytes; chunk i is
//    pattern[(i mod slots) * chunk:] with its first 8 bytes set to uint64(i),
//    where the pattern (at most `pattern_bytes`, a whole number of chunks) is
//    filled from a stream seeded `seed`. The last chunk may be short.
// With the harness's defaults, small blob 0 of seed 1 is
// sha256:52423d4c... and the 1 GiB large stream of seed 1001 is
// sha256:1c7cdb69... (kSmallBlob0Digest, kLargeDigest; checked by
// `contentstore-bench --self-test`).
//
// Thread-safety: SmallSet is read-only after construction. Stream::get
// writes into the pattern, so a Stream is used by one thread at a time.

#ifndef CONTENTSTORE_BENCH_CONTENT_H_
#define CONTENTSTORE_BENCH_CONTENT_H_

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/digest.h"

namespace contentstore::bench {

inline constexpr int64_t kMiB = int64_t{1} << 20;

// The digests the harness's README gives for its default flags.
inline constexpr std::string_view kSmallBlob0Digest =
    "sha256:52423d4cb557d064ce6e2a42d9916cbaea345610b5ec1f002c1280cdf35fdd62";
inline constexpr std::string_view kLargeDigest =
    "sha256:1c7cdb69e8ab478a29c6e6c03a77d601a7eaa128ceeea438860445d10b078679";

class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : x_(seed) {}

  uint64_t next();
  // Writes the stream into `out`, 8 bytes per step little endian; a short
  // tail takes the first bytes of one more step.
  void fill(std::span<std::byte> out);

  // The value next() returns after `steps` earlier calls on a stream seeded
  // `seed`, without generating those steps (the state is seed + k * gamma).
  static uint64_t At(uint64_t seed, uint64_t steps);

 private:
  uint64_t x_;
};

// Stores v little endian into the first min(8, out.size()) bytes of `out`.
void PutIndex(std::span<std::byte> out, uint64_t v);

// n small blobs held in memory, with their digests and refs
// ("<ref_prefix><i>"). REQUIRES: size >= 8.
class SmallSet {
 public:
  SmallSet(int n, int size, uint64_t seed, std::string_view ref_prefix);

  int n() const { return static_cast<int>(digests_.size()); }
  int size() const { return size_; }
  std::span<const std::byte> blob(int i) const {
    return std::span<const std::byte>(data_).subspan(static_cast<size_t>(i) * size_, size_);
  }
  const Digest& digest(int i) const { return digests_[i]; }
  const std::string& ref(int i) const { return refs_[i]; }

 private:
  int size_;
  std::vector<std::byte> data_;
  std::vector<Digest> digests_;
  std::vector<std::string> refs_;
};

// Blob i of the SmallSet (n, size, seed) without building the set: for stores
// too large to hold in memory. REQUIRES: out.size() == size >= 8.
void SmallBlob(uint64_t seed, int64_t i, std::span<std::byte> out);

// A large deterministic stream delivered in chunks. REQUIRES: chunk >= 8,
// total >= 0.
class Stream {
 public:
  Stream(int64_t total, int chunk, int64_t pattern_bytes, uint64_t seed);

  int64_t total() const { return total_; }
  int chunk() const { return chunk_; }
  int64_t nchunks() const { return (total_ + chunk_ - 1) / chunk_; }
  // Chunk i: a view into the pattern, valid until the next get().
  std::span<const std::byte> get(int64_t i);
  // The digest of the whole stream (hashes it all).
  Digest digest();
  // Bytes [from, total) of the stream, as one buffer.
  std::vector<std::byte> tail(int64_t from);

 private:
  std::vector<std::byte> pattern_;
  int chunk_;
  int64_t total_;
};

}  // namespace contentstore::bench

#endif  // CONTENTSTORE_BENCH_CONTENT_H_
