// glibc allocator settings for streaming (see malloc_tuning.h).

#include "malloc_tuning.h"

#include <malloc.h>

namespace contentstore::server {

void TuneMallocForStreaming() {
  mallopt(M_MMAP_THRESHOLD, 64 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
}

}  // namespace contentstore::server
