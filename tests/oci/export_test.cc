// Export through the library: layouts and archives that skopeo and umoci
// accept, byte-identical round trips, --link, and refusals.

#include "oci/export.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "oci/import.h"
#include "oci/oci_test_util.h"
#include "test_util.h"

namespace contentstore::oci {
namespace {

namespace fs = std::filesystem;
using contentstore::testing::TempDir;
using nlohmann::json;
using testing::LayoutBuilder;
using testing::ReadWholeFile;

Location Dir(const std::string& path) { return {Location::Transport::kDirectory, path, {}}; }
Location Archive(const std::string& path) { return {Location::Transport::kArchive, path, {}}; }

// name -> digest in a layout's index.json.
std::map<std::string, std::string> IndexNames(const std::string& dir) {
  std::map<std::string, std::string> names;
  const json index = json::parse(ReadWholeFile(dir + "/index.json"));
  for (const json& entry : index["manifests"]) {
    if (entry.contains("annotations")) {
      names[entry["annotations"]["org.opencontainers.image.ref.name"].get<std::string>()] =
          entry["digest"].get<std::string>();
    }
  }
  return names;
}

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = contentstore::testing::OpenStore(tmp_ / "store"); }

  void ImportUmoci() {
    const auto& image = testing::UmociImage();
    ASSERT_TRUE(image.error.empty()) << image.error;
    auto report = Import(*store_, {Location::Transport::kDirectory, image.layout, {}});
    ASSERT_TRUE(report.ok()) << report.status().ToString();
  }

  // Every blob of `a` is in `b` with the same bytes.
  static void ExpectSameBlobs(const std::string& a, const std::string& b) {
    size_t n = 0;
    for (const auto& blob : fs::recursive_directory_iterator(a + "/blobs")) {
      if (!blob.is_regular_file()) continue;
      const std::string rel = fs::relative(blob.path(), a).string();
      EXPECT_TRUE(ReadWholeFile(blob.path().string()) == ReadWholeFile(b + "/" + rel)) << rel;
      ++n;
    }
    EXPECT_GT(n, 0u);
  }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

TEST_F(ExportTest, LayoutIsAcceptedBySkopeoAndUmociAndByteIdentical) {
  ImportUmoci();
  const std::string dest = tmp_ / "out";
  auto report = Export(*store_, {"t"}, Dir(dest));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->blobs, 5);
  EXPECT_EQ(report->copied, 5);
  ExpectSameBlobs(testing::UmociImage().layout, dest);
  ExpectSameBlobs(dest, testing::UmociImage().layout);
  EXPECT_EQ(IndexNames(dest), IndexNames(testing::UmociImage().layout));

  auto inspect = testing::Run(fmt::format("skopeo inspect oci:{}:t", dest));
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  auto ls = testing::Run(fmt::format("umoci ls --layout {}", dest));
  EXPECT_EQ(ls.exit_code, 0) << ls.output;
  EXPECT_EQ(ls.output, "t\n");
  // umoci reads the image too, not only its name.
  auto stat = testing::Run(fmt::format("umoci stat --image {}:t", dest));
  EXPECT_EQ(stat.exit_code, 0) << stat.output;
}

TEST_F(ExportTest, ArchiveIsAcceptedBySkopeoAndRoundTrips) {
  ImportUmoci();
  const std::string tar = tmp_ / "out.tar";
  auto report = Export(*store_, {"t"}, Archive(tar));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  auto inspect = testing::Run(fmt::format("skopeo inspect oci-archive:{}:t", tar));
  EXPECT_EQ(inspect.exit_code, 0) << inspect.output;
  // skopeo unpacks it into a layout that matches the original byte for byte.
  auto copy = testing::Run(fmt::format("skopeo --insecure-policy copy -q oci-archive:{}:t oci:{}:t",
                                       tar, tmp_ / "unpacked"));
  ASSERT_EQ(copy.exit_code, 0) << copy.output;
  ExpectSameBlobs(testing::UmociImage().layout, tmp_ / "unpacked");
  // The same export twice gives the same bytes.
  ASSERT_TRUE(Export(*store_, {"t"}, Archive(tmp_ / "again.tar")).ok());
  EXPECT_TRUE(ReadWholeFile(tar) == ReadWholeFile(tmp_ / "again.tar"));
  // And it imports into another store as the same image.
  auto other = contentstore::testing::OpenStore(tmp_ / "other");
  auto imported = Import(*other, {Location::Transport::kArchive, tar, {}});
  ASSERT_TRUE(imported.ok()) << imported.status().ToString();
  EXPECT_EQ(imported->images[0].target, store_->get_image("t")->target);
}

