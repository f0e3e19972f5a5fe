#include "oci/select.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

namespace contentstore::oci {

Status ValidateImageName(std::string_view name) {
  if (name.empty() || name.size() > 4096) {
    return Status::InvalidArgument(
        fmt::format("image name of {} bytes (1 to 4096 allowed)", name.size()));
  }
  for (unsigned char c : name) {
    if (c < 0x20 || c == 0x7f) {
      return Status::InvalidArgument(
          fmt::format("image name \"{}\" holds a control character", name));
    }
  }
  return Status::OK();
}

Result<Selection> SelectImages(const std::vector<OciDescriptor>& entries,
                               const std::optional<std::string>& tag,
                               const std::optional<std::string>& name) {
  Selection selection;
  if (name) {
    if (Status s = ValidateImageName(*name); !s.ok()) return s;
  }
  if (tag) {
    std::vector<std::string> names;
    const OciDescriptor* chosen = nullptr;
    for (const OciDescriptor& entry : entries) {
      const auto ref = entry.ref_name();
      if (!ref) {
        selection.unnamed.push_back(entry);
        continue;
      }
      names.push_back(*ref);
      if (*ref != *tag) continue;
      if (chosen != nullptr && chosen->digest != entry.digest) {
        return Status::InvalidArgument(
            fmt::format("index.json names two different images \"{}\"", *tag));
      }
      chosen = &entry;
    }
    if (chosen == nullptr) {
      return Status::NotFound(
          fmt::format("index.json has no image named \"{}\" (it has: {})", *tag,
                      names.empty() ? "none" : fmt::format("{}", fmt::join(names, ", "))));
    }
    const std::string& image_name = name ? *name : *tag;
    if (Status s = ValidateImageName(image_name); !s.ok()) return s;
    selection.images.emplace_back(image_name, *chosen);
    return selection;
  }

  if (name) {
    if (entries.size() != 1) {
      return Status::InvalidArgument(
          fmt::format("--name names one image, and index.json lists {}: give a tag (oci:DIR:TAG)",
                      entries.size()));
    }
    selection.images.emplace_back(*name, entries.front());
    return selection;
  }

  std::set<std::string> seen;
  for (const OciDescriptor& entry : entries) {
    const auto ref = entry.ref_name();
    if (!ref) {
      selection.unnamed.push_back(entry);
      continue;
    }
    if (!seen.insert(*ref).second) {
      return Status::InvalidArgument(fmt::format("index.json names \"{}\" twice", *ref));
    }
    if (Status s = ValidateImageName(*ref); !s.ok()) return s.WithContext("index.json");
    selection.images.emplace_back(*ref, entry);
  }
  if (selection.images.empty()) {
    return Status::InvalidArgument(fmt::format(
        "index.json names no image (no entry has an {} annotation): import one with --name",
        kRefNameAnnotation));
  }
  return selection;
}

}  // namespace contentstore::oci
