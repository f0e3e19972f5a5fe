// Named images (src/store/images.cc): CRUD, filters, validation, tag, GC
// roots (a name created during a collection included), ROOT/index.json after
// every change and across processes, a stale index.json found and rewritten,
// read-only refusal, and OCI tools (umoci, skopeo) reading the store root.

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <nlohmann/json.hpp>
#include <set>
#include <sstream>

#include <fmt/format.h>

#include "contentstore/validate.h"
#include "env/crash_point.h"
#include "test_env.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;
using std::chrono::seconds;

constexpr char kManifestType[] = "application/vnd.oci.image.manifest.v1+json";
constexpr char kIndexType[] = "application/vnd.oci.image.index.v1+json";
constexpr char kRef[] = "containerd.io/gc.ref.content";

Image MakeImage(const std::string& name, const Digest& digest, int64_t size = 100,
                const Labels& labels = {}) {
  Image image;
  image.name = name;
  image.target = {kManifestType, digest, size};
  image.labels = labels;
  return image;
}

// The names and targets index.json lists, as "name=digest", in file order.
std::vector<std::string> IndexNames(const std::string& root) {
  const std::string text = testing::ReadFile(root + "/index.json");
  EXPECT_FALSE(text.empty()) << "no index.json";
  if (text.empty()) return {};
  const auto index = nlohmann::json::parse(text);
  EXPECT_EQ(index["schemaVersion"], 2);
  EXPECT_EQ(index["mediaType"], kIndexType);
  std::vector<std::string> out;
  for (const auto& m : index["manifests"]) {
    out.push_back(m["annotations"]["org.opencontainers.image.ref.name"].get<std::string>() + "=" +
                  m["digest"].get<std::string>());
  }
  return out;
}

class ImagesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.env = &env_;
    store_ = testing::OpenStore(dir_.path(), options);
  }

  Digest Put(const std::string& content, const Labels& labels = {}) {
    Status s = testing::WriteBlob(*store_, "put-" + DigestOf(content).hex(), content, labels);
    EXPECT_TRUE(s.ok() || s.IsAlreadyExists()) << s.ToString();
    return DigestOf(content);
  }
  Digest Put(int seed, const Labels& labels = {}) {
    return Put(MakeContent(100 + static_cast<size_t>(seed), uint64_t(seed)), labels);
  }

  // A manifest referencing a config and a layer, as containerd labels them.
  struct Tree {
    Digest manifest = Digest::OfEmpty(), config = Digest::OfEmpty(), layer = Digest::OfEmpty();
  };
  Tree PutTree(int seed) {
    Tree t;
    t.config = Put(seed * 10 + 1);
    t.layer = Put(seed * 10 + 2);
    t.manifest = Put(seed * 10 + 3, {{std::string(kRef) + ".config", t.config.str()},
                                     {std::string(kRef) + ".l.0", t.layer.str()}});
    return t;
  }

  GcReport Collect() {
    GcOptions zero;
    zero.grace = seconds(0);
    auto report = store_->collect_garbage(zero);
    EXPECT_TRUE(report.ok()) << report.status().ToString();
    return report.ok() ? *report : GcReport{};
  }

  std::set<Digest> Present() {
    std::set<Digest> out;
    EXPECT_OK(store_->walk([&](const Info& info) {
      out.insert(info.digest);
      return Status::OK();
    }));
    return out;
  }

  std::vector<std::string> Names(const std::vector<std::string>& filters = {}) {
    auto images = store_->list_images(filters);
    EXPECT_TRUE(images.ok()) << images.status().ToString();
    std::vector<std::string> out;
    if (images.ok()) {
      for (const Image& i : *images) out.push_back(i.name);
    }
    return out;
  }

  testing::TestEnv env_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

const Digest kA = DigestOf("a"), kB = DigestOf("b"), kC = DigestOf("c");

