// Garbage collection and consistency checks.
//
// Reachability follows containerd's labels. Roots: blobs labelled
// "containerd.io/gc.root" (any value), everything an unexpired lease holds,
// the expected digest of every ingest, and every blob younger than the grace
// period. Edges: a label "containerd.io/gc.ref.content", or one starting with
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

namespace contentstore {

struct GcOptions {
  // Blobs committed less than this long ago are kept even if nothing reaches
  // them, so a client can label what it just committed (containerd#8570).
  // Default: 1 hour. Zero is allowed.
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
};

struct FsckOptions {
  // Hash every blob again and compare with its name.
  bool verify = false;
  // Fix what can be fixed without guessing: add rows for blob files whose
  // bytes hash to their name, remove rows whose file is gone, remove ingest
  // directories without a row, rebuild the reference graph from the labels.
  // Everything else is only reported.
  bool repair = false;
  // Called during verify with bytes hashed so far and the total.
  std::function<void(int64_t done, int64_t total)> progress;
};

struct FsckProblem {
  enum class Kind {
    kCatalogDamaged,     // PRAGMA integrity_check failed
    kRowWithoutFile,     // a blob row whose file is missing
    kFileWithoutRow,     // a blob file no row names
    kSizeMismatch,       // file size differs from the row
    kDigestMismatch,     // (verify) the bytes do not hash to the name
    kStrayFile,          // something under blobs/ that is not a blob name
    kIngestWithoutData,  // an ingest row with bytes recorded but no data file
    kDataWithoutIngest,  // an ingest directory without a row
    kBadReference,       // a containerd.io/gc.ref.content* label whose value is not a digest
    kGraphDrift,         // gc_nodes/gc_links/blobs.gc_id disagree with the labels (repair rebuilds)
  };
  Kind kind;
  std::string subject;  // the digest, ref, path or label concerned
  std::string detail;
  bool repaired = false;
};

// "row-without-file", "file-without-row", ...: for reports.
std::string_view FsckKindName(FsckProblem::Kind kind);

struct FsckReport {
  std::vector<FsckProblem> problems;
  int64_t blobs_checked = 0;
  int64_t bytes_verified = 0;
  // No problem left unrepaired.
  bool clean() const {
    for (const FsckProblem& p : problems) {
      if (!p.repaired) return false;
    }
    return true;
  }
};

}  // namespace contentstore

#endif  // CONTENTSTORE_GC_H_
