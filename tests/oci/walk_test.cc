// The descriptor walk over an in-memory set of blobs: shapes (nested
// indexes, shared blobs, Docker types, artifacts), and what it refuses
// (cycles, depth, missing blobs, two sizes for one digest).

#include "oci/walk.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>

#include "oci/gc_labels.h"
#include "test_util.h"

namespace contentstore::oci {
namespace {

using nlohmann::json;

// Blobs by digest; Ensure is "present", ReadDocument returns the bytes.
class MemoryAccess final : public BlobAccess {
 public:
  std::map<Digest, std::string> blobs;
  std::vector<Digest> ensured;

  Status Ensure(const OciDescriptor& d) override {
    ensured.push_back(d.digest);
    auto it = blobs.find(d.digest);
    if (it == blobs.end()) return Status::NotFound("no blob " + d.digest.str());
    if (static_cast<int64_t>(it->second.size()) != d.size) {
      return Status::FailedPrecondition("size differs");
    }
    return Status::OK();
  }
  Result<std::string> ReadDocument(const OciDescriptor& d) override { return blobs.at(d.digest); }

  OciDescriptor Add(const std::string& bytes, std::string media_type) {
    OciDescriptor d;
    d.media_type = std::move(media_type);
    d.digest = testing::DigestOf(bytes);
    d.size = static_cast<int64_t>(bytes.size());
    blobs[d.digest] = bytes;
    return d;
  }
  // A descriptor without a blob.
  static OciDescriptor Missing(std::string media_type, std::string_view seed) {
    OciDescriptor d;
    d.media_type = std::move(media_type);
    d.digest = testing::DigestOf(seed);
    d.size = static_cast<int64_t>(seed.size());
    return d;
  }
};

json Desc(const OciDescriptor& d) {
  return {{"mediaType", d.media_type}, {"digest", d.digest.str()}, {"size", d.size}};
}

OciDescriptor Manifest(MemoryAccess& a, const OciDescriptor& config,
                       const std::vector<OciDescriptor>& layers,
                       std::string type = std::string(kOciManifest)) {
  json m = {{"schemaVersion", 2},
            {"mediaType", type},
            {"config", Desc(config)},
            {"layers", json::array()}};
  for (const auto& l : layers) m["layers"].push_back(Desc(l));
  return a.Add(m.dump(), type);
}

OciDescriptor Index(MemoryAccess& a, const std::vector<OciDescriptor>& manifests,
                    std::string type = std::string(kOciIndex)) {
  json m = {{"schemaVersion", 2}, {"mediaType", type}, {"manifests", json::array()}};
  for (const auto& d : manifests) m["manifests"].push_back(Desc(d));
  return a.Add(m.dump(), type);
}

TEST(WalkTest, NestedIndexVisitsEveryBlobOnceChildrenFirst) {
  MemoryAccess a;
  const auto config = a.Add("{}", std::string(kOciConfig));
  const auto shared = a.Add("shared layer", "application/vnd.oci.image.layer.v1.tar");
  const auto m1 =
      Manifest(a, config, {shared, a.Add("one", "application/vnd.oci.image.layer.v1.tar")});
  const auto m2 = Manifest(a, config, {shared});
  const auto inner = Index(a, {m1, m2});
  const auto outer = Index(a, {inner, m1});
  auto graph = Walk({outer}, a);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  EXPECT_EQ(graph->nodes.size(), 7u);
  std::map<Digest, size_t> position;
  for (size_t i = 0; i < graph->nodes.size(); ++i) position[graph->nodes[i].descriptor.digest] = i;
  for (const Node& node : graph->nodes) {
    for (const Child& child : node.document.children) {
      EXPECT_LT(position[child.descriptor.digest], position[node.descriptor.digest]);
    }
  }
  EXPECT_EQ(graph->nodes.back().descriptor.digest, outer.digest);
}

TEST(WalkTest, LabelsFollowContainerd) {
  MemoryAccess a;
  const auto config = a.Add("{}", std::string(kDockerConfig));
  const auto l0 = a.Add("l0", "application/vnd.docker.image.rootfs.diff.tar.gzip");
  const auto l1 = a.Add("l1", "application/vnd.docker.image.rootfs.diff.tar.gzip");
  const auto m = Manifest(a, config, {l0, l1}, std::string(kDockerManifest));
  const auto list = Index(a, {m}, std::string(kDockerManifestList));
  auto graph = Walk({list}, a);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const Labels manifest_labels = ChildLabels(*graph->Find(m.digest), *graph);
  EXPECT_EQ(manifest_labels, (Labels{{"containerd.io/gc.ref.content.config", config.digest.str()},
                                     {"containerd.io/gc.ref.content.l.0", l0.digest.str()},
                                     {"containerd.io/gc.ref.content.l.1", l1.digest.str()}}));
  EXPECT_EQ(ChildLabels(*graph->Find(list.digest), *graph),
            (Labels{{"containerd.io/gc.ref.content.m.0", m.digest.str()}}));
  EXPECT_TRUE(ChildLabels(*graph->Find(l0.digest), *graph).empty());
  EXPECT_EQ(ReferrerLabelKey(m.digest),
            "containerd.io/gc.ref.content.referrer.sha256." + m.digest.hex().substr(0, 12));
}

TEST(WalkTest, AbsentNonDistributableLayerIsSkippedWithAWarning) {
  MemoryAccess a;
  const auto config = a.Add("{}", std::string(kOciConfig));
  const auto foreign =
      MemoryAccess::Missing("application/vnd.docker.image.rootfs.foreign.diff.tar.gzip", "win");
  const auto nondist =
      MemoryAccess::Missing("application/vnd.oci.image.layer.nondistributable.v1.tar+gzip", "nd");
  const auto present = a.Add("here", "application/vnd.oci.image.layer.v1.tar+gzip");
  const auto m = Manifest(a, config, {foreign, nondist, present});
  auto graph = Walk({m}, a);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  EXPECT_TRUE(graph->Find(foreign.digest)->absent);
  EXPECT_TRUE(graph->Find(nondist.digest)->absent);
  EXPECT_FALSE(graph->Find(present.digest)->absent);
  EXPECT_EQ(graph->warnings.size(), 2u);
  const Labels labels = ChildLabels(*graph->Find(m.digest), *graph);
  EXPECT_EQ(labels.count("containerd.io/gc.ref.content.l.0"), 0u);
  EXPECT_EQ(labels.count("containerd.io/gc.ref.content.l.2"), 1u);
}

TEST(WalkTest, MissingOrdinaryLayerFails) {
  MemoryAccess a;
  const auto config = a.Add("{}", std::string(kOciConfig));
  const auto gone = MemoryAccess::Missing("application/vnd.oci.image.layer.v1.tar+gzip", "gone");
  const auto m = Manifest(a, config, {gone});
  auto graph = Walk({m}, a);
  ASSERT_FALSE(graph.ok());
  EXPECT_TRUE(graph.status().IsNotFound()) << graph.status().ToString();
  EXPECT_NE(graph.status().message().find(m.digest.str()), std::string::npos);
}

TEST(WalkTest, CycleIsRefused) {
  // Content addressing makes a real cycle impossible; a source that does not
  // verify could still present one, so the walk checks.
  MemoryAccess a;
  OciDescriptor self;
  self.media_type = std::string(kOciIndex);
  self.digest = testing::DigestOf("pretend");
  // The descriptor's size must match what Ensure finds: a fixed point.
  json doc;
  for (int i = 0; i < 5; ++i) {
    doc = {{"schemaVersion", 2}, {"manifests", json::array({Desc(self)})}};
    self.size = static_cast<int64_t>(doc.dump().size());
  }
  doc = {{"schemaVersion", 2}, {"manifests", json::array({Desc(self)})}};
  ASSERT_EQ(static_cast<int64_t>(doc.dump().size()), self.size);
  a.blobs[self.digest] = doc.dump();
  auto graph = Walk({self}, a);
  ASSERT_FALSE(graph.ok());
  EXPECT_TRUE(graph.status().IsInvalidArgument()) << graph.status().ToString();
  EXPECT_NE(graph.status().message().find("cycle"), std::string::npos);
}

TEST(WalkTest, DepthIsLimited) {
  MemoryAccess a;
  OciDescriptor d = Manifest(a, a.Add("{}", std::string(kOciConfig)), {});
  for (int i = 0; i < 20; ++i) d = Index(a, {d});
  WalkLimits limits;
  limits.max_depth = 16;
  auto graph = Walk({d}, a, limits);
  ASSERT_FALSE(graph.ok());
  EXPECT_NE(graph.status().message().find("levels deep"), std::string::npos);
  limits.max_depth = 32;
  EXPECT_TRUE(Walk({d}, a, limits).ok());
}

TEST(WalkTest, OneDigestWithTwoSizesFails) {
  MemoryAccess a;
  const auto config = a.Add("{}", std::string(kOciConfig));
  const auto layer = a.Add("layer", "application/vnd.oci.image.layer.v1.tar");
  OciDescriptor lying = layer;
  lying.size = 99;
  json m = {{"schemaVersion", 2},
            {"config", Desc(config)},
            {"layers", json::array({Desc(layer), Desc(lying)})}};
  const auto manifest = a.Add(m.dump(), std::string(kOciManifest));
  auto graph = Walk({manifest}, a);
  ASSERT_FALSE(graph.ok());
  EXPECT_TRUE(graph.status().IsFailedPrecondition()) << graph.status().ToString();
}

TEST(WalkTest, ArtifactManifestAndSubject) {
  MemoryAccess a;
  const auto config = a.Add("{}", std::string(kOciConfig));
  const auto image = Manifest(a, config, {});
  const auto empty = a.Add("{}", std::string(kOciEmpty));
  const auto sig = a.Add("signature", "application/vnd.dev.cosign.simplesigning.v1+json");
  json m = {{"schemaVersion", 2},
            {"mediaType", kOciManifest},
            {"artifactType", "application/x-sig"},
            {"config", Desc(empty)},
            {"layers", json::array({Desc(sig)})},
            {"subject", Desc(image)}};
  const auto referrer = a.Add(m.dump(), std::string(kOciManifest));
  auto graph = Walk({referrer}, a);
  ASSERT_TRUE(graph.ok()) << graph.status().ToString();
  const Node* node = graph->Find(referrer.digest);
  ASSERT_TRUE(node->document.subject.has_value());
  EXPECT_EQ(node->document.subject->digest, image.digest);
  // The subject is a back reference: not walked.
  EXPECT_EQ(graph->Find(image.digest), nullptr);
}

TEST(WalkTest, DocumentWhoseTypeDisagreesWithItsDescriptorFails) {
  MemoryAccess a;
  json m = {{"schemaVersion", 2}, {"mediaType", kOciIndex}, {"manifests", json::array()}};
  const auto d = a.Add(m.dump(), std::string(kOciManifest));
  auto graph = Walk({d}, a);
  ASSERT_FALSE(graph.ok());
  EXPECT_TRUE(graph.status().IsInvalidArgument());
}

}  // namespace
}  // namespace contentstore::oci
