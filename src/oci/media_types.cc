#include "oci/media_types.h"

namespace contentstore::oci {

Kind KindOf(std::string_view media_type) {
  if (media_type == kOciIndex || media_type == kDockerManifestList) return Kind::kIndex;
  if (media_type == kOciManifest || media_type == kDockerManifest ||
      media_type == kOciArtifactManifest) {
    return Kind::kManifest;
  }
  return Kind::kBlob;
}

bool IsNonDistributable(std::string_view media_type) {
  return media_type.starts_with("application/vnd.oci.image.layer.nondistributable.") ||
         media_type.starts_with("application/vnd.docker.image.rootfs.foreign.");
}

}  // namespace contentstore::oci
