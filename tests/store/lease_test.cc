// Leases: creation, expiry parsing, listing with filters, resources, and how
// writers under a lease hand over their hold.

#include <SQLiteCpp/SQLiteCpp.h>

#include "test_util.h"
#include "util/text.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::TempDir;
using Type = LeaseResource::Type;

class LeaseTest : public ::testing::Test {
 protected:
  void SetUp() override { store_ = testing::OpenStore(dir_.path()); }
  Lease Create(const std::string& id, Labels labels = {}) {
    LeaseOptions options;
    options.id = id;
    options.labels = std::move(labels);
    auto lease = store_->create_lease(options);
    EXPECT_TRUE(lease.ok()) << lease.status().ToString();
    return lease.ok() ? *lease : Lease{};
  }
  std::vector<std::string> Ids(const std::vector<std::string>& filters = {}) {
    std::vector<std::string> out;
    auto leases = store_->list_leases(filters);
    EXPECT_TRUE(leases.ok()) << leases.status().ToString();
    if (leases.ok()) {
      for (const Lease& l : *leases) out.push_back(l.id);
    }
    return out;
  }
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(LeaseTest, CreateListAndDelete) {
  Create("b", {{"purpose", "pull"}});
  Create("a", {{"purpose", "build"}, {"containerd.io/gc.expire", "2099-01-01T00:00:00Z"}});
  auto random1 = store_->create_lease();
  auto random2 = store_->create_lease();
  ASSERT_TRUE(random1.ok() && random2.ok());
  EXPECT_NE(random1->id, random2->id);
  using V = std::vector<std::string>;
  EXPECT_EQ(Ids({"id==a"}), (V{"a"}));
  EXPECT_EQ(Ids({"labels.purpose==pull", "labels.purpose==build"}), (V{"a", "b"}));
  EXPECT_EQ(Ids({R"(labels."containerd.io/gc.expire")"}), (V{"a"}));
  auto leases = store_->list_leases({"id==a"});
  ASSERT_TRUE(leases.ok());
  ASSERT_TRUE((*leases)[0].expires_at.has_value());
  EXPECT_EQ(FormatRfc3339((*leases)[0].expires_at->time_since_epoch().count()),
            "2099-01-01T00:00:00.000000000Z");
  EXPECT_EQ(Ids().size(), 4u);
  ASSERT_OK(store_->delete_lease("a"));
  EXPECT_CODE(store_->delete_lease("a"), kNotFound);
  EXPECT_EQ(Ids().size(), 3u);
}

TEST_F(LeaseTest, BadInputIsRefused) {
  Create("taken");
  LeaseOptions options;
  options.id = "taken";
  EXPECT_CODE(store_->create_lease(options).status(), kAlreadyExists);
  options.id = "";
  EXPECT_CODE(store_->create_lease(options).status(), kInvalidArgument);
  options.id = "new\nline";
  EXPECT_CODE(store_->create_lease(options).status(), kInvalidArgument);
  options.id = "ok";
  options.labels = {{"containerd.io/gc.expire", "tomorrow"}};
  EXPECT_CODE(store_->create_lease(options).status(), kInvalidArgument);
  options.labels = {{"", "v"}};
  EXPECT_CODE(store_->create_lease(options).status(), kInvalidArgument);
  options.labels = {};
  options.expire = std::chrono::seconds(-5);
  EXPECT_CODE(store_->create_lease(options).status(), kInvalidArgument);
  EXPECT_EQ(Ids(), (std::vector<std::string>{"taken"}));
  EXPECT_CODE(store_->list_leases({"name==x"}).status(), kInvalidArgument);
}

TEST_F(LeaseTest, Resources) {
  Create("l");
  const std::string d = DigestOf("x").str();
  ASSERT_OK(store_->add_lease_resource("l", {Type::kContent, d}));
  ASSERT_OK(store_->add_lease_resource("l", {Type::kContent, d}));  // again: fine
  ASSERT_OK(store_->add_lease_resource("l", {Type::kIngest, "some/ref"}));
  EXPECT_EQ(*store_->lease_resources("l"),
            (std::vector<LeaseResource>{{Type::kContent, d}, {Type::kIngest, "some/ref"}}));
  EXPECT_CODE(store_->add_lease_resource("l", {Type::kContent, "sha256:nope"}), kInvalidArgument);
  EXPECT_CODE(store_->add_lease_resource("l", {Type::kIngest, ""}), kInvalidArgument);
  EXPECT_CODE(store_->add_lease_resource("missing", {Type::kContent, d}), kNotFound);
  EXPECT_CODE(store_->lease_resources("missing").status(), kNotFound);
  ASSERT_OK(store_->remove_lease_resource("l", {Type::kContent, d}));
  ASSERT_OK(store_->remove_lease_resource("l", {Type::kContent, d}));  // not held: fine
  EXPECT_EQ(store_->lease_resources("l")->size(), 1u);
}

TEST_F(LeaseTest, WriterUnderAMissingLeaseIsNotFoundAndCreatesNothing) {
  WriterOptions options;
  options.ref = "r";
  options.lease = "missing";
  EXPECT_CODE(store_->writer(options).status(), kNotFound);
  EXPECT_CODE(store_->get_ingest("r").status(), kNotFound);
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/ingest").empty());
}

TEST_F(LeaseTest, GetOneLease) {
  Create("one", {{"k", "v"}});
  Create("two");
  auto lease = store_->get_lease("one");
  ASSERT_TRUE(lease.ok()) << lease.status().ToString();
  EXPECT_EQ(lease->id, "one");
  EXPECT_EQ(lease->labels, (Labels{{"k", "v"}}));
  EXPECT_CODE(store_->get_lease("three").status(), kNotFound);
  EXPECT_CODE(store_->get_lease("").status(), kInvalidArgument);
  // Ids the filter syntax cannot quote are still ids.
  Create("odd\xef\xbf\xbd\"id");
  EXPECT_TRUE(store_->get_lease("odd\xef\xbf\xbd\"id").ok());
}

TEST_F(LeaseTest, ExpiryBeyondTheRangeOfTimeIsRefused) {
  LeaseOptions options;
  options.expire = std::chrono::nanoseconds::max();
  EXPECT_CODE(store_->create_lease(options).status(), kInvalidArgument);
}

TEST_F(LeaseTest, AbortReleasesTheIngest) {
  Create("l");
  WriterOptions options;
  options.ref = "r";
  options.lease = "l";
  {
    auto w = store_->writer(options);
    ASSERT_TRUE(w.ok());
  }
  EXPECT_EQ(store_->lease_resources("l")->size(), 1u);
  ASSERT_OK(store_->abort("r"));
  EXPECT_TRUE(store_->lease_resources("l")->empty());
}

TEST(Rfc3339, ParsesWhatContainerdWrites) {
  EXPECT_EQ(ParseRfc3339("2026-11-28T05:50:00Z"), 1795845000000000000);
  EXPECT_EQ(ParseRfc3339("2026-11-28T05:50:00.123456789Z"), 1795845000123456789);
  EXPECT_EQ(ParseRfc3339("2026-11-28T06:50:00.5+01:00"), 1795845000500000000);
  EXPECT_EQ(ParseRfc3339("2026-11-28T04:50:00-01:00"), 1795845000000000000);
  for (const char* bad : {"", "2026-11-28", "2026-11-28 05:50:00Z", "2026-13-01T00:00:00Z",
                          "2026-11-28T05:50:00", "2026-11-28T05:50:00Zjunk", "tomorrow"}) {
    EXPECT_FALSE(ParseRfc3339(bad).has_value()) << bad;
  }
}

}  // namespace
}  // namespace contentstore
