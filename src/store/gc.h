// GarbageCollector (Store::collect_garbage): removes what nothing reaches.
// The protocol is at the top of gc.cc.
//
// Thread-safety: thread-safe; runs in the caller's thread.

#ifndef CONTENTSTORE_SRC_STORE_GC_H_
#define CONTENTSTORE_SRC_STORE_GC_H_

#include "contentstore/gc.h"
#include "contentstore/status.h"
#include "store/file_reaper.h"
#include "store/ingest_context.h"

namespace contentstore {

class GarbageCollector {
 public:
  GarbageCollector(IngestContext& ctx, FileReaper& reaper) : ctx_(ctx), reaper_(reaper) {}

  Result<GcReport> Run(const GcOptions& options);

 private:
  // 1. Expired leases and unreachable blobs, and their files.
  Status CollectBlobs(const GcOptions& options, int64_t now, GcReport& report);
  // 2. Ingests past their expiry that no live writer holds.
  Status CollectIngests(const GcOptions& options, int64_t now, GcReport& report);

  IngestContext& ctx_;
  FileReaper& reaper_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_GC_H_