TEST_F(ExportTest, LinkSharesTheStoreFiles) {
  ImportUmoci();
  const std::string dest = tmp_ / "linked";
  ExportOptions options;
  options.link = LinkMode::kLink;
  auto report = Export(*store_, {"t"}, Dir(dest), options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->cloned + report->linked, report->blobs) << "same file system: no copies";
  ExpectSameBlobs(testing::UmociImage().layout, dest);
  if (report->linked > 0) {
    const auto t = store_->get_image("t");
    struct stat a, b;
    ASSERT_EQ(::stat((tmp_ / ("store/blobs/sha256/" + t->target.digest.hex())).c_str(), &a), 0);
    ASSERT_EQ(::stat((dest + "/blobs/sha256/" + t->target.digest.hex()).c_str(), &b), 0);
    EXPECT_EQ(a.st_ino, b.st_ino);
  }
  EXPECT_EQ(testing::Run(fmt::format("skopeo inspect oci:{}:t", dest)).exit_code, 0);
}

TEST_F(ExportTest, AddsToAnExistingLayoutAndReplacesItsOwnNames) {
  LayoutBuilder layout(tmp_ / "src");
  const auto a = layout.AddImage(1, 100, 1);
  const auto b = layout.AddImage(1, 100, 2);
  layout.WriteIndex({{"a", a}, {"b", b}});
  ASSERT_TRUE(Import(*store_, Dir(layout.dir())).ok());
  const std::string dest = tmp_ / "dest";
  ASSERT_TRUE(Export(*store_, {"a"}, Dir(dest)).ok());
  ASSERT_TRUE(Export(*store_, {"b", "a"}, Dir(dest)).ok());
  EXPECT_EQ(IndexNames(dest),
            (std::map<std::string, std::string>{{"a", a.digest.str()}, {"b", b.digest.str()}}));
}

TEST_F(ExportTest, ReferrersGoAlongUnnamed) {
  LayoutBuilder layout(tmp_ / "src");
  const auto image = layout.AddImage(1, 100, 3);
  const auto empty = layout.AddBlob("{}", "application/vnd.oci.empty.v1+json");
  const auto sig = layout.AddBlob("sig", "application/x-sig");
  const auto referrer = layout.AddManifest(
      empty, {sig}, "application/vnd.oci.image.manifest.v1+json", image, "application/x-sig");
  layout.WriteIndex({{"app", image}, {std::nullopt, referrer}});
  ASSERT_TRUE(Import(*store_, Dir(layout.dir())).ok());
  const std::string dest = tmp_ / "dest";
  ASSERT_TRUE(Export(*store_, {"app"}, Dir(dest)).ok());
  const json index = json::parse(ReadWholeFile(dest + "/index.json"));
  ASSERT_EQ(index["manifests"].size(), 2u);
  EXPECT_EQ(index["manifests"][1]["digest"], referrer.digest.str());
  EXPECT_EQ(index["manifests"][1]["artifactType"], "application/x-sig");
  ExpectSameBlobs(layout.dir(), dest);
}

TEST_F(ExportTest, Refusals) {
  ImportUmoci();
  EXPECT_TRUE(Export(*store_, {"nope"}, Dir(tmp_ / "x")).status().IsNotFound());
  EXPECT_FALSE(fs::exists(tmp_ / "x"));
  EXPECT_TRUE(Export(*store_, {"t"}, {Location::Transport::kDirectory, tmp_ / "x", "tag"})
                  .status()
                  .IsInvalidArgument());
  fs::create_directories(tmp_ / "busy");
  testing::WriteWholeFile(tmp_ / "busy/file", "mine");
  EXPECT_TRUE(Export(*store_, {"t"}, Dir(tmp_ / "busy")).status().IsInvalidArgument());
  ExportOptions link;
  link.link = LinkMode::kLink;
  EXPECT_TRUE(Export(*store_, {"t"}, Archive(tmp_ / "x.tar"), link).status().IsInvalidArgument());
  EXPECT_TRUE(Export(*store_, {"t"}, Dir(store_->root())).status().IsInvalidArgument());
  // A failed archive export leaves no file behind.
  EXPECT_TRUE(Export(*store_, {"t", "nope"}, Archive(tmp_ / "y.tar")).status().IsNotFound());
  EXPECT_FALSE(fs::exists(tmp_ / "y.tar"));
}

}  // namespace
}  // namespace contentstore::oci
