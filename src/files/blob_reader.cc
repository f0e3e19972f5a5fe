#include "files/blob_reader.h"

#include <fmt/format.h>

#include <algorithm>

namespace contentstore {

Result<size_t> BlobReader::read_at(int64_t offset, std::span<std::byte> buf) const {
  if (offset < 0) {
    return Status::InvalidArgument(fmt::format("read of {} at negative offset {}", path_, offset));
  }
  if (offset >= size_ || buf.empty()) return size_t{0};
  // Never past the size the catalog vouches for, even if the file grew.
  const size_t want = static_cast<size_t>(std::min<int64_t>(size_ - offset, buf.size()));
  return env_.ReadAt(fd_.get(), buf.data(), want, offset, path_);
}

}  // namespace contentstore
