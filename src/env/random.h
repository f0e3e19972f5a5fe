// Random names and tokens from the kernel (getrandom).
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_ENV_RANDOM_H_
#define CONTENTSTORE_SRC_ENV_RANDOM_H_

#include <cstddef>
#include <string>

namespace contentstore {

// `bytes` random bytes as lowercase hex.
std::string RandomHex(size_t bytes);

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_ENV_RANDOM_H_
