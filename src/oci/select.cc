#include "oci/select.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <set>

#include "contentstore/validate.h"

namespace contentstore::oci {
namespace {

// The store's rules for what put_image() will be given.
Status CheckImage(const std::string& name, const OciDescriptor& target) {
  if (Status s = ValidateImageName(name); !s.ok()) return s;
  if (Status s = ValidateMediaType(target.media_type); !s.ok()) {
    return s.WithContext(fmt::format("image \"{}\"", name));
  }
  return Status::OK();
}

}  // namespace

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
    if (Status s = CheckImage(image_name, *chosen); !s.ok()) return s;
    selection.images.emplace_back(image_name, *chosen);
    return selection;
  }

  if (name) {
    if (entries.size() != 1) {
      return Status::InvalidArgument(
          fmt::format("--name names one image, and index.json lists {}: give a tag (oci:DIR:TAG)",
                      entries.size()));
    }
    if (Status s = CheckImage(*name, entries.front()); !s.ok()) return s;
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
    if (Status s = CheckImage(*ref, entry); !s.ok()) return s.WithContext("index.json");
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
