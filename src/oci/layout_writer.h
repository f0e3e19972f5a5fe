// Where an export puts a layout: a directory (dir_writer.cc) or a tar
// archive (archive_writer.cc). Blobs first, index.json last, so a reader
// never sees an index naming a blob that is not there yet.
//
// Thread-safety: a LayoutWriter is used by one thread at a time.

#ifndef CONTENTSTORE_SRC_OCI_LAYOUT_WRITER_H_
#define CONTENTSTORE_SRC_OCI_LAYOUT_WRITER_H_

#include <cstdint>
#include <memory>
#include <string>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "contentstore/store.h"
#include "oci/descriptor.h"

namespace contentstore::oci {

// How a blob reached a directory layout.
enum class Placement { kPresent, kCloned, kLinked, kCopied };

// What --link may do.
enum class LinkMode {
  kCopy,  // always copy the bytes
  // A reflink (FICLONE) where the file system shares extents, else a hard
  // link (store blobs are read-only, so the layout cannot change them),
  // else (another file system) a copy.
  kLink,
};

class LayoutWriter {
 public:
  LayoutWriter() = default;
  LayoutWriter(const LayoutWriter&) = delete;
  LayoutWriter& operator=(const LayoutWriter&) = delete;
  virtual ~LayoutWriter() = default;

  // The index.json the layout already has (a directory being added to), or
  // "" for a new layout; the export keeps the entries it does not replace.
  virtual const std::string& existing_index() const = 0;
  // Writes the stored blob `digest` of `size` bytes as blobs/<alg>/<hex>.
  virtual Result<Placement> PutBlob(Store& store, const Digest& digest, int64_t size) = 0;
  // Writes oci-layout and then `index_json`, durably; the layout is complete
  // when this returns OK.
  virtual Status Finish(const std::string& index_json) = 0;
};

// A directory layout at `path`: created if missing; an existing layout is
// added to (its blobs and index.json entries stay). Anything else there that
// is not empty is InvalidArgument.
Result<std::unique_ptr<LayoutWriter>> OpenDirWriter(const std::string& path, LinkMode mode);

// A new tar at `path`, replacing any file there only when Finish succeeds.
Result<std::unique_ptr<LayoutWriter>> OpenArchiveWriter(const std::string& path);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_LAYOUT_WRITER_H_
