#include "util/hasher.h"

// The SHA*_Init/Update/Final functions are deprecated in OpenSSL 3 in favour of
// EVP, which has no way to export a hash state (see hasher.h).
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>

#include <cstring>

#include "util/digest_internal.h"

namespace contentstore {
namespace {

static_assert(sizeof(SHA256_CTX) <= 224 && sizeof(SHA512_CTX) <= 224);

SHA256_CTX* Ctx256(unsigned char* raw) { return reinterpret_cast<SHA256_CTX*>(raw); }
SHA512_CTX* Ctx512(unsigned char* raw) { return reinterpret_cast<SHA512_CTX*>(raw); }

size_t ContextSize(Algorithm algorithm) {
  return algorithm == Algorithm::kSHA256 ? sizeof(SHA256_CTX) : sizeof(SHA512_CTX);
}

// Saved state layout, all little endian:
//   "CSH1" | algorithm (1 byte) | byte count (8) | context | checksum (8)
// The checksum is the first 8 bytes of SHA-256 over everything before it: a
// damaged state must never be mistaken for a good one, because it would make
// commit() name the blob with a digest its bytes do not have.
constexpr std::string_view kMagic = "CSH1";

uint64_t Checksum(std::string_view bytes) {
  unsigned char md[SHA256_DIGEST_LENGTH];
  SHA256(reinterpret_cast<const unsigned char*>(bytes.data()), bytes.size(), md);
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | md[i];
  return v;
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

uint64_t GetU64(std::string_view in) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | static_cast<unsigned char>(in[i]);
  return v;
}

}  // namespace

Hasher::Hasher(Algorithm algorithm) : algorithm_(algorithm) { reset(); }

void Hasher::reset() {
  std::memset(context_, 0, sizeof(context_));
  bytes_ = 0;
  switch (algorithm_) {
    case Algorithm::kSHA256: SHA256_Init(Ctx256(context_)); break;
    case Algorithm::kSHA384: SHA384_Init(Ctx512(context_)); break;
    case Algorithm::kSHA512: SHA512_Init(Ctx512(context_)); break;
  }
}

void Hasher::update(const void* data, size_t size) {
  switch (algorithm_) {
    case Algorithm::kSHA256: SHA256_Update(Ctx256(context_), data, size); break;
    case Algorithm::kSHA384: SHA384_Update(Ctx512(context_), data, size); break;
    case Algorithm::kSHA512: SHA512_Update(Ctx512(context_), data, size); break;
  }
  bytes_ += static_cast<int64_t>(size);
}

Digest Hasher::digest() const {
  alignas(16) unsigned char copy[kContextSize];
  std::memcpy(copy, context_, sizeof(copy));
  unsigned char md[SHA512_DIGEST_LENGTH];
  size_t len = 0;
  switch (algorithm_) {
    case Algorithm::kSHA256: SHA256_Final(md, Ctx256(copy)); len = SHA256_DIGEST_LENGTH; break;
    case Algorithm::kSHA384: SHA384_Final(md, Ctx512(copy)); len = SHA384_DIGEST_LENGTH; break;
    case Algorithm::kSHA512: SHA512_Final(md, Ctx512(copy)); len = SHA512_DIGEST_LENGTH; break;
  }
  return MakeDigestUnchecked(algorithm_, HexEncode(md, len));
}

std::string Hasher::save() const {
  std::string out(kMagic);
  out.push_back(static_cast<char>(algorithm_));
  PutU64(out, static_cast<uint64_t>(bytes_));
  out.append(reinterpret_cast<const char*>(context_), ContextSize(algorithm_));
  PutU64(out, Checksum(out));
  return out;
}

Result<Hasher> Hasher::Restore(Algorithm algorithm, std::string_view state,
                               int64_t expected_bytes) {
  const size_t want = kMagic.size() + 1 + 8 + ContextSize(algorithm) + 8;
  if (state.size() != want || state.substr(0, kMagic.size()) != kMagic) {
    return Status::DataLoss("saved hash state has the wrong format");
  }
  if (Checksum(state.substr(0, want - 8)) != GetU64(state.substr(want - 8))) {
    return Status::DataLoss("saved hash state fails its checksum");
  }
  if (static_cast<unsigned char>(state[kMagic.size()]) != static_cast<unsigned char>(algorithm)) {
    return Status::DataLoss("saved hash state is for another algorithm");
  }
  const auto bytes = static_cast<int64_t>(GetU64(state.substr(kMagic.size() + 1)));
  if (bytes != expected_bytes) {
    return Status::DataLoss("saved hash state covers " + std::to_string(bytes) +
                            " bytes, the checkpoint says " + std::to_string(expected_bytes));
  }
  Hasher h(algorithm);
  std::memcpy(h.context_, state.data() + kMagic.size() + 9, ContextSize(algorithm));
  h.bytes_ = bytes;
  return h;
}

std::string HexEncode(const unsigned char* data, size_t size) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out(size * 2, '\0');
  for (size_t i = 0; i < size; ++i) {
    out[2 * i] = kHex[data[i] >> 4];
    out[2 * i + 1] = kHex[data[i] & 0xf];
  }
  return out;
}

}  // namespace contentstore
