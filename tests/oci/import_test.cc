// Import through the library: images built with umoci (as a layout and as a
// skopeo archive), the collector keeping whole images, and every bad input
// refused with its code, no name and nothing for fsck to report.

#include "oci/import.h"

#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "oci/blob_ingest.h"
#include "oci/gc_labels.h"
#include "oci/oci_test_util.h"
#include "test_env.h"
#include "test_util.h"

namespace contentstore::oci {
namespace {

namespace fs = std::filesystem;
using contentstore::testing::DigestOf;
using contentstore::testing::MakeContent;
using contentstore::testing::ReadAll;
using contentstore::testing::TempDir;
using nlohmann::json;
using testing::LayoutBuilder;
using testing::ReadWholeFile;
using testing::WriteWholeFile;

Location Dir(const std::string& path, std::optional<std::string> tag = std::nullopt) {
  return {Location::Transport::kDirectory, path, std::move(tag)};
}
Location Archive(const std::string& path, std::optional<std::string> tag = std::nullopt) {
  return {Location::Transport::kArchive, path, std::move(tag)};
}

ImportOptions Named(std::string name) {
  ImportOptions options;
  options.name = std::move(name);
  return options;
}

class ImportTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = contentstore::testing::OpenStore(tmp_ / "store"); }

  // Every blob file of the layout `dir` is in the store, byte for byte.
  void ExpectBlobsOf(const std::string& dir) {
    for (const auto& alg : fs::directory_iterator(dir + "/blobs")) {
      for (const auto& blob : fs::directory_iterator(alg.path())) {
        auto digest =
            Digest::Parse(alg.path().filename().string() + ":" + blob.path().filename().string());
        ASSERT_TRUE(digest.ok());
        auto stored = ReadAll(*store_, *digest);
        ASSERT_TRUE(stored.ok()) << digest->str() << ": " << stored.status().ToString();
        EXPECT_TRUE(*stored == ReadWholeFile(blob.path().string())) << digest->str();
      }
    }
  }

  // A failed import: the code, no name, no ingest, no lease, fsck clean.
  void ExpectRefused(const Location& source, Code code, std::string_view message_part = {}) {
    auto report = Import(*store_, source);
    ASSERT_FALSE(report.ok()) << source.ToString() << " was imported";
    EXPECT_EQ(report.status().code(), code) << report.status().ToString();
    if (!message_part.empty()) {
      EXPECT_NE(report.status().message().find(message_part), std::string::npos)
          << report.status().ToString();
    }
    auto images = store_->list_images();
    ASSERT_TRUE(images.ok());
    EXPECT_TRUE(images->empty()) << "a failed import named " << images->front().name;
    // Bytes that could never commit are dropped; a blob cut short by a
    // truncated input stays as an ingest for a re-run to resume.
    auto ingests = store_->list_ingests();
    ASSERT_TRUE(ingests.ok());
    if (code != Code::kDataLoss) {
      EXPECT_TRUE(ingests->empty()) << ingests->front().ref;
    }
    auto leases = store_->list_leases();
    ASSERT_TRUE(leases.ok());
    EXPECT_TRUE(leases->empty()) << leases->front().id;
    auto fsck = store_->fsck();
    ASSERT_TRUE(fsck.ok());
    EXPECT_TRUE(fsck->problems.empty()) << fsck->problems.front().detail;
  }

  GcReport CollectAll() {
    GcOptions options;
    options.grace = std::chrono::nanoseconds(0);
    auto report = store_->collect_garbage(options);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : GcReport{};
  }

  bool Has(const Digest& digest) { return store_->info(digest).ok(); }

  TempDir tmp_;
  std::unique_ptr<Store> store_;
};

// --- Real images ----------------------------------------------------------