TEST_F(ImagesTest, PutGetListDelete) {
  auto put = store_->put_image(MakeImage("example.com/app:1", kA, 7, {{"k", "v"}, {"gone", ""}}));
  ASSERT_OK(put.status());
  EXPECT_EQ(put->name, "example.com/app:1");
  EXPECT_EQ(put->target, (Descriptor{kManifestType, kA, 7}));
  EXPECT_EQ(put->labels, (Labels{{"k", "v"}}));  // empty values are not stored
  EXPECT_NE(put->created_at, Timestamp{});
  EXPECT_EQ(put->created_at, put->updated_at);

  env_.Advance(seconds(5));
  // Pointing it elsewhere keeps created_at and replaces the labels.
  auto moved = store_->put_image(MakeImage("example.com/app:1", kB, 8, {{"x", "y"}}));
  ASSERT_OK(moved.status());
  EXPECT_EQ(moved->target.digest, kB);
  EXPECT_EQ(moved->labels, (Labels{{"x", "y"}}));
  EXPECT_EQ(moved->created_at, put->created_at);
  EXPECT_GE(moved->updated_at - put->updated_at, seconds(5));

  auto got = store_->get_image("example.com/app:1");
  ASSERT_OK(got.status());
  EXPECT_EQ(got->target, moved->target);
  EXPECT_EQ(got->labels, moved->labels);

  ASSERT_OK(store_->put_image(MakeImage("a", kC)).status());
  EXPECT_EQ(Names(), (std::vector<std::string>{"a", "example.com/app:1"}));

  EXPECT_OK(store_->delete_image("a"));
  EXPECT_CODE(store_->delete_image("a"), kNotFound);
  EXPECT_CODE(store_->get_image("a").status(), kNotFound);
  EXPECT_EQ(Names(), (std::vector<std::string>{"example.com/app:1"}));
}

TEST_F(ImagesTest, ListFilters) {
  Image index = MakeImage("multi:latest", kB, 9, {{"team", "blue"}});
  index.target.media_type = kIndexType;
  ASSERT_OK(store_->put_image(index).status());
  ASSERT_OK(store_->put_image(MakeImage("one:1", kA, 1, {{"team", "red"}})).status());
  ASSERT_OK(store_->put_image(MakeImage("one:2", kA, 1)).status());
  EXPECT_EQ(Names({"name==one:2"}), (std::vector<std::string>{"one:2"}));
  EXPECT_EQ(Names({"name~=^one"}), (std::vector<std::string>{"one:1", "one:2"}));
  EXPECT_EQ(Names({"target.digest==" + kA.str()}), (std::vector<std::string>{"one:1", "one:2"}));
  EXPECT_EQ(Names({"target.mediatype~=index"}), (std::vector<std::string>{"multi:latest"}));
  EXPECT_EQ(Names({"labels.team==red"}), (std::vector<std::string>{"one:1"}));
  EXPECT_EQ(Names({"labels.team"}), (std::vector<std::string>{"multi:latest", "one:1"}));
  // Any of several filters; all selectors of one.
  EXPECT_EQ(Names({"labels.team==blue", "name==one:2"}),
            (std::vector<std::string>{"multi:latest", "one:2"}));
  EXPECT_EQ(Names({"target.digest==" + kA.str() + ",labels.team!=red"}),
            (std::vector<std::string>{"one:2"}));
  EXPECT_CODE(store_->list_images({"target.size==1"}).status(), kInvalidArgument);
  EXPECT_CODE(store_->list_images({"digest==x"}).status(), kInvalidArgument);
}

