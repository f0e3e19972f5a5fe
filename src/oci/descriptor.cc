#include "oci/descriptor.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace contentstore::oci {
namespace {

using nlohmann::json;

Status Bad(std::string_view where, std::string_view what) {
  return Status::InvalidArgument(fmt::format("{}: {}", where, what));
}

Result<json> ParseJson(std::string_view bytes, std::string_view where) {
  json doc = json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (doc.is_discarded()) return Bad(where, "not valid JSON");
  if (!doc.is_object()) return Bad(where, "not a JSON object");
  return doc;
}

// An optional string field; InvalidArgument if present and not a string.
Result<std::string> OptionalString(const json& object, const char* key, std::string_view where) {
  auto it = object.find(key);
  if (it == object.end() || it->is_null()) return std::string();
  if (!it->is_string()) return Bad(where, fmt::format("\"{}\" is not a string", key));
  return it->get<std::string>();
}

Status CheckSchemaVersion(const json& doc, std::string_view where) {
  auto it = doc.find("schemaVersion");
  // Required by both specs, but nothing here depends on it: absent is fine,
  // anything other than 2 is a document of another kind.
  if (it == doc.end()) return Status::OK();
  if (!it->is_number_integer() || it->get<int64_t>() != 2) {
    return Bad(where, "schemaVersion is not 2");
  }
  return Status::OK();
}

// The manifests[] (or layers[], blobs[]) array under `key`; absent is empty.
Result<std::vector<Child>> ChildArray(const json& doc, const char* key, Role role,
                                      std::string_view where) {
  std::vector<Child> children;
  auto it = doc.find(key);
  if (it == doc.end() || it->is_null()) return children;
  if (!it->is_array()) return Bad(where, fmt::format("\"{}\" is not an array", key));
  for (size_t i = 0; i < it->size(); ++i) {
    auto d = ParseDescriptor((*it)[i], fmt::format("{} {}[{}]", where, key, i));
    if (!d.ok()) return d.status();
    children.push_back(Child{std::move(*d), role, i});
  }
  return children;
}

}  // namespace

std::optional<std::string> OciDescriptor::ref_name() const {
  auto it = annotations.find(std::string(kRefNameAnnotation));
  if (it == annotations.end()) return std::nullopt;
  return it->second;
}

Result<OciDescriptor> ParseDescriptor(const json& object, std::string_view where) {
  if (!object.is_object()) return Bad(where, "descriptor is not a JSON object");
  OciDescriptor d;
  auto media_type = OptionalString(object, "mediaType", where);
  if (!media_type.ok()) return media_type.status();
  if (media_type->empty()) return Bad(where, "descriptor has no mediaType");
  d.media_type = std::move(*media_type);

  auto digest_it = object.find("digest");
  if (digest_it == object.end() || !digest_it->is_string()) {
    return Bad(where, "descriptor has no digest");
  }
  auto digest = Digest::Parse(digest_it->get<std::string>());
  if (!digest.ok()) return Bad(where, digest.status().message());
  d.digest = *digest;

  auto size_it = object.find("size");
  if (size_it == object.end() || !size_it->is_number_integer()) {
    return Bad(where, "descriptor has no integer size");
  }
  // A number past int64 parses as unsigned.
  if (size_it->is_number_unsigned() && size_it->get<uint64_t>() > uint64_t{INT64_MAX}) {
    return Bad(where, fmt::format("size {} is absurd", size_it->get<uint64_t>()));
  }
  d.size = size_it->get<int64_t>();
  if (d.size < 0 || d.size > kMaxBlobBytes) {
    return Bad(where,
               fmt::format("size {} is absurd (0 to {} bytes allowed)", d.size, kMaxBlobBytes));
  }
  if (KindOf(d.media_type) != Kind::kBlob && d.size > kMaxDocumentBytes) {
    return Bad(where, fmt::format("{} of {} bytes is larger than the {} allowed", d.media_type,
                                  d.size, kMaxDocumentBytes));
  }

  auto artifact_type = OptionalString(object, "artifactType", where);
  if (!artifact_type.ok()) return artifact_type.status();
  d.artifact_type = std::move(*artifact_type);

  auto annotations = object.find("annotations");
  if (annotations != object.end() && !annotations->is_null()) {
    if (!annotations->is_object()) return Bad(where, "annotations is not an object");
    for (const auto& [key, value] : annotations->items()) {
      if (!value.is_string()) {
        return Bad(where, fmt::format("annotation \"{}\" is not a string", key));
      }
      d.annotations[key] = value.get<std::string>();
    }
  }
  return d;
}

