// Reads an OCI image layout directory: oci-layout, index.json and
// blobs/<alg>/<hex>. A blob path is built from a parsed Digest only, so no
// descriptor can name a path outside the layout, and each step below the
// layout's root is opened with O_NOFOLLOW: a symlink anywhere under blobs/
// is refused rather than followed out of the layout.
//
// Thread-safety: a DirReader is used by one thread at a time.

#ifndef CONTENTSTORE_SRC_OCI_DIR_READER_H_
#define CONTENTSTORE_SRC_OCI_DIR_READER_H_

#include <cstdint>
#include <string>

#include "contentstore/digest.h"
#include "contentstore/status.h"
#include "env/unique_fd.h"
#include "oci/descriptor.h"

namespace contentstore::oci {

struct BlobFile {
  UniqueFd fd;
  int64_t size = 0;
};

class DirReader {
 public:
  // NotFound if `path` or its oci-layout is missing; InvalidArgument if
  // oci-layout does not say version 1.0.0.
  static Result<DirReader> Open(const std::string& path);

  const std::string& path() const { return path_; }

  // index.json's bytes (at most kMaxDocumentBytes).
  Result<std::string> ReadIndex() const;
  // blobs/<alg>/<hex>: NotFound if absent, InvalidArgument if a symlink or
  // not a regular file.
  Result<BlobFile> OpenBlob(const Digest& digest) const;
  // The bytes of a small blob, checked against the descriptor's size and
  // digest (FailedPrecondition when they differ).
  Result<std::string> ReadDocument(const OciDescriptor& descriptor) const;

 private:
  DirReader(std::string path, UniqueFd fd) : path_(std::move(path)), fd_(std::move(fd)) {}

  std::string path_;
  UniqueFd fd_;
};

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_DIR_READER_H_
