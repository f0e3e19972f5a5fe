// Digest: the name of a blob, "<algorithm>:<lowercase hex>".
//
// Only sha256, sha384 and sha512 are accepted, with lowercase hex of exactly
// the algorithm's length (64, 96, 128 characters), as go-digest validates them.
// A Digest that exists is valid: Parse() is the only way to build one from
// text, and it says InvalidArgument for anything else.
//
// Digester hashes a stream of bytes (OpenSSL underneath).
//
// Thread-safety: Digest is an immutable value. A Digester needs external
// locking when shared.

#ifndef CONTENTSTORE_DIGEST_H_
#define CONTENTSTORE_DIGEST_H_

#include <compare>
#include <cstddef>
#include <memory>
#include <span>
#include <string>
#include <string_view>

#include "contentstore/status.h"

namespace contentstore {

enum class Algorithm { kSHA256, kSHA384, kSHA512 };

// "sha256", "sha384", "sha512".
std::string_view AlgorithmName(Algorithm algorithm);
// InvalidArgument for anything but the three names above.
Result<Algorithm> ParseAlgorithm(std::string_view name);
// Length of the hex encoding: 64, 96 or 128.
size_t HexLength(Algorithm algorithm);

class Digest {
 public:
  // Validates "alg:hex". InvalidArgument names the input and what is wrong.
  static Result<Digest> Parse(std::string_view text);

  // The digest of zero bytes under `algorithm`.
  static Digest OfEmpty(Algorithm algorithm = Algorithm::kSHA256);

  Algorithm algorithm() const { return algorithm_; }
  // Lowercase hex, without the algorithm.
  const std::string& hex() const { return hex_; }
  // "sha256:<hex>".
  std::string str() const;

  friend bool operator==(const Digest&, const Digest&) = default;
  // Orders as str() does, without building the strings.
  friend auto operator<=>(const Digest& a, const Digest& b) {
    if (auto c = a.algorithm_ <=> b.algorithm_; c != 0) return c;
    return a.hex_ <=> b.hex_;
  }

 private:
  Digest(Algorithm algorithm, std::string hex) : algorithm_(algorithm), hex_(std::move(hex)) {}
  // For hashes the library computed itself, which need no validation.
  friend Digest MakeDigestUnchecked(Algorithm algorithm, std::string hex);

  Algorithm algorithm_ = Algorithm::kSHA256;
  std::string hex_;
};

// Streams bytes through a hash. Cheap to create; reuse with reset().
class Digester {
 public:
  explicit Digester(Algorithm algorithm = Algorithm::kSHA256);
  ~Digester();
  Digester(const Digester&);
  Digester& operator=(const Digester&);
  Digester(Digester&&) noexcept;
  Digester& operator=(Digester&&) noexcept;

  Algorithm algorithm() const;
  void update(std::span<const std::byte> data);
  void update(std::string_view data);
  // The digest of everything given so far. Does not end the stream: more
  // update() calls may follow.
  Digest digest() const;
  // Back to the digest of zero bytes.
  void reset();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_DIGEST_H_
