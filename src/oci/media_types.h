// OCI image-spec and Docker schema 2 media types, and what each kind of
// descriptor is to the descriptor walk (walk.h) and to the collector's
// reference labels (gc_labels.h).
//
// Thread-safety: pure functions and constants.

#ifndef CONTENTSTORE_SRC_OCI_MEDIA_TYPES_H_
#define CONTENTSTORE_SRC_OCI_MEDIA_TYPES_H_

#include <string_view>

namespace contentstore::oci {

inline constexpr std::string_view kOciIndex = "application/vnd.oci.image.index.v1+json";
inline constexpr std::string_view kOciManifest = "application/vnd.oci.image.manifest.v1+json";
inline constexpr std::string_view kOciConfig = "application/vnd.oci.image.config.v1+json";
inline constexpr std::string_view kOciEmpty = "application/vnd.oci.empty.v1+json";
// The artifact manifest of image-spec 1.1's release candidates (withdrawn
// before 1.1.0, still written by some tools): `blobs` instead of `layers`.
inline constexpr std::string_view kOciArtifactManifest =
    "application/vnd.oci.artifact.manifest.v1+json";
inline constexpr std::string_view kDockerManifest =
    "application/vnd.docker.distribution.manifest.v2+json";
inline constexpr std::string_view kDockerManifestList =
    "application/vnd.docker.distribution.manifest.list.v2+json";
inline constexpr std::string_view kDockerConfig = "application/vnd.docker.container.image.v1+json";

// The index.json annotation that names an image in a layout.
inline constexpr std::string_view kRefNameAnnotation = "org.opencontainers.image.ref.name";
// What index.json's oci-layout file must say.
inline constexpr std::string_view kLayoutVersion = "1.0.0";

// How the walk treats a descriptor.
enum class Kind {
  kIndex,     // children: manifests[]
  kManifest,  // children: config, layers[] (blobs[] for the artifact manifest)
  kBlob,      // a leaf: config, layer or any other blob
};

Kind KindOf(std::string_view media_type);

// OCI "...layer.nondistributable..." and Docker "...rootfs.foreign..." layers:
// a layout may leave them out; an import skips them when absent and never
// invents them.
bool IsNonDistributable(std::string_view media_type);

}  // namespace contentstore::oci

#endif  // CONTENTSTORE_SRC_OCI_MEDIA_TYPES_H_