TEST_F(ImportTest, UmociLayoutImportsWholeWithContainerdLabels) {
  const auto& image = testing::UmociImage();
  ASSERT_TRUE(image.error.empty()) << image.error;
  auto report = Import(*store_, Dir(image.layout));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->images.size(), 1u);
  EXPECT_EQ(report->images[0].name, "t");
  EXPECT_EQ(report->blobs, 5);  // manifest, config, three layers
  EXPECT_EQ(report->blobs_copied, 5);
  ExpectBlobsOf(image.layout);

  auto named = store_->get_image("t");
  ASSERT_TRUE(named.ok());
  EXPECT_EQ(named->target.media_type, "application/vnd.oci.image.manifest.v1+json");
  auto manifest = store_->info(named->target.digest);
  ASSERT_TRUE(manifest.ok());
  const json doc = json::parse(*ReadAll(*store_, named->target.digest));
  EXPECT_EQ(manifest->labels.at("containerd.io/gc.ref.content.config"),
            doc["config"]["digest"].get<std::string>());
  for (size_t i = 0; i < doc["layers"].size(); ++i) {
    EXPECT_EQ(manifest->labels.at(fmt::format("containerd.io/gc.ref.content.l.{}", i)),
              doc["layers"][i]["digest"].get<std::string>());
  }
  auto leases = store_->list_leases();
  ASSERT_TRUE(leases.ok());
  EXPECT_TRUE(leases->empty()) << "the import's lease outlived it";
}

TEST_F(ImportTest, SkopeoArchiveImportsTheSameImage) {
  const auto& image = testing::UmociImage();
  ASSERT_TRUE(image.error.empty()) << image.error;
  auto report = Import(*store_, Archive(image.archive, "t"), Named("renamed"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->images.size(), 1u);
  EXPECT_EQ(report->images[0].name, "renamed");
  ExpectBlobsOf(image.layout);
  auto fsck = store_->fsck();
  ASSERT_TRUE(fsck.ok());
  EXPECT_TRUE(fsck->problems.empty());
}

TEST_F(ImportTest, SecondImportCopiesNothing) {
  const auto& image = testing::UmociImage();
  ASSERT_TRUE(image.error.empty()) << image.error;
  ASSERT_TRUE(Import(*store_, Dir(image.layout)).ok());
  auto again = Import(*store_, Archive(image.archive));
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->blobs_copied, 0);
  EXPECT_EQ(again->bytes_copied, 0);
}

TEST_F(ImportTest, GcKeepsTheWholeImageAndTakesAnUnreferencedBlob) {
  const auto& image = testing::UmociImage();
  ASSERT_TRUE(image.error.empty()) << image.error;
  ASSERT_TRUE(Import(*store_, Dir(image.layout)).ok());
  ASSERT_OK(contentstore::testing::WriteBlob(*store_, "stray", "nobody needs me"));
  const GcReport gc = CollectAll();
  EXPECT_EQ(gc.removed_blobs, std::vector<Digest>{DigestOf("nobody needs me")});
  ExpectBlobsOf(image.layout);
}

TEST_F(ImportTest, DeletedImageGoesAtGcExceptWhatAnotherImageShares) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto config_a = layout.AddBlob(R"({"a":1})", "application/vnd.oci.image.config.v1+json");
  const auto config_b = layout.AddBlob(R"({"b":1})", "application/vnd.oci.image.config.v1+json");
  const auto shared =
      layout.AddBlob(MakeContent(4096, 1), "application/vnd.oci.image.layer.v1.tar");
  const auto only_a =
      layout.AddBlob(MakeContent(4096, 2), "application/vnd.oci.image.layer.v1.tar");
  const auto a = layout.AddManifest(config_a, {shared, only_a});
  const auto b = layout.AddManifest(config_b, {shared});
  layout.WriteIndex({{"a", a}, {"b", b}});
  auto report = Import(*store_, Dir(layout.dir()));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->images.size(), 2u);

  ASSERT_OK(store_->delete_image("a"));
  CollectAll();
  EXPECT_FALSE(Has(a.digest));
  EXPECT_FALSE(Has(config_a.digest));
  EXPECT_FALSE(Has(only_a.digest));
  EXPECT_TRUE(Has(b.digest));
  EXPECT_TRUE(Has(config_b.digest));
  EXPECT_TRUE(Has(shared.digest));
}

// --- Shapes -------------------------------------------------------------

