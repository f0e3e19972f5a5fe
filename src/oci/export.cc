#include "oci/export.h"

#include <fmt/format.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <set>

#include "oci/gc_labels.h"
#include "oci/store_read.h"
#include "oci/walk.h"

namespace contentstore::oci {
namespace {

using nlohmann::json;

class ExportAccess final : public BlobAccess {
 public:
  explicit ExportAccess(Store& store) : store_(store) {}

  Status Ensure(const OciDescriptor& descriptor) override {
    auto info = store_.info(descriptor.digest);
    if (!info.ok()) {
      if (info.status().IsNotFound()) {
        return Status::NotFound(fmt::format("the store has no blob {}", Describe(descriptor)));
      }
      return info.status();
    }
    if (info->size != descriptor.size) {
      return Status::FailedPrecondition(
          fmt::format("stored {} holds {} bytes; its descriptor says {}", descriptor.digest.str(),
                      info->size, descriptor.size));
    }
    return Status::OK();
  }

  Result<std::string> ReadDocument(const OciDescriptor& descriptor) override {
    return ReadStoredDocument(store_, descriptor);
  }

 private:
  Store& store_;
};

// The referrers the store links to `digest` (gc_labels.h), as descriptors
// rebuilt from their own bytes. Those that cannot be read are left out.
std::vector<OciDescriptor> StoredReferrers(Store& store, const Digest& digest) {
  std::vector<OciDescriptor> referrers;
  auto info = store.info(digest);
  if (!info.ok()) return referrers;
  for (const auto& [key, value] : info->labels) {
    if (!key.starts_with(kReferrerLabelPrefix)) continue;
    auto referrer = Digest::Parse(value);
    if (!referrer.ok()) continue;
    auto referrer_info = store.info(*referrer);
    if (!referrer_info.ok() || referrer_info->size > kMaxDocumentBytes) continue;
    OciDescriptor d;
    d.digest = *referrer;
    d.size = referrer_info->size;
    d.media_type = std::string(kOciManifest);  // provisional, for the read
    auto bytes = ReadStoredDocument(store, d);
    if (!bytes.ok()) continue;
    json doc = json::parse(*bytes, nullptr, false);
    if (!doc.is_object() || !doc.contains("mediaType") || !doc["mediaType"].is_string()) continue;
    d.media_type = doc["mediaType"].get<std::string>();
    if (KindOf(d.media_type) == Kind::kBlob) continue;
    if (doc.contains("artifactType") && doc["artifactType"].is_string()) {
      d.artifact_type = doc["artifactType"].get<std::string>();
    }
    referrers.push_back(std::move(d));
  }
  return referrers;
}

json EntryJson(const OciDescriptor& d) {
  json entry = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.artifact_type.empty()) entry["artifactType"] = d.artifact_type;
  if (!d.annotations.empty()) entry["annotations"] = d.annotations;
  return entry;
}

// index.json: the entries of `existing` that are neither named as one of
// ours nor one of our unnamed referrers, then ours.
Result<std::string> BuildIndex(const std::string& existing,
                               const std::vector<OciDescriptor>& ours) {
  std::set<std::string> names;
  std::set<std::string> unnamed;
  for (const OciDescriptor& d : ours) {
    if (auto name = d.ref_name()) {
      names.insert(*name);
    } else {
      unnamed.insert(d.digest.str());
    }
  }
  json manifests = json::array();
  if (!existing.empty()) {
    json old = json::parse(existing, nullptr, false);
    if (old.is_object() && old.contains("manifests") && old["manifests"].is_array()) {
      for (const json& entry : old["manifests"]) {
        const json* annotations = entry.contains("annotations") ? &entry["annotations"] : nullptr;
        const std::string key(kRefNameAnnotation);
        if (annotations != nullptr && annotations->is_object() && annotations->contains(key) &&
            (*annotations)[key].is_string()) {
          if (names.contains((*annotations)[key].get<std::string>())) continue;
        } else if (entry.contains("digest") && entry["digest"].is_string() &&
                   unnamed.contains(entry["digest"].get<std::string>())) {
          continue;
        }
        manifests.push_back(entry);
      }
    }
  }
  for (const OciDescriptor& d : ours) manifests.push_back(EntryJson(d));
  json index = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", manifests}};
  return index.dump();
}

}  // namespace

Result<ExportReport> Export(Store& store, const std::vector<std::string>& names,
                            const Location& destination, const ExportOptions& options) {
  if (destination.tag) {
    return Status::InvalidArgument(
        fmt::format("{}: an export destination takes no tag; the image names are its tags",
                    destination.ToString()));
  }
  if (names.empty()) return Status::InvalidArgument("no image to export");
  // The store root is a layout of the store's own names, kept by the store:
  // an export must not rewrite its index.json.
  std::error_code ec;
  if (std::filesystem::equivalent(destination.path, store.root(), ec)) {
    return Status::InvalidArgument(fmt::format(
        "{} is the store itself, already an OCI layout of its images", destination.path));
  }
  if (destination.transport == Location::Transport::kArchive && options.link == LinkMode::kLink) {
    return Status::InvalidArgument("--link needs an oci:DIR destination, not an archive");
  }

  ExportReport report;
  std::vector<OciDescriptor> entries;
  std::vector<OciDescriptor> roots;
  std::set<std::string> seen_names;
  for (const std::string& name : names) {
    if (!seen_names.insert(name).second) continue;
    auto image = store.get_image(name);
    if (!image.ok()) return image.status();
    OciDescriptor d;
    d.media_type = image->target.media_type;
    d.digest = image->target.digest;
    d.size = image->target.size;
    d.annotations[std::string(kRefNameAnnotation)] = name;
    entries.push_back(d);
    roots.push_back(d);
    report.images.push_back({name, image->target});
  }

  ExportAccess access(store);
  Graph graph;
  if (Status s = WalkInto(graph, roots, access); !s.ok()) return s;
  // Referrers of anything exported, and theirs, as unnamed entries.
  std::set<Digest> referrer_digests;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    if (graph.nodes[i].document.kind == Kind::kBlob) continue;
    for (OciDescriptor& referrer : StoredReferrers(store, graph.nodes[i].descriptor.digest)) {
      if (graph.Find(referrer.digest) != nullptr) continue;
      if (Status s = WalkInto(graph, {referrer}, access); !s.ok()) return s;
      if (referrer_digests.insert(referrer.digest).second) entries.push_back(referrer);
    }
  }

  auto writer = destination.transport == Location::Transport::kDirectory
                    ? OpenDirWriter(destination.path, options.link)
                    : OpenArchiveWriter(destination.path);
  if (!writer.ok()) return writer.status();
  for (const Node& node : graph.nodes) {
    if (node.absent) continue;
    auto placed = (*writer)->PutBlob(store, node.descriptor.digest, node.descriptor.size);
    if (!placed.ok()) return placed.status();
    ++report.blobs;
    report.bytes += node.descriptor.size;
    switch (*placed) {
      case Placement::kPresent:
        ++report.present;
        break;
      case Placement::kCloned:
        ++report.cloned;
        break;
      case Placement::kLinked:
        ++report.linked;
        break;
      case Placement::kCopied:
        ++report.copied;
        break;
    }
  }
  auto index = BuildIndex((*writer)->existing_index(), entries);
  if (!index.ok()) return index.status();
  if (Status s = (*writer)->Finish(*index); !s.ok()) return s;
  report.warnings = graph.warnings;
  return report;
}

}  // namespace contentstore::oci
