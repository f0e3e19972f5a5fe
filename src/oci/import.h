// contentstore import: OCI image layouts (oci:DIR[:TAG]) and archives
// (oci-archive:FILE[:TAG]) into the store, with names.
//
// The protocol, and what a crash at each step leaves:
//  1. Create a lease that expires in `lease_expiry` (containerd.io/gc.expire).
//     Crash: an empty lease, gone at its expiry.
//  2. Copy the blobs in, each through writer()/commit() with the digest and
//     size its descriptor (or archive member) gives, on the ref
//     "import-<digest>" and under the lease; what the store has is not
//     copied. A directory is walked from index.json and only reachable blobs
//     are copied; an archive is read in one pass, committing every
//     blobs/<alg>/<hex> member. Crash: committed blobs held by the lease
//     until it expires, an ingest that a re-run resumes.
//  3. Walk the chosen images from the store (walk.h): every reachable blob
//     must be there with its size; a non-distributable layer that is absent
//     is skipped with a warning, never invented. Referrers (image-spec 1.1
//     `subject`) listed unnamed in index.json come along.
//  4. Label parents with containerd's reference labels (gc_labels.h), so the
//     collector keeps a whole image from its name. Crash: as after 2.
//  5. put_image() each name. Crash: some names; a re-run finishes.
//  6. Delete the lease. A failure here is a warning, not a failed import:
//     the names hold all it held, and it expires.
// A failure at any step stops the import before step 5 names anything, and
// deletes the lease: what it committed goes at a later collection (past the
// grace period), unless a re-run names it first.
//
// Thread-safety: as the Store.

#ifndef CONTENTSTORE_SRC_OCI_IMPORT_H_
#define CONTENTSTORE_SRC_OCI_IMPORT_H_

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "contentstore/image.h"
#include "contentstore/status.h"
#include "contentstore/store.h"
#include "oci/location.h"

namespace contentstore::oci {

struct ImportOptions {
  // The name for the one image chosen (see select.h). Default: its ref name.
  std::optional<std::string> name;
  // How long the import's lease outlives a crashed import. Default: 1 hour.
  std::chrono::nanoseconds lease_expiry = std::chrono::hours(1);
};

struct NamedImage {
  std::string name;
  Descriptor target;
};

struct ImportReport {
  std::vector<NamedImage> images;  // in index.json order
  int64_t blobs = 0;               // distinct blobs the images reach
  int64_t blobs_copied = 0;        // of those and others in an archive, copied in this run
  int64_t bytes_copied = 0;
  std::vector<std::string> warnings;
};

// Codes: InvalidArgument for malformed input (JSON, names, paths leaving the
// layout, links, cycles, absurd sizes); NotFound for a missing layout, tag
// or blob; FailedPrecondition for a blob whose size or digest differs from
// its descriptor; DataLoss for a truncated or garbled archive.
Result<ImportReport> Import(Store& store, const Location& source,
                            const ImportOptions& options = {});

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_IMPORT_H_