TEST_F(ImportTest, NestedIndexesAndDockerListsAreLabelledDown) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto docker_config =
      layout.AddBlob(R"({"os":"linux"})", "application/vnd.docker.container.image.v1+json");
  const auto docker_layer =
      layout.AddBlob(MakeContent(1000, 3), "application/vnd.docker.image.rootfs.diff.tar.gzip");
  const auto docker = layout.AddManifest(docker_config, {docker_layer},
                                         "application/vnd.docker.distribution.manifest.v2+json");
  const auto list =
      layout.AddIndex({docker}, "application/vnd.docker.distribution.manifest.list.v2+json");
  const auto oci = layout.AddImage(2, 500, 4);
  const auto inner = layout.AddIndex({oci, list});
  const auto outer = layout.AddIndex({inner});
  layout.WriteIndex({{"nested", outer}});
  ASSERT_TRUE(Import(*store_, Dir(layout.dir())).ok());
  EXPECT_EQ(store_->info(outer.digest)->labels.at("containerd.io/gc.ref.content.m.0"),
            inner.digest.str());
  EXPECT_EQ(store_->info(inner.digest)->labels.at("containerd.io/gc.ref.content.m.1"),
            list.digest.str());
  EXPECT_EQ(store_->info(docker.digest)->labels.at("containerd.io/gc.ref.content.l.0"),
            docker_layer.digest.str());
  CollectAll();
  ExpectBlobsOf(layout.dir());
}

TEST_F(ImportTest, ReferrersComeAlongAndTheSubjectKeepsThem) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto image = layout.AddImage(1, 100, 5);
  const auto empty = layout.AddBlob("{}", "application/vnd.oci.empty.v1+json");
  const auto sbom = layout.AddBlob(R"({"sbom":true})", "application/spdx+json");
  const auto referrer = layout.AddManifest(
      empty, {sbom}, "application/vnd.oci.image.manifest.v1+json", image, "application/spdx+json");
  const auto unrelated = layout.AddImage(1, 100, 6);
  layout.WriteIndex({{"app", image}, {std::nullopt, referrer}, {std::nullopt, unrelated}});
  auto report = Import(*store_, Dir(layout.dir(), "app"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(Has(referrer.digest));
  EXPECT_TRUE(Has(sbom.digest));
  EXPECT_FALSE(Has(unrelated.digest));
  EXPECT_EQ(store_->info(image.digest)->labels.at(ReferrerLabelKey(referrer.digest)),
            referrer.digest.str());
  EXPECT_EQ(store_->info(referrer.digest)->labels.at(kSubjectLabel), image.digest.str());
  CollectAll();
  EXPECT_TRUE(Has(sbom.digest));
}

TEST_F(ImportTest, AbsentNonDistributableLayerIsSkippedNotInvented) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto config = layout.AddBlob("{}", "application/vnd.oci.image.config.v1+json");
  const auto foreign = layout.AddBlob("windows base layer",
                                      "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
                                      /*write=*/false);
  const auto layer = layout.AddBlob("app layer", "application/vnd.oci.image.layer.v1.tar");
  const auto m = layout.AddManifest(config, {foreign, layer});
  layout.WriteIndex({{"win", m}});
  auto report = Import(*store_, Dir(layout.dir()));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  ASSERT_EQ(report->warnings.size(), 1u);
  EXPECT_NE(report->warnings[0].find(foreign.digest.str()), std::string::npos);
  EXPECT_FALSE(Has(foreign.digest));
  EXPECT_EQ(store_->info(m.digest)->labels.count("containerd.io/gc.ref.content.l.0"), 0u);
  EXPECT_EQ(store_->info(m.digest)->labels.at("containerd.io/gc.ref.content.l.1"),
            layer.digest.str());
}

TEST_F(ImportTest, ArchiveWithIndexFirstOrLastImports) {
  LayoutBuilder layout(tmp_ / "layout");
  layout.WriteIndex({{"x", layout.AddImage(2, 2000, 7)}});
  auto members = testing::LayoutMembers(layout.dir());
  testing::WriteTar(tmp_ / "last.tar", members);
  std::rotate(members.begin() + 1, members.end() - 1, members.end());  // index.json second
  testing::WriteTar(tmp_ / "first.tar", members);
  for (const char* name : {"last.tar", "first.tar"}) {
    auto report = Import(*store_, Archive(tmp_ / name));
    ASSERT_TRUE(report.ok()) << name << ": " << report.status().ToString();
    ExpectBlobsOf(layout.dir());
  }
}

