#include "oci/dir_reader.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>

#include "env/errno_status.h"
#include "oci/files.h"

namespace contentstore::oci {
namespace {

// `name` under `dirfd`, never following a symlink. ELOOP (O_NOFOLLOW met a
// symlink) and ENOTDIR (O_DIRECTORY met something else) are bad input,
// not I/O errors.
Result<UniqueFd> OpenBelow(int dirfd, const std::string& name, int flags, const std::string& path) {
  UniqueFd fd(::openat(dirfd, name.c_str(), flags | O_NOFOLLOW | O_CLOEXEC));
  if (fd.valid()) return fd;
  if (errno == ELOOP) {
    return Status::InvalidArgument(fmt::format("{} is a symlink; a layout holds no links", path));
  }
  if (errno == ENOTDIR) {
    // O_DIRECTORY | O_NOFOLLOW on a symlink says ENOTDIR, not ELOOP.
    struct stat st;
    const bool link =
        ::fstatat(dirfd, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISLNK(st.st_mode);
    return Status::InvalidArgument(fmt::format(
        "{} is {}", path, link ? "a symlink; a layout holds no links" : "not a directory"));
  }
  return ErrnoStatus("open", path, errno);
}

}  // namespace

Result<DirReader> DirReader::Open(const std::string& path) {
  UniqueFd fd(::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
  if (!fd.valid()) return ErrnoStatus("open layout", path, errno);
  const std::string layout_path = path + "/oci-layout";
  auto layout = OpenBelow(fd.get(), "oci-layout", O_RDONLY, layout_path);
  if (!layout.ok()) {
    if (layout.status().IsNotFound()) {
      return Status::NotFound(
          fmt::format("{} is not an OCI image layout: no oci-layout file", path));
    }
    return layout.status();
  }
  auto bytes = ReadSmallFile(layout->get(), 4096, layout_path);
  if (!bytes.ok()) return bytes.status();
  if (Status s = CheckLayoutFile(*bytes); !s.ok()) return s.WithContext(path);
  return DirReader(path, std::move(fd));
}

Result<std::string> DirReader::ReadIndex() const {
  const std::string index_path = path_ + "/index.json";
  auto fd = OpenBelow(fd_.get(), "index.json", O_RDONLY, index_path);
  if (!fd.ok()) return fd.status();
  return ReadSmallFile(fd->get(), kMaxDocumentBytes, index_path);
}

Result<BlobFile> DirReader::OpenBlob(const Digest& digest) const {
  const std::string alg(AlgorithmName(digest.algorithm()));
  const std::string blobs_path = path_ + "/blobs";
  auto blobs = OpenBelow(fd_.get(), "blobs", O_RDONLY | O_DIRECTORY, blobs_path);
  if (!blobs.ok()) return blobs.status();
  const std::string alg_path = blobs_path + "/" + alg;
  auto alg_dir = OpenBelow(blobs->get(), alg, O_RDONLY | O_DIRECTORY, alg_path);
  if (!alg_dir.ok()) return alg_dir.status();
  const std::string blob_path = alg_path + "/" + digest.hex();
  // O_NONBLOCK: a FIFO planted there must not hang the open.
  auto fd = OpenBelow(alg_dir->get(), digest.hex(), O_RDONLY | O_NONBLOCK, blob_path);
  if (!fd.ok()) return fd.status();
  struct stat st;
  if (::fstat(fd->get(), &st) != 0) return ErrnoStatus("stat", blob_path, errno);
  if (!S_ISREG(st.st_mode)) {
    return Status::InvalidArgument(fmt::format("{} is not a regular file", blob_path));
  }
  // Back to blocking reads.
  ::fcntl(fd->get(), F_SETFL, ::fcntl(fd->get(), F_GETFL) & ~O_NONBLOCK);
  return BlobFile{std::move(*fd), static_cast<int64_t>(st.st_size)};
}

Result<std::string> DirReader::ReadDocument(const OciDescriptor& descriptor) const {
  auto blob = OpenBlob(descriptor.digest);
  if (!blob.ok()) return blob.status();
  const std::string where =
      fmt::format("{}/blobs/{}/{}", path_, AlgorithmName(descriptor.digest.algorithm()),
                  descriptor.digest.hex());
  if (blob->size != descriptor.size) {
    return Status::FailedPrecondition(fmt::format("{} holds {} bytes; its descriptor says {}",
                                                  where, blob->size, descriptor.size));
  }
  auto bytes = ReadSmallFile(blob->fd.get(), kMaxDocumentBytes, where);
  if (!bytes.ok()) return bytes.status();
  Digester digester(descriptor.digest.algorithm());
  digester.update(*bytes);
  if (digester.digest() != descriptor.digest ||
      static_cast<int64_t>(bytes->size()) != descriptor.size) {
    return Status::FailedPrecondition(fmt::format("{} does not match its digest (it hashes to {})",
                                                  where, digester.digest().str()));
  }
  return bytes;
}

}  // namespace contentstore::oci
