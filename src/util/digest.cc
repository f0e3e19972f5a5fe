#include "contentstore/digest.h"

#include <array>

#include <fmt/format.h>

#include "util/digest_internal.h"
#include "util/hasher.h"
#include "util/text.h"

namespace contentstore {

std::string_view AlgorithmName(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSHA256: return "sha256";
    case Algorithm::kSHA384: return "sha384";
    case Algorithm::kSHA512: return "sha512";
  }
  return "unknown";
}

Result<Algorithm> ParseAlgorithm(std::string_view name) {
  if (name == "sha256") return Algorithm::kSHA256;
  if (name == "sha384") return Algorithm::kSHA384;
  if (name == "sha512") return Algorithm::kSHA512;
  return Status::InvalidArgument(fmt::format(
      "unsupported digest algorithm \"{}\" (want sha256, sha384 or sha512)", Printable(name)));
}

size_t HexLength(Algorithm algorithm) {
  switch (algorithm) {
    case Algorithm::kSHA256: return 64;
    case Algorithm::kSHA384: return 96;
    case Algorithm::kSHA512: return 128;
  }
  return 0;
}

Digest MakeDigestUnchecked(Algorithm algorithm, std::string hex) {
  return Digest(algorithm, std::move(hex));
}

namespace {

// Every digest read from the catalog passes through here (a walk parses one
// per blob): a table, not a chain of comparisons per character.
bool IsLowerHex(std::string_view text) {
  static constexpr auto kTable = [] {
    std::array<bool, 256> table{};
    for (char c = '0'; c <= '9'; ++c) table[static_cast<unsigned char>(c)] = true;
    for (char c = 'a'; c <= 'f'; ++c) table[static_cast<unsigned char>(c)] = true;
    return table;
  }();
  bool ok = true;
  for (char c : text) ok &= kTable[static_cast<unsigned char>(c)];
  return ok;
}

}  // namespace

Result<Digest> Digest::Parse(std::string_view text) {
  auto invalid = [&](std::string_view why) {
    return Status::InvalidArgument(fmt::format("invalid digest \"{}\": {}", Printable(text), why));
  };
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return invalid("want <algorithm>:<hex>");
  if (colon == 0) return invalid("missing algorithm before ':'");
  auto algorithm = ParseAlgorithm(text.substr(0, colon));
  if (!algorithm.ok()) return invalid(algorithm.status().message());
  const std::string_view hex = text.substr(colon + 1);
  if (hex.size() != HexLength(*algorithm)) {
    return invalid(fmt::format("{} needs {} hex characters, got {}", AlgorithmName(*algorithm),
                               HexLength(*algorithm), hex.size()));
  }
  if (!IsLowerHex(hex)) return invalid("hex must be lowercase 0-9a-f");
  return Digest(*algorithm, std::string(hex));
}

// Every default-constructed Info and Descriptor starts from this digest: hash
// the empty input once per algorithm, not once per value (it showed up at
// 2% of a walk's profile).
Digest Digest::OfEmpty(Algorithm algorithm) {
  static const std::array<Digest, 3> kEmpty = {Hasher(Algorithm::kSHA256).digest(),
                                               Hasher(Algorithm::kSHA384).digest(),
                                               Hasher(Algorithm::kSHA512).digest()};
  return kEmpty[static_cast<size_t>(algorithm)];
}

std::string Digest::str() const {
  std::string out(AlgorithmName(algorithm_));
  out.reserve(out.size() + 1 + hex_.size());
  out += ':';
  out += hex_;
  return out;
}

struct Digester::Impl {
  explicit Impl(Algorithm a) : hasher(a) {}
  Hasher hasher;
};

Digester::Digester(Algorithm algorithm) : impl_(std::make_unique<Impl>(algorithm)) {}
Digester::~Digester() = default;
Digester::Digester(const Digester& other) : impl_(std::make_unique<Impl>(*other.impl_)) {}
Digester& Digester::operator=(const Digester& other) {
  if (this != &other) impl_ = std::make_unique<Impl>(*other.impl_);
  return *this;
}
Digester::Digester(Digester&&) noexcept = default;
Digester& Digester::operator=(Digester&&) noexcept = default;

Algorithm Digester::algorithm() const { return impl_->hasher.algorithm(); }
void Digester::update(std::span<const std::byte> data) {
  impl_->hasher.update(data.data(), data.size());
}
void Digester::update(std::string_view data) { impl_->hasher.update(data.data(), data.size()); }
Digest Digester::digest() const { return impl_->hasher.digest(); }
void Digester::reset() { impl_->hasher.reset(); }

}  // namespace contentstore