TEST_F(ImagesTest, InvalidInputIsRefusedAndChangesNothing) {
  const std::vector<std::string> bad_names = {
      "", std::string(4097, 'n'), "tab\there", "del\x7f", "c1\xc2\x85", "\xff\xfe"};
  for (const std::string& name : bad_names) {
    EXPECT_CODE(store_->put_image(MakeImage(name, kA)).status(), kInvalidArgument) << name;
    EXPECT_CODE(store_->get_image(name).status(), kInvalidArgument) << name;
    EXPECT_CODE(store_->delete_image(name), kInvalidArgument) << name;
  }
  EXPECT_OK(store_->put_image(MakeImage(std::string(4096, 'n'), kA)).status());
  EXPECT_OK(store_->put_image(MakeImage("unicode/名前:é", kA)).status());
  for (const std::string& type :
       {std::string(), std::string("nosubtype"), std::string("a/"), std::string("/b"),
        std::string("text/plain; charset=utf-8"), std::string("a b/c"),
        "application/" + std::string(250, 'x')}) {
    Image image = MakeImage("x", kA);
    image.target.media_type = type;
    EXPECT_CODE(store_->put_image(image).status(), kInvalidArgument) << type;
  }
  EXPECT_CODE(store_->put_image(MakeImage("x", kA, -1)).status(), kInvalidArgument);
  EXPECT_CODE(store_->put_image(MakeImage("x", kA, 1, {{"", "v"}})).status(), kInvalidArgument);
  EXPECT_CODE(
      store_->put_image(MakeImage("x", kA, 1, {{"k", std::string(kMaxLabelBytes, 'v')}})).status(),
      kInvalidArgument);
  EXPECT_EQ(Names().size(), 2u);
}

TEST_F(ImagesTest, TagCopiesTargetAndLabels) {
  ASSERT_OK(store_->put_image(MakeImage("src", kA, 3, {{"k", "v"}})).status());
  ASSERT_OK(store_->put_image(MakeImage("dst", kB)).status());
  auto tagged = store_->tag_image("src", "dst");
  ASSERT_OK(tagged.status());
  EXPECT_EQ(tagged->target, (Descriptor{kManifestType, kA, 3}));
  EXPECT_EQ(tagged->labels, (Labels{{"k", "v"}}));
  ASSERT_OK(store_->tag_image("src", "new").status());
  EXPECT_EQ(Names(), (std::vector<std::string>{"dst", "new", "src"}));
  EXPECT_CODE(store_->tag_image("missing", "x").status(), kNotFound);
  EXPECT_CODE(store_->tag_image("src", "").status(), kInvalidArgument);
  EXPECT_EQ(IndexNames(dir_.path()),
            (std::vector<std::string>{"dst=" + kA.str(), "new=" + kA.str(), "src=" + kA.str()}));
}

