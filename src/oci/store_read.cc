#include "oci/store_read.h"

#include <fmt/format.h>

namespace contentstore::oci {

Result<std::string> ReadStoredDocument(Store& store, const OciDescriptor& descriptor) {
  auto reader = store.reader(descriptor.digest);
  if (!reader.ok()) return reader.status();
  const int64_t size = (*reader)->size();
  if (size != descriptor.size) {
    return Status::FailedPrecondition(fmt::format("{} holds {} bytes; its descriptor says {}",
                                                  descriptor.digest.str(), size, descriptor.size));
  }
  if (size > kMaxDocumentBytes) {
    return Status::InvalidArgument(fmt::format("{} is larger than the {} bytes allowed",
                                               Describe(descriptor), kMaxDocumentBytes));
  }
  std::string bytes(static_cast<size_t>(size), '\0');
  auto got =
      (*reader)->read_at(0, std::as_writable_bytes(std::span<char>(bytes.data(), bytes.size())));
  if (!got.ok()) return got.status();
  if (static_cast<int64_t>(*got) != size) {
    return Status::DataLoss(
        fmt::format("{}: read {} of {} bytes", descriptor.digest.str(), *got, size));
  }
  return bytes;
}

}  // namespace contentstore::oci
