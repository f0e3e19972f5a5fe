// Consistency checks: what Store::fsck is asked, and what it finds.
//
// fsck compares the catalog with the files: blob rows against blob files,
// ingest rows against ingest directories, reference labels against the
// digests they should name, the numbered reference graph against the
// labels, and ROOT/index.json against the image names. Repairs never guess (see FsckOptions::repair).
//
// Thread-safety: plain values.

#ifndef CONTENTSTORE_FSCK_H_
#define CONTENTSTORE_FSCK_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace contentstore {

struct FsckOptions {
  // Hash every blob again and compare with its name.
  bool verify = false;
  // Fix what can be fixed without guessing: add rows for blob files whose
  // bytes hash to their name, remove rows whose file is gone, remove ingest
  // directories without a row, rebuild the reference graph from the labels,
  // move what is not a file at a blob's path to ROOT/lost+found/ (putting
  // back a copy of the bytes when what it pointed at hashes to the digest),
  // rewrite ROOT/index.json and ROOT/oci-layout from the catalog. Everything
  // else is only reported.
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
    kStrayFile,          // something under blobs/, trash/, ingest/ or batches/ the store did not put there,
                         // or at ROOT that the store does not keep there (only reported when at ROOT)
    kIngestWithoutData,  // an ingest row with bytes recorded but no data file
    kDataWithoutIngest,  // an ingest directory without a row, or an upload in the bucket no ingest names
    kBadReference,       // a containerd.io/gc.ref.content* label whose value is not a digest
    kGraphDrift,         // gc_nodes/gc_links/blobs.gc_id disagree with the labels (repair rebuilds)
    kNotAFile,           // a blob's path is a symlink, directory or other non-file (repair moves it aside)
    kStaleImageIndex,    // ROOT/index.json or ROOT/oci-layout missing or not what the catalog says (repair rewrites)
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

// What Store::RebuildCatalog did: a new catalog from the blob files, with
// what could be read back from the old one.
struct RebuildReport {
  // Where the old catalog (and its -wal, -shm) went: ROOT/catalog.db.damaged-
  // <UTC time>. Empty when there was no catalog.
  std::string damaged_catalog;
  // Why nothing could be read from the old catalog; empty when it could.
  std::string salvage_error;
  // Blob files whose bytes hash to their name: each has a row again.
  int64_t blobs = 0;
  // Of those, the ones whose labels came back from the old catalog.
  int64_t blobs_with_labels = 0;
  // Blobs whose labels could not be read. The lease `rescue_lease` holds
  // them so that no collection removes them before a person decides.
  int64_t blobs_unlabelled = 0;
  std::string rescue_lease;
  // Leases (and the blobs they held) that came back.
  int64_t leases = 0;
  // Image names that came back: from the old catalog, or when it could not
  // be read, from ROOT/index.json (targets only, no labels).
  int64_t images = 0;
  // Uploads in progress, moved to ROOT/lost+found/: clients start them again.
  std::vector<std::string> set_aside;
  // What among the blob files was not a blob (a file whose bytes do not
  // match its name, a directory, a stray name): moved to ROOT/lost+found/,
  // each with where it went in its detail.
  std::vector<FsckProblem> problems;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_FSCK_H_
