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

Status ValidateImageName(std::string_view name) {
  if (name.empty()) return Status::InvalidArgument("image name must not be empty");
  if (name.size() > kMaxImageNameBytes) {
    return Status::InvalidArgument(fmt::format("image name \"{}\" is {} bytes long, the limit is {}",
                                               Printable(name), name.size(), kMaxImageNameBytes));
  }
  if (!IsValidUtf8(name)) {
    return Status::InvalidArgument(
        fmt::format("image name \"{}\" is not valid UTF-8", Printable(name)));
  }
  for (size_t i = 0; i < name.size(); ++i) {
    const auto u = static_cast<unsigned char>(name[i]);
    // C1 controls (U+0080..U+009F) are 0xC2 0x80..0x9F in UTF-8.
    const bool c1 = u == 0xc2 && i + 1 < name.size() &&
                    static_cast<unsigned char>(name[i + 1]) <= 0x9f;
    if (u < 0x20 || u == 0x7f || c1) {
      return Status::InvalidArgument(
          fmt::format("image name \"{}\" contains a control character", Printable(name)));
    }
  }
  return Status::OK();
}

namespace {

// An RFC 6838 restricted-name: 1 to 127 characters, the first alphanumeric.
bool IsRestrictedName(std::string_view part) {
  if (part.empty() || part.size() > 127) return false;
  auto alnum = [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  };
  if (!alnum(part[0])) return false;
  for (char c : part) {
    if (!alnum(c) && std::string_view("!#$&-^_.+").find(c) == std::string_view::npos) {
      return false;
    }
  }
  return true;
}

}  // namespace

Status ValidateMediaType(std::string_view media_type) {
  if (media_type.empty()) return Status::InvalidArgument("media type must not be empty");
  if (media_type.size() > kMaxMediaTypeBytes) {
    return Status::InvalidArgument(
        fmt::format("media type \"{}\" is {} bytes long, the limit is {}", Printable(media_type),
                    media_type.size(), kMaxMediaTypeBytes));
  }
  const size_t slash = media_type.find('/');
  if (slash == std::string_view::npos || !IsRestrictedName(media_type.substr(0, slash)) ||
      !IsRestrictedName(media_type.substr(slash + 1))) {
    return Status::InvalidArgument(fmt::format(
        "media type \"{}\" is not of the form type/subtype (RFC 6838: letters, digits and "
        "!#$&-^_.+)",
        Printable(media_type)));
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