TEST_F(ImportTest, InterruptedImportResumesItsIngest) {
  LayoutBuilder layout(tmp_ / "layout");
  const std::string big = MakeContent(3 << 20, 9);
  const auto config = layout.AddBlob("{}", "application/vnd.oci.image.config.v1+json");
  const auto layer = layout.AddBlob(big, "application/vnd.oci.image.layer.v1.tar");
  layout.WriteIndex({{"r", layout.AddManifest(config, {layer})}});
  {
    // What a killed import leaves: half the layer in its ingest.
    WriterOptions options;
    options.ref = IngestRef(layer.digest);
    options.expected = layer.digest;
    options.total = layer.size;
    auto w = store_->writer(options);
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->write(std::string_view(big).substr(0, big.size() / 2)));
    ASSERT_OK((*w)->close());
  }
  auto report = Import(*store_, Dir(layout.dir()));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(*ReadAll(*store_, layer.digest), big);
  EXPECT_TRUE(store_->list_ingests()->empty());
}

// --- Bad inputs ------------------------------------------------------------

TEST_F(ImportTest, MissingBlobIsNotFound) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto config = layout.AddBlob("{}", "application/vnd.oci.image.config.v1+json");
  const auto gone = layout.AddBlob("gone", "application/vnd.oci.image.layer.v1.tar", false);
  layout.WriteIndex({{"m", layout.AddManifest(config, {gone})}});
  ExpectRefused(Dir(layout.dir()), Code::kNotFound, gone.digest.str());
  testing::WriteTar(tmp_ / "a.tar", testing::LayoutMembers(layout.dir()));
  ExpectRefused(Archive(tmp_ / "a.tar"), Code::kNotFound, gone.digest.str());
}

TEST_F(ImportTest, WrongDigestIsFailedPrecondition) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto m = layout.AddImage(2, 1000, 10);
  layout.WriteIndex({{"m", m}});
  const json doc = json::parse(ReadWholeFile(layout.BlobPath(m.digest)));
  const std::string layer_path =
      layout.BlobPath(*Digest::Parse(doc["layers"][1]["digest"].get<std::string>()));
  std::string bytes = ReadWholeFile(layer_path);
  bytes[500] ^= 1;  // same size, other digest
  WriteWholeFile(layer_path, bytes);
  testing::WriteTar(tmp_ / "a.tar", testing::LayoutMembers(layout.dir()));
  ExpectRefused(Dir(layout.dir()), Code::kFailedPrecondition, "digest");
  ExpectRefused(Archive(tmp_ / "a.tar"), Code::kFailedPrecondition, "digest");
}

TEST_F(ImportTest, WrongSizeIsFailedPrecondition) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto config = layout.AddBlob("{}", "application/vnd.oci.image.config.v1+json");
  auto layer = layout.AddBlob("twelve bytes", "application/vnd.oci.image.layer.v1.tar");
  layer.size = 11;
  layout.WriteIndex({{"m", layout.AddManifest(config, {layer})}});
  ExpectRefused(Dir(layout.dir()), Code::kFailedPrecondition, "11");
  testing::WriteTar(tmp_ / "a.tar", testing::LayoutMembers(layout.dir()));
  ExpectRefused(Archive(tmp_ / "a.tar"), Code::kFailedPrecondition);
}

TEST_F(ImportTest, TruncatedArchiveIsDataLoss) {
  const auto& image = testing::UmociImage();
  ASSERT_TRUE(image.error.empty()) << image.error;
  const std::string whole = ReadWholeFile(image.archive);
  // Cut inside the 6 MiB layer.
  WriteWholeFile(tmp_ / "cut.tar", std::string_view(whole).substr(0, whole.size() / 2 + 12345));
  ExpectRefused(Archive(tmp_ / "cut.tar"), Code::kDataLoss);
  // The whole archive then resumes the cut layer's ingest.
  auto ingests = store_->list_ingests();
  ASSERT_TRUE(ingests.ok());
  ASSERT_EQ(ingests->size(), 1u);
  EXPECT_GT(ingests->front().offset, 0);
  auto report = Import(*store_, Archive(image.archive));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_TRUE(store_->list_ingests()->empty());
  ExpectBlobsOf(image.layout);
}