Result<Document> ParseDocument(const OciDescriptor& descriptor, std::string_view bytes) {
  const std::string where = fmt::format("{} {}", descriptor.media_type, descriptor.digest.str());
  auto doc = ParseJson(bytes, where);
  if (!doc.ok()) return doc.status();
  if (Status s = CheckSchemaVersion(*doc, where); !s.ok()) return s;
  // The document's own mediaType, when it has one, must agree with the
  // descriptor's: otherwise an index could pass for a manifest or back.
  auto own_type = OptionalString(*doc, "mediaType", where);
  if (!own_type.ok()) return own_type.status();
  if (!own_type->empty() && *own_type != descriptor.media_type) {
    return Bad(where, fmt::format("its mediaType is {}", *own_type));
  }

  Document result;
  result.kind = KindOf(descriptor.media_type);
  if (result.kind == Kind::kIndex) {
    auto manifests = ChildArray(*doc, "manifests", Role::kManifest, where);
    if (!manifests.ok()) return manifests.status();
    result.children = std::move(*manifests);
  } else if (result.kind == Kind::kManifest) {
    if (descriptor.media_type == kOciArtifactManifest) {
      auto blobs = ChildArray(*doc, "blobs", Role::kLayer, where);
      if (!blobs.ok()) return blobs.status();
      result.children = std::move(*blobs);
    } else {
      auto config = doc->find("config");
      if (config == doc->end()) return Bad(where, "manifest has no config");
      auto c = ParseDescriptor(*config, where + " config");
      if (!c.ok()) return c.status();
      result.children.push_back(Child{std::move(*c), Role::kConfig, 0});
      auto layers = ChildArray(*doc, "layers", Role::kLayer, where);
      if (!layers.ok()) return layers.status();
      for (Child& layer : *layers) result.children.push_back(std::move(layer));
    }
  } else {
    return Status::Internal(fmt::format("{}: not an index or a manifest", where));
  }

  auto subject = doc->find("subject");
  if (subject != doc->end() && !subject->is_null()) {
    auto s = ParseDescriptor(*subject, where + " subject");
    if (!s.ok()) return s.status();
    result.subject = std::move(*s);
  }
  return result;
}

Result<std::vector<OciDescriptor>> ParseLayoutIndex(std::string_view bytes) {
  constexpr std::string_view kWhere = "index.json";
  if (static_cast<int64_t>(bytes.size()) > kMaxDocumentBytes) {
    return Bad(kWhere, fmt::format("{} bytes is larger than the {} allowed", bytes.size(),
                                   kMaxDocumentBytes));
  }
  auto doc = ParseJson(bytes, kWhere);
  if (!doc.ok()) return doc.status();
  if (Status s = CheckSchemaVersion(*doc, kWhere); !s.ok()) return s;
  auto manifests = ChildArray(*doc, "manifests", Role::kManifest, kWhere);
  if (!manifests.ok()) return manifests.status();
  std::vector<OciDescriptor> result;
  for (Child& child : *manifests) result.push_back(std::move(child.descriptor));
  return result;
}

Status CheckLayoutFile(std::string_view bytes) {
  auto doc = ParseJson(bytes, "oci-layout");
  if (!doc.ok()) return doc.status();
  auto version = doc->find("imageLayoutVersion");
  if (version == doc->end() || !version->is_string()) {
    return Bad("oci-layout", "no imageLayoutVersion");
  }
  if (version->get<std::string>() != kLayoutVersion) {
    return Bad("oci-layout", fmt::format("imageLayoutVersion {} is not {}",
                                         version->get<std::string>(), kLayoutVersion));
  }
  return Status::OK();
}

std::string Describe(const OciDescriptor& descriptor) {
  return fmt::format("{} {} ({} bytes)", descriptor.media_type, descriptor.digest.str(),
                     descriptor.size);
}

}  // namespace contentstore::oci
