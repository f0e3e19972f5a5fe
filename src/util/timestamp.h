// Timestamps as the catalog stores them: int64 nanoseconds since the Unix
// epoch, UTC. (Reading the clock is the Env's job.)

#ifndef CONTENTSTORE_SRC_UTIL_TIMESTAMP_H_
#define CONTENTSTORE_SRC_UTIL_TIMESTAMP_H_

#include <sys/stat.h>

#include <cstdint>

#include "contentstore/types.h"

namespace contentstore {

inline Timestamp FromNanos(int64_t ns) { return Timestamp(std::chrono::nanoseconds(ns)); }
inline int64_t ToNanos(Timestamp t) { return t.time_since_epoch().count(); }
// A file's modification time, as the catalog stores times.
inline int64_t MtimeNanos(const struct stat& st) {
  return int64_t{st.st_mtim.tv_sec} * 1000000000 + st.st_mtim.tv_nsec;
}

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_UTIL_TIMESTAMP_H_