TEST_F(ImportTest, ArchiveMembersOutsideTheLayoutAreRefused) {
  LayoutBuilder layout(tmp_ / "layout");
  layout.WriteIndex({{"m", layout.AddImage(1, 100, 11)}});
  const auto base = testing::LayoutMembers(layout.dir());
  struct Case {
    const char* what;
    testing::TarMember member;
  };
  const std::vector<Case> cases = {
      {"dotdot", testing::FileMember("blobs/../../evil", "x")},
      {"absolute", testing::FileMember("/etc/evil", "x")},
      {"symlink", {"blobs/sha256/link", "", testing::TarMember::Type::kSymlink, "/etc/passwd"}},
      {"hardlink", {"blobs/sha256/hard", "", testing::TarMember::Type::kHardlink, "oci-layout"}},
  };
  for (const Case& c : cases) {
    auto members = base;
    members.insert(members.begin() + 1, c.member);
    const std::string path = tmp_ / (std::string(c.what) + ".tar");
    testing::WriteTar(path, members);
    SCOPED_TRACE(c.what);
    ExpectRefused(Archive(path), Code::kInvalidArgument);
  }
}

TEST_F(ImportTest, SymlinkedBlobInADirectoryIsRefused) {
  LayoutBuilder layout(tmp_ / "layout");
  const auto m = layout.AddImage(1, 100, 12);
  layout.WriteIndex({{"m", m}});
  const json doc = json::parse(ReadWholeFile(layout.BlobPath(m.digest)));
  const std::string layer_path =
      layout.BlobPath(*Digest::Parse(doc["layers"][0]["digest"].get<std::string>()));
  fs::rename(layer_path, tmp_ / "outside");
  fs::create_symlink(tmp_ / "outside", layer_path);
  ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "symlink");
  // A FIFO in its place neither hangs the import nor passes for a blob.
  fs::remove(layer_path);
  ASSERT_EQ(::mkfifo(layer_path.c_str(), 0600), 0);
  ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "not a regular file");
  // Nor does a symlinked index.json or blobs directory.
  fs::remove(layer_path);
  fs::rename(layout.dir() + "/index.json", tmp_ / "index.json");
  fs::create_symlink(tmp_ / "index.json", layout.dir() + "/index.json");
  ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "symlink");
  fs::remove(layout.dir() + "/index.json");
  fs::rename(tmp_ / "index.json", layout.dir() + "/index.json");
  fs::rename(layout.dir() + "/blobs", tmp_ / "blobs");
  fs::create_symlink(tmp_ / "blobs", layout.dir() + "/blobs");
  ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "symlink");
}

TEST_F(ImportTest, MalformedJsonIsInvalidArgument) {
  {
    LayoutBuilder layout(tmp_ / "bad-index");
    WriteWholeFile(layout.dir() + "/index.json", "{\"manifests\": [");
    ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "JSON");
  }
  {
    LayoutBuilder layout(tmp_ / "bad-manifest");
    const auto m = layout.AddBlob("{\"config\": 7", "application/vnd.oci.image.manifest.v1+json");
    layout.WriteIndex({{"m", m}});
    ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "JSON");
  }
  {
    LayoutBuilder layout(tmp_ / "bad-digest");
    WriteWholeFile(
        layout.dir() + "/index.json",
        R"({"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json",)"
        R"("digest":"sha256:../../../etc/passwd","size":10,)"
        R"("annotations":{"org.opencontainers.image.ref.name":"x"}}]})");
    ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument);
  }
}

TEST_F(ImportTest, AbsurdSizesAreInvalidArgument) {
  for (const char* size : {"-1", "1125899906842624000", "99999999999999999999", "1.5"}) {
    LayoutBuilder layout(tmp_ / (std::string("size") + size));
    const auto config = layout.AddBlob("{}", "application/vnd.oci.image.config.v1+json");
    const std::string manifest = fmt::format(
        R"({{"schemaVersion":2,"config":{},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"{}","size":{}}}]}})",
        LayoutBuilder::DescriptorJson(config), DigestOf("x").str(), size);
    layout.WriteIndex(
        {{"m", layout.AddBlob(manifest, "application/vnd.oci.image.manifest.v1+json")}});
    SCOPED_TRACE(size);
    ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument);
  }
  // A manifest claiming to be larger than any manifest may be.
  LayoutBuilder layout(tmp_ / "huge-manifest");
  auto m = layout.AddImage(1, 10, 13);
  m.size = 64 << 20;
  layout.WriteIndex({{"m", m}});
  ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument);
}