// A name keeps its target and what the target's gc.ref labels reach; once
// the name goes, the next collection takes them.
TEST_F(ImagesTest, ANameIsAGcRootUntilDeleted) {
  const Tree kept = PutTree(1), garbage = PutTree(2);
  ASSERT_OK(store_->put_image(MakeImage("app:1", kept.manifest)).status());
  // A target not committed yet is fine, and reaches nothing.
  ASSERT_OK(store_->put_image(MakeImage("later:1", DigestOf("not yet"))).status());
  GcReport report = Collect();
  EXPECT_EQ(std::set<Digest>(report.removed_blobs.begin(), report.removed_blobs.end()),
            (std::set<Digest>{garbage.manifest, garbage.config, garbage.layer}));
  EXPECT_EQ(Present(), (std::set<Digest>{kept.manifest, kept.config, kept.layer}));
  // A dry run names the image as the reason through gc_roots.
  EXPECT_EQ(testing::CatalogSql(dir_.path())
                .Value("SELECT reason FROM gc_roots WHERE digest = ?", {kept.manifest.str()}),
            "image app:1");
  ASSERT_OK(store_->delete_image("app:1"));
  report = Collect();
  EXPECT_EQ(report.removed_blobs.size(), 3u);
  EXPECT_TRUE(Present().empty());
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

std::function<void()> g_between_mark_and_sweep;
void RunBetweenMarkAndSweep(std::string_view point) {
  if (point == "gc.after_mark" && g_between_mark_and_sweep) g_between_mark_and_sweep();
}

// The mark sees a snapshot: a name created, or pointed elsewhere, after it
// must still keep its target (and what that references) from the sweep.
TEST_F(ImagesTest, ANameMadeDuringACollectionKeepsItsTarget) {
  const Tree named_late = PutTree(1), retargeted_to = PutTree(2), garbage = PutTree(3);
  ASSERT_OK(store_->put_image(MakeImage("moving", DigestOf("not committed"))).status());
  auto other = testing::OpenStore(dir_.path());  // another user of the store
  g_between_mark_and_sweep = [&] {
    EXPECT_OK(other->put_image(MakeImage("late", named_late.manifest)).status());
    EXPECT_OK(other->put_image(MakeImage("moving", retargeted_to.manifest)).status());
  };
  test_hooks::SetCrashHook(&RunBetweenMarkAndSweep);
  const GcReport report = Collect();
  test_hooks::SetCrashHook(nullptr);
  g_between_mark_and_sweep = nullptr;
  EXPECT_EQ(std::set<Digest>(report.removed_blobs.begin(), report.removed_blobs.end()),
            (std::set<Digest>{garbage.manifest, garbage.config, garbage.layer}));
  EXPECT_EQ(Present(),
            (std::set<Digest>{named_late.manifest, named_late.config, named_late.layer,
                              retargeted_to.manifest, retargeted_to.config, retargeted_to.layer}));
  other.reset();
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(ImagesTest, TheRootIsAnOciLayoutAndIndexJsonFollowsEveryChange) {
  EXPECT_EQ(testing::ReadFile(dir_ / "oci-layout"), "{\"imageLayoutVersion\":\"1.0.0\"}");
  EXPECT_EQ(IndexNames(dir_.path()), std::vector<std::string>{});
  ASSERT_OK(store_->put_image(MakeImage("b", kB, 12)).status());
  ASSERT_OK(store_->put_image(MakeImage("a", kA)).status());
  EXPECT_EQ(IndexNames(dir_.path()),
            (std::vector<std::string>{"a=" + kA.str(), "b=" + kB.str()}));
  const auto index = nlohmann::json::parse(testing::ReadFile(dir_ / "index.json"));
  EXPECT_EQ(index["manifests"][1]["mediaType"], kManifestType);
  EXPECT_EQ(index["manifests"][1]["size"], 12);
  ASSERT_OK(store_->put_image(MakeImage("a", kC)).status());
  EXPECT_EQ(IndexNames(dir_.path()),
            (std::vector<std::string>{"a=" + kC.str(), "b=" + kB.str()}));
  ASSERT_OK(store_->delete_image("b"));
  EXPECT_EQ(IndexNames(dir_.path()), (std::vector<std::string>{"a=" + kC.str()}));
  // Label changes do not change index.json, but it is still right.
  ASSERT_OK(store_->put_image(MakeImage("a", kC, 100, {{"k", "v"}})).status());
  EXPECT_EQ(IndexNames(dir_.path()), (std::vector<std::string>{"a=" + kC.str()}));
  EXPECT_FALSE(testing::FileExists(dir_ / "index.json.tmp"));
  auto fsck = store_->fsck({});
  ASSERT_OK(fsck.status());
  EXPECT_TRUE(fsck->clean()) << FsckKindName(fsck->problems[0].kind) << " "
                             << fsck->problems[0].detail;
}

// Processes change names at once: each rewrite reads the catalog inside the
// lock, so index.json ends with every name whoever wrote last.
TEST_F(ImagesTest, NamesChangedByOtherProcessesAreInIndexJson) {
  ASSERT_OK(store_->put_image(MakeImage("parent", kA)).status());
  // Fork with no store open: a process with threads (the store's reaper and
  // snapshot keeper) is not safe to fork, and ThreadSanitizer hangs in it.
  store_.reset();
  constexpr int kChildren = 4, kEach = 10;
  std::vector<pid_t> pids;
  for (int c = 0; c < kChildren; ++c) {
    const pid_t pid = testing::ForkAlone();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto store = Store::Open(dir_.path(), testing::StoreOptions(dir_.path()));
      int rc = store.ok() ? 0 : 1;
      for (int i = 0; rc == 0 && i < kEach; ++i) {
        if (!(*store)->put_image(MakeImage(fmt::format("c{}/{}", c, i), kB)).ok()) rc = 2;
      }
      if (rc == 0 && !(*store)->delete_image(fmt::format("c{}/0", c)).ok()) rc = 3;
      ::_exit(rc);
    }
    pids.push_back(pid);
  }
  for (pid_t pid : pids) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << status;
  }
  std::vector<std::string> expected = {"parent=" + kA.str()};
  for (int c = 0; c < kChildren; ++c) {
    for (int i = 1; i < kEach; ++i) expected.push_back(fmt::format("c{}/{}={}", c, i, kB.str()));
  }
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(IndexNames(dir_.path()), expected);
  SetUp();
  EXPECT_EQ(Names().size(), expected.size());
}

