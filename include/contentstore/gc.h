// Garbage collection: what Store::collect_garbage is asked and reports.
//
// Reachability follows containerd's labels. Roots: blobs labelled
// "containerd.io/gc.root" (any value), everything an unexpired lease holds,
// the expected digest of every ingest, the target of every image name
// (image.h), and every blob younger than the grace period. Edges: a label "containerd.io/gc.ref.content", or one starting with
// "containerd.io/gc.ref.content." or "containerd.io/gc.ref.content/", whose
// value is a digest, points at that blob. The catalog's views gc_roots,
// gc_edges, gc_reachable and gc_unreachable hold the same model for outside
// tools.
//
// Thread-safety: plain values.

#ifndef CONTENTSTORE_GC_H_
#define CONTENTSTORE_GC_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "contentstore/digest.h"
// The fsck types lived here before 0.2; kept reachable for old includes.
#include "contentstore/fsck.h"

namespace contentstore {

struct GcOptions {
  // Blobs committed less than this long ago are kept even if nothing reaches
  // them, so a client can label what it just committed (containerd#8570).
  // With blobs in a bucket, it also spares uploads that no ingest names yet
  // (a writer names its upload one request after starting it). Default: 1
  // hour. Zero is allowed.
  std::chrono::nanoseconds grace = std::chrono::hours(1);
  // Ingests not written for this long are aborted, unless a live writer or an
  // unexpired lease holds them. Default: 24 hours.
  std::chrono::nanoseconds ingest_expiry = std::chrono::hours(24);
  // Report what would go; change nothing.
  bool dry_run = false;
  // Return only once the files of removed blobs are unlinked. When false,
  // collect_garbage returns after the catalog sweep and the store's
  // background remover unlinks them (at the latest when the Store is
  // destroyed). Default: true.
  bool wait_for_files = true;
};

struct GcReport {
  std::vector<Digest> removed_blobs;          // sorted
  std::vector<std::string> removed_ingests;   // refs, sorted
  std::vector<std::string> removed_leases;    // expired lease ids, sorted
  int64_t bytes_freed = 0;                    // sizes of removed blobs
  std::chrono::nanoseconds duration{};
  // The run's write transactions, and the longest any of them held the
  // catalog's write lock: the mark runs on a read snapshot and the sweep in
  // short batches, so writers in other processes wait at most about this.
  int64_t write_transactions = 0;
  std::chrono::nanoseconds longest_write{};
};

}  // namespace contentstore

#endif  // CONTENTSTORE_GC_H_
