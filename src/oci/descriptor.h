// OCI descriptors and the two JSON documents that hold them (image index and
// image manifest, with their Docker schema 2 twins), parsed from untrusted
// bytes: every field is checked and every failure is InvalidArgument naming
// the document and the field.
//
// Thread-safety: pure functions and values.

#ifndef CONTENTSTORE_SRC_OCI_DESCRIPTOR_H_
#define CONTENTSTORE_SRC_OCI_DESCRIPTOR_H_

#include <cstddef>
#include <cstdint>
#include <map>
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "contentstore/digest.h"
#include "contentstore/image.h"
#include "contentstore/status.h"
#include "oci/media_types.h"

namespace contentstore::oci {

// Largest index or manifest read into memory (registries refuse more than
// 4 MiB too). index.json has the same limit.
inline constexpr int64_t kMaxDocumentBytes = 4 << 20;
// Largest blob a descriptor may claim (16 TiB): anything above is not an
// image but a malicious or broken file.
inline constexpr int64_t kMaxBlobBytes = int64_t{1} << 44;

struct OciDescriptor {
  std::string media_type;
  Digest digest = Digest::OfEmpty();
  int64_t size = 0;
  std::map<std::string, std::string> annotations;
  std::string artifact_type;  // image-spec 1.1; empty when absent

  // What the catalog keeps of it (Store::put_image).
  Descriptor ToDescriptor() const { return {media_type, digest, size}; }
  // The ref-name annotation, if any.
  std::optional<std::string> ref_name() const;
};

// Why a parent refers to a child; decides the child's reference label.
enum class Role { kManifest, kConfig, kLayer };

struct Child {
  OciDescriptor descriptor;
  Role role = Role::kLayer;
  size_t index = 0;  // position among the parent's manifests or layers
};

// An index or a manifest: what it refers to.
struct Document {
  Kind kind = Kind::kBlob;
  std::vector<Child> children;
  // image-spec 1.1: the manifest this one refers to (a signature, an SBOM).
  std::optional<OciDescriptor> subject;
};

// One descriptor object. `where` names it in errors ("index.json
// manifests[2]").
Result<OciDescriptor> ParseDescriptor(const nlohmann::json& object, std::string_view where);

// The document `descriptor` names, from its bytes.
// REQUIRES: KindOf(descriptor.media_type) is kIndex or kManifest.
Result<Document> ParseDocument(const OciDescriptor& descriptor, std::string_view bytes);

// A layout's index.json: its manifests[] in order.
Result<std::vector<OciDescriptor>> ParseLayoutIndex(std::string_view bytes);

// A layout's oci-layout file: OK when it says imageLayoutVersion 1.0.0.
Status CheckLayoutFile(std::string_view bytes);

// "application/vnd.oci.image.manifest.v1+json sha256:abc... (1234 bytes)"
std::string Describe(const OciDescriptor& descriptor);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_DESCRIPTOR_H_
