#include "contentstore/validate.h"

#include <fmt/format.h>

#include "util/text.h"

namespace contentstore {

Status ValidateRef(std::string_view ref) {
  if (ref.empty()) return Status::InvalidArgument("ref must not be empty");
  if (ref.size() > kMaxRefBytes) {
    return Status::InvalidArgument(fmt::format("ref \"{}\" is {} bytes long, the limit is {}",
                                               Printable(ref), ref.size(), kMaxRefBytes));
  }
  for (char c : ref) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return Status::InvalidArgument(
          fmt::format("ref \"{}\" contains a control character", Printable(ref)));
    }
  }
  if (!IsValidUtf8(ref)) {
    return Status::InvalidArgument(fmt::format("ref \"{}\" is not valid UTF-8", Printable(ref)));
  }
  return Status::OK();
}

Status ValidateLeaseId(std::string_view id) {
  if (id.empty()) return Status::InvalidArgument("lease id must not be empty");
  if (id.size() > 256) {
    return Status::InvalidArgument(
        fmt::format("lease id \"{}\" is longer than 256 bytes", Printable(id)));
  }
  for (char c : id) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f) {
      return Status::InvalidArgument(
          fmt::format("lease id \"{}\" contains a control character", Printable(id)));
    }
  }
  if (!IsValidUtf8(id)) {
    return Status::InvalidArgument(fmt::format("lease id \"{}\" is not valid UTF-8", Printable(id)));
  }
  return Status::OK();
}

Status ValidateLabel(std::string_view key, std::string_view value) {
  if (key.empty()) return Status::InvalidArgument("label key must not be empty");
  if (key.size() + value.size() > kMaxLabelBytes) {
    // containerd cuts the key to 10 characters here, which made its error
    // hard to act on (containerd#4684); name the whole key.
    return Status::InvalidArgument(
        fmt::format("label \"{}\": key and value are {} bytes together, the limit is {}",
                    Printable(key), key.size() + value.size(), kMaxLabelBytes));
  }
  for (std::string_view part : {key, value}) {
    if (part.find('\0') != std::string_view::npos || !IsValidUtf8(part)) {
      return Status::InvalidArgument(fmt::format(
          "label \"{}\": keys and values must be UTF-8 without NUL bytes", Printable(key)));
    }
  }
  return Status::OK();
}

Status ValidateLabels(const Labels& labels) {
  for (const auto& [key, value] : labels) {
    if (Status s = ValidateLabel(key, value); !s.ok()) return s;
  }
  return Status::OK();
}

}  // namespace contentstore