// A process killed between its commit and the rewrite leaves index.json
// stale: fsck says so, and the next writable open rewrites it.
TEST_F(ImagesTest, AStaleIndexJsonIsFoundAndRewritten) {
  ASSERT_OK(store_->put_image(MakeImage("before", kA)).status());
  store_.reset();
  const int rc = testing::RunInChild([&] {
    testing::CrashAt("images.after_commit");
    auto store = testing::OpenStore(dir_.path());
    (void)store->put_image(MakeImage("after", kB));
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  EXPECT_EQ(IndexNames(dir_.path()), (std::vector<std::string>{"before=" + kA.str()}));
  {
    Options read_only;
    read_only.read_only = true;
    auto reader = testing::OpenStore(dir_.path(), read_only);
    auto report = reader->fsck({});
    ASSERT_OK(report.status());
    ASSERT_EQ(report->problems.size(), 1u);
    EXPECT_EQ(report->problems[0].kind, FsckProblem::Kind::kStaleImageIndex);
    EXPECT_EQ(IndexNames(dir_.path()), (std::vector<std::string>{"before=" + kA.str()}));
  }
  store_ = testing::OpenStore(dir_.path());
  EXPECT_EQ(IndexNames(dir_.path()),
            (std::vector<std::string>{"after=" + kB.str(), "before=" + kA.str()}));

  // Changed by someone else, or gone: fsck reports, repair rewrites.
  {
    FILE* f = std::fopen((dir_ / "index.json").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("{}", f);
    std::fclose(f);
  }
  ASSERT_EQ(::unlink((dir_ / "oci-layout").c_str()), 0);
  auto report = store_->fsck({});
  ASSERT_OK(report.status());
  EXPECT_EQ(report->problems.size(), 2u);
  FsckOptions repair;
  repair.repair = true;
  report = store_->fsck(repair);
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->clean());
  EXPECT_EQ(IndexNames(dir_.path()),
            (std::vector<std::string>{"after=" + kB.str(), "before=" + kA.str()}));
  EXPECT_TRUE(testing::FileExists(dir_ / "oci-layout"));
  ASSERT_EQ(::unlink((dir_ / "index.json").c_str()), 0);
  store_ = testing::OpenStore(dir_.path());  // a missing index.json costs one stat to notice
  EXPECT_EQ(IndexNames(dir_.path()).size(), 2u);
}

// Each step of the rewrite failing in turn: the name change stays committed
// and the error says so; index.json stays the last good one, never a torn
// one; the next writable open rewrites it.
TEST_F(ImagesTest, AFailedIndexRewriteKeepsTheChangeAndIsRepairedAtOpen) {
  ASSERT_OK(store_->put_image(MakeImage("first", kA)).status());
  int n = 0;
  for (const char* op : {"open", "write", "fdatasync", "rename"}) {
    const std::string name = fmt::format("name{}", n++);
    env_.SetHook([op](std::string_view what, std::string_view path) {
      if (what == op && path.find("index.json") != std::string_view::npos) {
        return Status::IOError(fmt::format("injected {} failure", what));
      }
      return Status::OK();
    });
    auto put = store_->put_image(MakeImage(name, kB));
    env_.SetHook(nullptr);
    EXPECT_CODE(put.status(), kIOError) << op;
    EXPECT_NE(put.status().ToString().find("committed"), std::string::npos)
        << put.status().ToString();
    EXPECT_OK(store_->get_image(name).status()) << op;
    // The last good one, whole (IndexNames parses it).
    EXPECT_EQ(IndexNames(dir_.path()), std::vector<std::string>{"first=" + kA.str()}) << op;
  }
  Options options;
  options.env = &env_;
  store_.reset();
  store_ = testing::OpenStore(dir_.path(), options);
  EXPECT_EQ(IndexNames(dir_.path()).size(), 5u);
  auto report = store_->fsck({});
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->clean());
}

// What OCI tools leave at the root is reported, never moved; what the
// store's own server keeps there is not reported.
TEST_F(ImagesTest, FsckReportsStrangersAtTheRoot) {
  {
    for (const char* name : {"tool-state.json", "contentstore.sock.lock"}) {
      FILE* f = std::fopen((dir_ / name).c_str(), "w");
      ASSERT_NE(f, nullptr);
      std::fclose(f);
    }
  }
  FsckOptions repair;
  repair.repair = true;
  auto report = store_->fsck(repair);
  ASSERT_OK(report.status());
  ASSERT_EQ(report->problems.size(), 1u);
  EXPECT_EQ(report->problems[0].kind, FsckProblem::Kind::kStrayFile);
  EXPECT_EQ(report->problems[0].subject, dir_ / "tool-state.json");
  EXPECT_FALSE(report->problems[0].repaired);
  EXPECT_TRUE(testing::FileExists(dir_ / "tool-state.json"));
}

TEST_F(ImagesTest, ReadOnlyStoresListButRefuseChanges) {
  ASSERT_OK(store_->put_image(MakeImage("a", kA)).status());
  Options read_only;
  read_only.read_only = true;
  auto reader = testing::OpenStore(dir_.path(), read_only);
  EXPECT_OK(reader->get_image("a").status());
  EXPECT_EQ(reader->list_images({})->size(), 1u);
  EXPECT_CODE(reader->put_image(MakeImage("b", kA)).status(), kFailedPrecondition);
  EXPECT_CODE(reader->delete_image("a"), kFailedPrecondition);
  EXPECT_CODE(reader->tag_image("a", "b").status(), kFailedPrecondition);
  EXPECT_EQ(Names(), (std::vector<std::string>{"a"}));
}

TEST_F(ImagesTest, ARebuiltCatalogKeepsTheNames) {
  SKIP_ON_POSTGRES("damages and rebuilds ROOT/catalog.db; a PostgreSQL catalog has no rebuild "
                   "yet (src/catalog/POSTGRES.md, What remains 2)");
  const Tree t = PutTree(1);
  ASSERT_OK(store_->put_image(MakeImage("app:1", t.manifest, 5, {{"k", "v"}})).status());
  store_.reset();
  // Damaged beyond reading: the names come back from index.json.
  {
    FILE* f = std::fopen((dir_ / "catalog.db").c_str(), "w");
    ASSERT_NE(f, nullptr);
    std::fputs("garbage, not a database", f);
    std::fclose(f);
  }
  auto rebuilt = Store::RebuildCatalog(dir_.path(), Options{});
  ASSERT_OK(rebuilt.status());
  EXPECT_EQ(rebuilt->images, 1);
  store_ = testing::OpenStore(dir_.path());
  auto image = store_->get_image("app:1");
  ASSERT_OK(image.status());
  EXPECT_EQ(image->target, (Descriptor{kManifestType, t.manifest, 5}));
  EXPECT_EQ(IndexNames(dir_.path()), (std::vector<std::string>{"app:1=" + t.manifest.str()}));
}

// --- OCI tools read the store root in place ---

// The output of `command` (stdout and stderr), and its exit status.
std::pair<std::string, int> Shell(const std::string& command) {
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (p == nullptr) return {"popen failed", -1};
  std::string out;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;) out.append(buf, n);
  const int status = ::pclose(p);
  return {out, WIFEXITED(status) ? WEXITSTATUS(status) : -1};
}

