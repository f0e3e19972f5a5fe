// Fuzzes digest parsing (include/contentstore/digest.h): Digest::Parse,
// ParseAlgorithm, and the Digester that names blobs.
//
// Input: text. The whole is parsed as a digest and as an algorithm name; the
// two halves (split at the first newline) are parsed and compared; the bytes
// are hashed with each algorithm.
//
// Invariants: Parse accepts exactly "<sha256|sha384|sha512>:<lowercase hex of
// 64|96|128 digits>" (checked against an independent reading of that rule);
// a parsed digest's str() is the input and parses back to an equal digest;
// digests order as their strings do; a Digester's result parses back to
// itself and reset() gives the digest of nothing; errors are InvalidArgument
// with a short printable message.

#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "contentstore/digest.h"
#include "fuzz_util.h"

namespace contentstore::fuzz {
namespace {

// The rule of digest.h, written out independently.
bool LooksValid(std::string_view text) {
  const size_t colon = text.find(':');
  if (colon == std::string_view::npos) return false;
  const std::string_view alg = text.substr(0, colon), hex = text.substr(colon + 1);
  const size_t want = alg == "sha256" ? 64 : alg == "sha384" ? 96 : alg == "sha512" ? 128 : 0;
  if (want == 0 || hex.size() != want) return false;
  for (char c : hex) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::optional<Digest> CheckParse(std::string_view text) {
  Result<Digest> d = Digest::Parse(text);
  if (d.ok() != LooksValid(text)) {
    Die("Digest::Parse " + std::string(d.ok() ? "accepted" : "refused") + " \"" +
        std::string(text) + "\"");
  }
  if (!d.ok()) {
    CheckErrorStatus(d.status(), "Digest::Parse");
    return std::nullopt;
  }
  if (d->str() != text) Die("str() differs from the parsed text: " + d->str());
  if (d->hex().size() != HexLength(d->algorithm())) Die("hex length");
  Result<Digest> again = Digest::Parse(d->str());
  if (!again.ok() || *again != *d) Die("str() does not parse back: " + d->str());
  return *d;
}

int Sign(std::strong_ordering o) { return o < 0 ? -1 : o > 0 ? 1 : 0; }
int Sign(int c) { return c < 0 ? -1 : c > 0 ? 1 : 0; }

void CheckDigester(Algorithm algorithm, std::string_view bytes) {
  Digester digester(algorithm);
  const size_t half = bytes.size() / 2;
  digester.update(bytes.substr(0, half));
  Digester copy = digester;  // copies carry the state
  digester.update(bytes.substr(half));
  copy.update(bytes.substr(half));
  const Digest d = digester.digest();
  if (copy.digest() != d) Die("a copied Digester hashes differently");
  Result<Digest> back = Digest::Parse(d.str());
  if (!back.ok() || *back != d || d.algorithm() != algorithm) {
    Die("a computed digest does not parse back: " + d.str());
  }
  digester.reset();
  if (digester.digest() != Digest::OfEmpty(algorithm)) Die("reset() is not the empty digest");
}

}  // namespace

void FuzzText(std::string_view text) {
  CheckParse(text);
  Result<Algorithm> alg = ParseAlgorithm(text);
  const bool known = text == "sha256" || text == "sha384" || text == "sha512";
  if (alg.ok() != known) Die("ParseAlgorithm disagrees on \"" + std::string(text) + "\"");
  if (alg.ok() && AlgorithmName(*alg) != text) Die("AlgorithmName does not give back the name");
  if (!alg.ok()) CheckErrorStatus(alg.status(), "ParseAlgorithm");

  const size_t nl = text.find('\n');
  if (nl != std::string_view::npos) {
    const std::string_view a_text = text.substr(0, nl), b_text = text.substr(nl + 1);
    std::optional<Digest> a = CheckParse(a_text), b = CheckParse(b_text);
    if (a && b && Sign(*a <=> *b) != Sign(a_text.compare(b_text))) {
      Die("digests do not order as their strings");
    }
    if (a && b && (*a == *b) != (a_text == b_text)) Die("equality differs from the strings'");
  }

  for (Algorithm a : {Algorithm::kSHA256, Algorithm::kSHA384, Algorithm::kSHA512}) {
    CheckDigester(a, text);
  }
}

}  // namespace contentstore::fuzz
