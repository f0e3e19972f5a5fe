// Building Digests the library computed itself, without validating them.

#ifndef CONTENTSTORE_SRC_DIGEST_INTERNAL_H_
#define CONTENTSTORE_SRC_DIGEST_INTERNAL_H_

#include <string>

#include "contentstore/digest.h"

namespace contentstore {

// REQUIRES: `hex` is lowercase hex of HexLength(algorithm) characters.
Digest MakeDigestUnchecked(Algorithm algorithm, std::string hex);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_DIGEST_INTERNAL_H_