class OciToolsTest : public ImagesTest {
 protected:
  // A tiny image: an empty gzipped tar as the layer, a config, a manifest,
  // committed with the library and named.
  Digest PutImage(const std::string& name) {
    // An empty tar archive (1024 zero bytes), gzipped.
    TempDir scratch;
    auto gz = Shell("head -c 1024 /dev/zero | gzip -n -c > " + (scratch / "layer.tar.gz"));
    EXPECT_EQ(gz.second, 0) << gz.first;
    const std::string bytes = testing::ReadFile(scratch / "layer.tar.gz");
    const Digest layer_digest = Put(bytes);
    auto diff = Shell("head -c 1024 /dev/zero | sha256sum | cut -d' ' -f1");
    nlohmann::ordered_json config_json;
    config_json["architecture"] = "amd64";
    config_json["os"] = "linux";
    config_json["rootfs"]["type"] = "layers";
    config_json["rootfs"]["diff_ids"] = {"sha256:" + diff.first.substr(0, 64)};
    config_json["config"] = nlohmann::ordered_json::object();
    const std::string config = config_json.dump();
    const Digest config_digest = Put(config);
    nlohmann::ordered_json manifest_json;
    manifest_json["schemaVersion"] = 2;
    manifest_json["mediaType"] = kManifestType;
    manifest_json["config"]["mediaType"] = "application/vnd.oci.image.config.v1+json";
    manifest_json["config"]["digest"] = config_digest.str();
    manifest_json["config"]["size"] = config.size();
    nlohmann::ordered_json layer_json;
    layer_json["mediaType"] = "application/vnd.oci.image.layer.v1.tar+gzip";
    layer_json["digest"] = layer_digest.str();
    layer_json["size"] = bytes.size();
    manifest_json["layers"] = nlohmann::ordered_json::array({layer_json});
    const std::string manifest = manifest_json.dump();
    const Digest manifest_digest =
        Put(manifest, {{std::string(kRef) + ".config", config_digest.str()},
                       {std::string(kRef) + ".l.0", layer_digest.str()}});
    EXPECT_OK(store_->put_image(MakeImage(name, manifest_digest,
                                          static_cast<int64_t>(manifest.size())))
                  .status());
    return manifest_digest;
  }

