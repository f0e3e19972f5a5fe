// Wall-clock time as the catalog stores it: int64 nanoseconds since the Unix
// epoch, UTC.

#ifndef CONTENTSTORE_SRC_CLOCK_H_
#define CONTENTSTORE_SRC_CLOCK_H_

#include <time.h>

#include <cstdint>

#include "contentstore/types.h"

namespace contentstore {

inline int64_t NowNanos() {
  struct timespec ts {};
  clock_gettime(CLOCK_REALTIME, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline int64_t MonotonicNanos() {
  struct timespec ts {};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<int64_t>(ts.tv_sec) * 1000000000 + ts.tv_nsec;
}

inline Timestamp FromNanos(int64_t ns) { return Timestamp(std::chrono::nanoseconds(ns)); }
inline int64_t ToNanos(Timestamp t) { return t.time_since_epoch().count(); }

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_CLOCK_H_
