// Images (Store::put_image and friends): named images, kept in the catalog
// (tables images, image_labels) and listed in ROOT/index.json so that OCI
// tools read the store root as an image layout.
//
// Protocol of a name change, and what a crash at each step leaves:
//  1. One short write transaction (BEGIN IMMEDIATE) changes the name; the
//     schema's triggers bump image_index.generation in it and, while a
//     collection runs, log the new target as revived (migration 6). Crash:
//     nothing changed.
//  2. The index lock (flock on ROOT/index.json.lock) is taken, waiting for
//     other writers. Crash before or from here to 4: index.json is stale, the
//     catalog says so (generation > published); the next writable open or
//     fsck --repair rewrites it.
//  3. Inside the lock, one read transaction takes every name's target and
//     the generation they are at: the newest state, whoever changed it.
//  4. index.json is written (oci_layout_files.h: temp file, fsync, rename,
//     fsync ROOT).
//  5. image_index.published = max(published, that generation), a short write;
//     then the lock goes. Crash before it: index.json is current but the
//     catalog does not know, so the next open rewrites it again (same bytes).
// A writable open checks generation == published and that index.json and
// oci-layout exist: one query and two stats, whatever the number of names.
//
// Thread-safety: thread-safe.

#ifndef CONTENTSTORE_SRC_STORE_IMAGES_H_
#define CONTENTSTORE_SRC_STORE_IMAGES_H_

#include <string>
#include <string_view>
#include <vector>

#include "catalog/catalog.h"
#include "catalog/image_rows.h"
#include "contentstore/env.h"
#include "contentstore/image.h"
#include "contentstore/status.h"
#include "files/oci_layout_files.h"

namespace contentstore {

class Images {
 public:
  Images(catalog::Catalog& catalog, Env& env, OciLayoutFiles& files)
      : catalog_(catalog), env_(env), files_(files) {}

  Result<Image> Put(const Image& image);
  Result<Image> Get(std::string_view name);
  Result<std::vector<Image>> List(const std::vector<std::string>& filters);
  Status Delete(std::string_view name);
  Result<Image> Tag(std::string_view source, std::string_view destination);

  // Steps 2 to 5: ROOT/index.json from the catalog's current names.
  Status Publish();
  // At a writable open: oci-layout written if missing, index.json rewritten
  // if the catalog says it is stale or it is missing.
  Status PublishIfStale();
  // oci-layout and index.json written whatever they hold (fsck --repair).
  Status Rewrite();

  // What index.json should hold now (fsck compares).
  Result<std::string> ExpectedIndex();
  // The OCI image index listing `entries`.
  static std::string RenderIndex(const std::vector<catalog::IndexEntry>& entries);

 private:
  // A committed change, then Publish; a failed Publish says the change is
  // committed all the same.
  Status Change(std::string_view what, const catalog::Catalog::Body& body);

  catalog::Catalog& catalog_;
  Env& env_;
  OciLayoutFiles& files_;
};

}  // namespace contentstore

#endif  // CONTENTSTORE_SRC_STORE_IMAGES_H_