TEST_F(ImportTest, NotALayoutOrNoSuchTag) {
  fs::create_directories(tmp_ / "empty");
  ExpectRefused(Dir(tmp_ / "empty"), Code::kNotFound, "oci-layout");
  ExpectRefused(Dir(tmp_ / "nowhere"), Code::kNotFound);
  ExpectRefused(Archive(tmp_ / "nowhere.tar"), Code::kNotFound);
  LayoutBuilder layout(tmp_ / "layout");
  layout.WriteIndex({{"m", layout.AddImage(1, 10, 14)}});
  ExpectRefused(Dir(layout.dir(), "other"), Code::kNotFound, "\"other\"");
  WriteWholeFile(tmp_ / "junk.tar", MakeContent(10000, 15));
  ExpectRefused(Archive(tmp_ / "junk.tar"), Code::kDataLoss);
}

TEST_F(ImportTest, ANameOnlyForOneImage) {
  LayoutBuilder layout(tmp_ / "layout");
  layout.WriteIndex({{std::nullopt, layout.AddImage(1, 10, 16)}});
  // Unnamed: nothing to import without --name.
  ExpectRefused(Dir(layout.dir()), Code::kInvalidArgument, "--name");
  auto report = Import(*store_, Dir(layout.dir()), Named("given"));
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->images[0].name, "given");
}

// --- Faults ---------------------------------------------------------------

// The store's Nth file-system or catalog call fails (once), for N = 1, 2, ...
// until an import meets none. After each failed import: no name unless the
// failure was in naming itself, nothing for fsck to report, and a re-run
// without faults finishes the import whole. OCI_FAULT_START=N starts at
// the Nth call, to rerun one failure quickly.
TEST(ImportFaultTest, EveryFailedStoreCallLeavesARerunableImport) {
  TempDir tmp;
  LayoutBuilder layout(tmp / "layout");
  const auto a = layout.AddImage(1, 3000, 21);
  layout.WriteIndex({{"a", a}});
  testing::WriteTar(tmp / "layout.tar", testing::LayoutMembers(layout.dir()));
  int n = std::getenv("OCI_FAULT_START") ? std::atoi(std::getenv("OCI_FAULT_START")) : 1;
  for (;; ++n) {
    ASSERT_LT(n, 3000) << "the import never ran without meeting a fault";
    SCOPED_TRACE("fault at call " + std::to_string(n));
    const bool archive = n % 2 == 0;
    TempDir root;
    contentstore::testing::TestEnv env;
    Options options;
    options.env = &env;
    auto store = Store::Open(root.path(), options);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    int calls = 0;
    bool hit = false;
    env.SetHook([&](std::string_view op, std::string_view path) {
      if (++calls != n) return Status::OK();
      hit = true;
      return Status::IOError(fmt::format("injected fault: {} {}", op, path));
    });
    const Location source = archive ? Archive(tmp / "layout.tar") : Dir(layout.dir());
    auto report = Import(**store, source);
    env.SetHook(nullptr);
    if (!hit) {
      ASSERT_TRUE(report.ok()) << report.status().ToString();
      break;
    }
    if (!report.ok() && report.status().message().find("naming") == std::string::npos) {
      auto images = (*store)->list_images();
      ASSERT_TRUE(images.ok());
      EXPECT_TRUE(images->empty()) << report.status().ToString();
    }
    store->reset();
    auto again = contentstore::testing::OpenStore(root.path());
    ASSERT_NE(again, nullptr);
    auto rerun = Import(*again, source);
    ASSERT_TRUE(rerun.ok()) << rerun.status().ToString();
    GcOptions gc;
    gc.grace = std::chrono::nanoseconds(0);
    ASSERT_TRUE(again->collect_garbage(gc).ok());
    for (const auto& d : {a}) {
      auto manifest = again->info(d.digest);
      ASSERT_TRUE(manifest.ok()) << d.digest.str();
      for (const auto& [key, value] : manifest->labels) {
        EXPECT_TRUE(again->info(*Digest::Parse(value)).ok()) << key;
      }
    }
    auto fsck = again->fsck();
    ASSERT_TRUE(fsck.ok());
    EXPECT_TRUE(fsck->problems.empty()) << fsck->problems.front().detail;
    if (::testing::Test::HasFailure()) return;
  }
  EXPECT_GT(n, 30);  // an import makes that many store calls
}

}  // namespace
}  // namespace contentstore::oci
