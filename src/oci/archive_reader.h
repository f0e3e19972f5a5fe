// Reads an OCI image layout packed as a tar (oci-archive), one streaming pass
// through libarchive: members come in archive order, each readable once.
// Gzip- or zstd-compressed tars are read too.
//
// Member names are checked before anything is read: an absolute name, a
// ".." component, a symlink or hard link, or a device or FIFO is
// InvalidArgument. A damaged or truncated archive is DataLoss.
//
// Thread-safety: an ArchiveReader is used by one thread at a time.

#ifndef CONTENTSTORE_SRC_OCI_ARCHIVE_READER_H_
#define CONTENTSTORE_SRC_OCI_ARCHIVE_READER_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>

#include "contentstore/digest.h"
#include "contentstore/status.h"

struct archive;

namespace contentstore::oci {

struct Member {
  enum class Type {
    kLayoutFile,  // oci-layout
    kIndex,       // index.json
    kBlob,        // blobs/<alg>/<hex>, `digest` set
    kOther,       // anything else: a directory, a file outside the layout's names
  };
  Type type = Type::kOther;
  std::string name;  // normalised: no leading "./"
  int64_t size = 0;
  std::optional<Digest> digest;
};

class ArchiveReader {
 public:
  // NotFound if the file does not exist.
  static Result<std::unique_ptr<ArchiveReader>> Open(const std::string& path);
  ~ArchiveReader();
  ArchiveReader(const ArchiveReader&) = delete;
  ArchiveReader& operator=(const ArchiveReader&) = delete;

  // The next member, or nullopt at the end of the archive. Whatever of the
  // previous member was not read is skipped.
  Result<std::optional<Member>> Next();
  // Up to buf.size() bytes of the current member; 0 at its end.
  Result<size_t> Read(std::span<std::byte> buf);

 private:
  ArchiveReader(std::string path, struct archive* a) : path_(std::move(path)), archive_(a) {}
  Status Error(std::string_view what) const;

  std::string path_;
  struct archive* archive_;
  std::string member_;  // the current member's name, for messages
};

// Classifies a member name (already normalised). InvalidArgument for a
// name that would leave the layout.
Result<Member> ClassifyMemberName(std::string_view raw_name);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_ARCHIVE_READER_H_
