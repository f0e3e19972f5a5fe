// The benchmark content generator; see content.h for the byte layout, which
// must stay identical to the containerd harness's.

#include "content.h"

#include <algorithm>
#include <cstring>

namespace contentstore::bench {
namespace {

constexpr uint64_t kGamma = 0x9e3779b97f4a7c15ULL;

uint64_t Mix(uint64_t z) {
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

void PutLittleEndian(std::byte* out, uint64_t v, size_t n) {
  for (size_t k = 0; k < n; ++k) out[k] = static_cast<std::byte>(v >> (8 * k));
}

}  // namespace

uint64_t SplitMix64::next() {
  x_ += kGamma;
  return Mix(x_);
}

uint64_t SplitMix64::At(uint64_t seed, uint64_t steps) { return Mix(seed + (steps + 1) * kGamma); }

void SplitMix64::fill(std::span<std::byte> out) {
  size_t i = 0;
  for (; i + 8 <= out.size(); i += 8) PutLittleEndian(out.data() + i, next(), 8);
  if (i < out.size()) PutLittleEndian(out.data() + i, next(), out.size() - i);
}

void PutIndex(std::span<std::byte> out, uint64_t v) {
  PutLittleEndian(out.data(), v, std::min<size_t>(8, out.size()));
}

SmallSet::SmallSet(int n, int size, uint64_t seed, std::string_view ref_prefix)
    : size_(size), data_(static_cast<size_t>(n) * size) {
  SplitMix64(seed).fill(data_);
  digests_.reserve(n);
  refs_.reserve(n);
  Digester digester;
  for (int i = 0; i < n; ++i) {
    std::span<std::byte> b =
        std::span<std::byte>(data_).subspan(static_cast<size_t>(i) * size, size);
    PutIndex(b, static_cast<uint64_t>(i));
    digester.reset();
    digester.update(b);
    digests_.push_back(digester.digest());
    refs_.push_back(std::string(ref_prefix) + std::to_string(i));
  }
}

void SmallBlob(uint64_t seed, int64_t i, std::span<std::byte> out) {
  // The blob starts at byte i*size of the stream: inside word `step`, at
  // byte `skip` of it.
  const uint64_t start = static_cast<uint64_t>(i) * out.size();
  uint64_t step = start / 8;
  size_t skip = start % 8;
  size_t pos = 0;
  while (pos < out.size()) {
    std::byte word[8];
    PutLittleEndian(word, SplitMix64::At(seed, step++), 8);
    const size_t take = std::min(out.size() - pos, 8 - skip);
    std::memcpy(out.data() + pos, word + skip, take);
    pos += take;
    skip = 0;
  }
  PutIndex(out, static_cast<uint64_t>(i));
}

Stream::Stream(int64_t total, int chunk, int64_t pattern_bytes, uint64_t seed)
    : chunk_(chunk), total_(total) {
  int64_t slots = std::max<int64_t>(1, pattern_bytes / chunk);
  slots = std::max<int64_t>(1, std::min(slots, nchunks()));
  pattern_.resize(static_cast<size_t>(slots * chunk));
  SplitMix64(seed).fill(pattern_);
}

std::span<const std::byte> Stream::get(int64_t i) {
  const int64_t slots = static_cast<int64_t>(pattern_.size()) / chunk_;
  const int64_t off = (i % slots) * chunk_;
  const int64_t n = std::min<int64_t>(chunk_, total_ - i * chunk_);
  std::span<std::byte> b = std::span<std::byte>(pattern_).subspan(off, n);
  PutIndex(b, static_cast<uint64_t>(i));
  return b;
}

Digest Stream::digest() {
  Digester digester;
  for (int64_t i = 0; i < nchunks(); ++i) digester.update(get(i));
  return digester.digest();
}

std::vector<std::byte> Stream::tail(int64_t from) {
  std::vector<std::byte> out;
  out.reserve(static_cast<size_t>(std::max<int64_t>(0, total_ - from)));
  for (int64_t pos = from; pos < total_;) {
    const int64_t ci = pos / chunk_;
    std::span<const std::byte> c = get(ci);
    const int64_t within = pos - ci * chunk_;
    out.insert(out.end(), c.begin() + within, c.end());
    pos += static_cast<int64_t>(c.size()) - within;
  }
  return out;
}

}  // namespace contentstore::bench