  // CI installs the tools (tools/install-deps); elsewhere the test says why
  // it skips rather than passing silently.
  bool Have(const std::string& tool) { return Shell("command -v " + tool).second == 0; }
};

TEST_F(OciToolsTest, UmociListsTheNames) {
  if (!Have("umoci")) GTEST_SKIP() << "umoci is not installed (tools/install-deps installs it)";
  PutImage("test:1.0");
  PutImage("other");
  auto [out, rc] = Shell("umoci ls --layout " + dir_.path());
  ASSERT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "other\ntest:1.0\n");
}

TEST_F(OciToolsTest, SkopeoInspectsAnImageByName) {
  if (!Have("skopeo")) GTEST_SKIP() << "skopeo is not installed (tools/install-deps installs it)";
  const Digest manifest = PutImage("test:1.0");
  auto [out, rc] = Shell("skopeo inspect oci:" + dir_.path() + ":test:1.0");
  ASSERT_EQ(rc, 0) << out;
  const auto inspected = nlohmann::json::parse(out);
  EXPECT_EQ(inspected["Digest"], manifest.str());
  EXPECT_EQ(inspected["Os"], "linux");
  EXPECT_EQ(inspected["Layers"].size(), 1u);
  // What skopeo read, it did not change: fsck finds nothing.
  auto report = store_->fsck({});
  ASSERT_OK(report.status());
  EXPECT_TRUE(report->clean()) << report->problems[0].subject;
}

}  // namespace
}  // namespace contentstore
