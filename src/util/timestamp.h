// Timestamps as the catalog stores them: int64 nanoseconds since the Unix
// epoch, UTC. (Reading the clock is the Env's job.)

#ifndef CONTENTSTORE_SRC_UTIL_TIMESTAMP_H_
#define CONTENTSTORE_SRC_UTIL_TIMESTAMP_H_

#include <cstdint>

#include "contentstore/types.h"

namespace contentstore {

inline Timestamp FromNanos(int64_t ns) { return Timestamp(std::chrono::nanoseconds(ns)); }
inline int64_t ToNanos(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_UTIL_TIMESTAMP_H_
