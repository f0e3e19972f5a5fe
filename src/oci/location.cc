#include "oci/location.h"

#include <fmt/format.h>

namespace contentstore::oci {

std::string Location::ToString() const {
  std::string text = transport == Transport::kDirectory ? "oci:" : "oci-archive:";
  text += path;
  if (tag) text += ":" + *tag;
  return text;
}

Result<Location> ParseLocation(std::string_view text) {
  Location location;
  std::string_view rest;
  if (text.starts_with("oci:")) {
    location.transport = Location::Transport::kDirectory;
    rest = text.substr(4);
  } else if (text.starts_with("oci-archive:")) {
    location.transport = Location::Transport::kArchive;
    rest = text.substr(12);
  } else {
    return Status::InvalidArgument(
        fmt::format("\"{}\" is neither oci:DIR[:TAG] nor oci-archive:FILE[:TAG]", text));
  }
  const size_t colon = rest.find(':');
  location.path = std::string(rest.substr(0, colon));
  if (location.path.empty()) {
    return Status::InvalidArgument(fmt::format("\"{}\" names no path", text));
  }
  if (colon != std::string_view::npos) {
    location.tag = std::string(rest.substr(colon + 1));
    if (location.tag->empty()) {
      return Status::InvalidArgument(fmt::format("\"{}\" has an empty tag after ':'", text));
    }
  }
  return location;
}

}  // namespace contentstore::oci
