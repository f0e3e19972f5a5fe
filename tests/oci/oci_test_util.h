// Helpers for the tests of src/oci/: layouts written by hand (any shape,
// broken on purpose), tars with chosen members, the real tools (umoci,
// skopeo) run as a user would, and one image built with umoci per process.

#ifndef CONTENTSTORE_TESTS_OCI_OCI_TEST_UTIL_H_
#define CONTENTSTORE_TESTS_OCI_OCI_TEST_UTIL_H_

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "oci/descriptor.h"

namespace contentstore::oci::testing {

// An OCI layout directory written blob by blob.
class LayoutBuilder {
 public:
  explicit LayoutBuilder(std::string dir);

  const std::string& dir() const { return dir_; }
  std::string BlobPath(const Digest& digest) const;

  // Writes `bytes` as a blob (unless `write` is false: a descriptor for a
  // blob the layout lacks).
  OciDescriptor AddBlob(std::string_view bytes, std::string media_type, bool write = true);
  // An image manifest (OCI unless `media_type` says Docker's).
  OciDescriptor AddManifest(const OciDescriptor& config, const std::vector<OciDescriptor>& layers,
                            std::string media_type = "application/vnd.oci.image.manifest.v1+json",
                            const std::optional<OciDescriptor>& subject = std::nullopt,
                            const std::string& artifact_type = "");
  OciDescriptor AddIndex(const std::vector<OciDescriptor>& manifests,
                         std::string media_type = "application/vnd.oci.image.index.v1+json");
  // A small image: a config and `layers` layers of `layer_bytes` each
  // (seeded), returns the manifest.
  OciDescriptor AddImage(int layers, size_t layer_bytes, uint64_t seed);
  // index.json: each entry with its ref name, if any.
  void WriteIndex(const std::vector<std::pair<std::optional<std::string>, OciDescriptor>>& entries);

  static std::string DescriptorJson(const OciDescriptor& d);

 private:
  std::string dir_;
};

// A tar member for WriteTar.
struct TarMember {
  enum class Type { kFile, kDir, kSymlink, kHardlink };
  std::string name;
  std::string content;
  Type type = Type::kFile;
  std::string target;  // of a link
};
TarMember FileMember(std::string name, std::string content);
void WriteTar(const std::string& path, const std::vector<TarMember>& members);
// The files of a layout directory as tar members: oci-layout, blobs, and
// index.json last (as skopeo writes it).
std::vector<TarMember> LayoutMembers(const std::string& dir);

struct RunResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};
// Runs a shell command line.
RunResult Run(const std::string& command);
// The path of `tool` on PATH; fails the test when it is missing (these
// tests never pass silently without it).
bool HaveTool(const std::string& tool);

// An image built with umoci (three layers, one of 6 MiB) as a layout
// (oci:layout:t) and as a skopeo oci-archive (archive:t); built once per
// process, under a directory removed at exit. Empty strings when the tools
// failed (the test then fails).
struct BuiltImage {
  std::string layout;
  std::string archive;
  std::string tag = "t";
  std::string error;
};
const BuiltImage& UmociImage();

std::string ReadWholeFile(const std::string& path);
void WriteWholeFile(const std::string& path, std::string_view data);

}  // namespace contentstore::oci::testing

#endif  // CONTENTSTORE_TESTS_OCI_OCI_TEST_UTIL_H_
