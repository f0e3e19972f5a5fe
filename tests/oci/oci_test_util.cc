#include "oci/oci_test_util.h"

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "test_util.h"

namespace contentstore::oci::testing {

namespace fs = std::filesystem;
using nlohmann::json;

std::string ReadWholeFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

void WriteWholeFile(const std::string& path, std::string_view data) {
  fs::create_directories(fs::path(path).parent_path());
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

LayoutBuilder::LayoutBuilder(std::string dir) : dir_(std::move(dir)) {
  fs::create_directories(dir_ + "/blobs/sha256");
  WriteWholeFile(dir_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
}

std::string LayoutBuilder::BlobPath(const Digest& digest) const {
  return fmt::format("{}/blobs/{}/{}", dir_, AlgorithmName(digest.algorithm()), digest.hex());
}

OciDescriptor LayoutBuilder::AddBlob(std::string_view bytes, std::string media_type, bool write) {
  OciDescriptor d;
  d.media_type = std::move(media_type);
  d.digest = contentstore::testing::DigestOf(bytes);
  d.size = static_cast<int64_t>(bytes.size());
  if (write) WriteWholeFile(BlobPath(d.digest), bytes);
  return d;
}

std::string LayoutBuilder::DescriptorJson(const OciDescriptor& d) {
  json j = {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
  if (!d.annotations.empty()) j["annotations"] = d.annotations;
  if (!d.artifact_type.empty()) j["artifactType"] = d.artifact_type;
  return j.dump();
}

OciDescriptor LayoutBuilder::AddManifest(const OciDescriptor& config,
                                         const std::vector<OciDescriptor>& layers,
                                         std::string media_type,
                                         const std::optional<OciDescriptor>& subject,
                                         const std::string& artifact_type) {
  json m = {{"schemaVersion", 2},
            {"mediaType", media_type},
            {"config", json::parse(DescriptorJson(config))}};
  m["layers"] = json::array();
  for (const auto& l : layers) m["layers"].push_back(json::parse(DescriptorJson(l)));
  if (subject) m["subject"] = json::parse(DescriptorJson(*subject));
  if (!artifact_type.empty()) m["artifactType"] = artifact_type;
  OciDescriptor d = AddBlob(m.dump(), media_type);
  d.artifact_type = artifact_type;
  return d;
}

OciDescriptor LayoutBuilder::AddIndex(const std::vector<OciDescriptor>& manifests,
                                      std::string media_type) {
  json m = {{"schemaVersion", 2}, {"mediaType", media_type}, {"manifests", json::array()}};
  for (const auto& d : manifests) m["manifests"].push_back(json::parse(DescriptorJson(d)));
  return AddBlob(m.dump(), media_type);
}

OciDescriptor LayoutBuilder::AddImage(int layers, size_t layer_bytes, uint64_t seed) {
  const OciDescriptor config =
      AddBlob(fmt::format(R"({{"architecture":"amd64","os":"linux","seed":{}}})", seed),
              "application/vnd.oci.image.config.v1+json");
  std::vector<OciDescriptor> ls;
  for (int i = 0; i < layers; ++i) {
    ls.push_back(AddBlob(
        contentstore::testing::MakeContent(layer_bytes, seed * 100 + static_cast<uint64_t>(i)),
        "application/vnd.oci.image.layer.v1.tar+gzip"));
  }
  return AddManifest(config, ls);
}

void LayoutBuilder::WriteIndex(
    const std::vector<std::pair<std::optional<std::string>, OciDescriptor>>& entries) {
  json index = {{"schemaVersion", 2}, {"manifests", json::array()}};
  for (auto [name, d] : entries) {
    if (name) d.annotations["org.opencontainers.image.ref.name"] = *name;
    index["manifests"].push_back(json::parse(DescriptorJson(d)));
  }
  WriteWholeFile(dir_ + "/index.json", index.dump());
}

void WriteTar(const std::string& path, const std::vector<TarMember>& members) {
  struct archive* a = archive_write_new();
  archive_write_set_format_pax_restricted(a);
  ASSERT_EQ(archive_write_open_filename(a, path.c_str()), ARCHIVE_OK);
  for (const TarMember& m : members) {
    struct archive_entry* e = archive_entry_new();
    archive_entry_set_pathname(e, m.name.c_str());
    archive_entry_set_perm(e, 0644);
    switch (m.type) {
      case TarMember::Type::kFile:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_size(e, static_cast<la_int64_t>(m.content.size()));
        break;
      case TarMember::Type::kDir:
        archive_entry_set_filetype(e, AE_IFDIR);
        break;
      case TarMember::Type::kSymlink:
        archive_entry_set_filetype(e, AE_IFLNK);
        archive_entry_set_symlink(e, m.target.c_str());
        break;
      case TarMember::Type::kHardlink:
        archive_entry_set_filetype(e, AE_IFREG);
        archive_entry_set_hardlink(e, m.target.c_str());
        break;
    }
    ASSERT_EQ(archive_write_header(a, e), ARCHIVE_OK) << archive_error_string(a);
    if (m.type == TarMember::Type::kFile && !m.content.empty()) {
      ASSERT_EQ(archive_write_data(a, m.content.data(), m.content.size()),
                static_cast<la_ssize_t>(m.content.size()));
    }
    archive_entry_free(e);
  }
  archive_write_close(a);
  archive_write_free(a);
}

TarMember FileMember(std::string name, std::string content) {
  TarMember m;
  m.name = std::move(name);
  m.content = std::move(content);
  return m;
}

std::vector<TarMember> LayoutMembers(const std::string& dir) {
  std::vector<TarMember> members;
  members.push_back(FileMember("oci-layout", ReadWholeFile(dir + "/oci-layout")));
  std::vector<std::string> blobs;
  for (const auto& alg : fs::directory_iterator(dir + "/blobs")) {
    for (const auto& blob : fs::directory_iterator(alg.path())) {
      blobs.push_back(fs::relative(blob.path(), dir).string());
    }
  }
  std::sort(blobs.begin(), blobs.end());
  for (const auto& name : blobs)
    members.push_back(FileMember(name, ReadWholeFile(dir + "/" + name)));
  members.push_back(FileMember("index.json", ReadWholeFile(dir + "/index.json")));
  return members;
}

RunResult Run(const std::string& command) {
  RunResult result;
  FILE* pipe = ::popen((command + " 2>&1").c_str(), "r");
  if (pipe == nullptr) return result;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, pipe)) > 0) result.output.append(buf, n);
  const int status = ::pclose(pipe);
  result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

bool HaveTool(const std::string& tool) { return Run("command -v " + tool).exit_code == 0; }

namespace {

BuiltImage Build() {
  BuiltImage image;
  for (const char* tool : {"umoci", "skopeo"}) {
    if (!HaveTool(tool)) {
      image.error = fmt::format("{} is not installed (tools/install-deps installs it)", tool);
      return image;
    }
  }
  static contentstore::testing::TempDir* dir = new contentstore::testing::TempDir();  // until exit
  const std::string d = dir->path();
  image.layout = d + "/layout";
  image.archive = d + "/image.tar";
  WriteWholeFile(d + "/big", contentstore::testing::MakeContent(6 << 20, 7));
  WriteWholeFile(d + "/small", "small file\n");
  WriteWholeFile(d + "/medium", contentstore::testing::MakeContent(300 << 10, 8));
  const std::string steps[] = {
      fmt::format("umoci init --layout {}", image.layout),
      fmt::format("umoci new --image {}:t", image.layout),
      fmt::format("umoci insert --rootless --image {}:t {}/big /data/big", image.layout, d),
      fmt::format("umoci insert --rootless --image {}:t {}/small /etc/small", image.layout, d),
      fmt::format("umoci insert --rootless --image {}:t {}/medium /data/medium", image.layout, d),
      // Each insert leaves the previous manifest and config behind.
      fmt::format("umoci gc --layout {}", image.layout),
      fmt::format("skopeo --insecure-policy copy -q oci:{}:t oci-archive:{}:t", image.layout,
                  image.archive),
  };
  for (const std::string& step : steps) {
    RunResult r = Run(step);
    if (r.exit_code != 0) {
      image.error = fmt::format("{} failed: {}", step, r.output);
      return image;
    }
  }
  return image;
}

}  // namespace

const BuiltImage& UmociImage() {
  static const BuiltImage* image = new BuiltImage(Build());
  return *image;
}

}  // namespace contentstore::oci::testing
