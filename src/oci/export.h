// contentstore export: named images out of the store as an OCI image layout
// (oci:DIR) or archive (oci-archive:FILE). Each image's graph is walked
// through the same walker as import (walk.h), reading manifests from the
// store; referrers the store links to an image
// (containerd.io/gc.ref.content.referrer.*) go along as unnamed index.json
// entries. Blobs are written byte for byte as stored; index.json, with one
// entry per name (org.opencontainers.image.ref.name), goes last and durably
// (layout_writer.h).
//
// Thread-safety: as the Store.

#ifndef CONTENTSTORE_SRC_OCI_EXPORT_H_
#define CONTENTSTORE_SRC_OCI_EXPORT_H_

#include <cstdint>
#include <string>
#include <vector>

#include "contentstore/status.h"
#include "contentstore/store.h"
#include "oci/import.h"
#include "oci/layout_writer.h"
#include "oci/location.h"

namespace contentstore::oci {

struct ExportOptions {
  // kLink: reflink, else hard link, else copy (directories only; an
  // archive with kLink is InvalidArgument). Default: copy.
  LinkMode link = LinkMode::kCopy;
};

struct ExportReport {
  std::vector<NamedImage> images;
  int64_t blobs = 0;
  int64_t bytes = 0;
  int64_t present = 0;  // already in the destination directory
  int64_t cloned = 0;
  int64_t linked = 0;
  int64_t copied = 0;
  std::vector<std::string> warnings;
};

// NotFound for an unknown name or a blob an image needs that the store
// lacks; InvalidArgument for a destination with a tag or a directory that
// is neither empty nor a layout. Nothing is named in the destination unless
// every blob is written.
Result<ExportReport> Export(Store& store, const std::vector<std::string>& names,
                            const Location& destination, const ExportOptions& options = {});

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_EXPORT_H_
