#include "files/layout.h"

#include "util/hasher.h"

namespace contentstore {

Layout::Layout(std::string root) : root_(std::move(root)) {
  while (root_.size() > 1 && root_.back() == '/') root_.pop_back();
}

std::string Layout::catalog_path() const { return root_ + "/" + std::string(kCatalogFile); }
std::string Layout::blobs_dir() const { return root_ + "/" + std::string(kBlobsDir); }
std::string Layout::blob_dir(Algorithm algorithm) const {
  return blobs_dir() + "/" + std::string(AlgorithmName(algorithm));
}
std::string Layout::blob_path(const Digest& digest) const {
  return blob_dir(digest.algorithm()) + "/" + digest.hex();
}
std::string Layout::ingest_root() const { return root_ + "/" + std::string(kIngestDir); }
std::string Layout::ingest_dir(std::string_view id) const {
  return ingest_root() + "/" + std::string(id);
}

std::string Layout::trash_dir() const { return root_ + "/" + std::string(kTrashDir); }

std::string Layout::batches_dir() const { return root_ + "/" + std::string(kBatchesDir); }

std::string Layout::reserve_path() const { return root_ + "/" + std::string(kReserveFile); }

std::string Layout::oci_layout_path() const {
  return root_ + "/" + std::string(kOciLayoutFile);
}

std::string Layout::index_path() const { return root_ + "/" + std::string(kIndexFile); }

std::string Layout::lost_found_dir() const {
  return root_ + "/" + std::string(kLostFoundDir);
}

std::string Layout::IngestId(std::string_view ref) {
  Hasher h(Algorithm::kSHA256);
  h.update(ref.data(), ref.size());
  return h.digest().hex();
}

std::string Layout::BlobRelativePath(const Digest& digest) {
  return std::string(AlgorithmName(digest.algorithm())) + "/" + digest.hex();
}

Result<Digest> Layout::ParseBlobRelativePath(std::string_view path) {
  const size_t slash = path.find('/');
  if (slash == std::string_view::npos) {
    return Status::InvalidArgument("not a blob path: " + std::string(path));
  }
  std::string text(path);
  text[slash] = ':';
  return Digest::Parse(text);
}

}  // namespace contentstore
