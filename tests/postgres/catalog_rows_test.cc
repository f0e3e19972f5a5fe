// The typed row classes (src/catalog/*_rows.h, deletion_queue.h,
// catalog_check.h) against both engines: the same calls, the same answers,
// whether the text comes from queries/sqlite/ or queries/postgres/. Each
// test runs twice, Sqlite/CatalogRows.* on a catalog in a temporary
// directory and Postgres/CatalogRows.* (label postgres) on a schema of its
// own on the fixture's server.

#include <gtest/gtest.h>

#include <memory>
#include <ostream>
#include <string>

#include "catalog/blob_rows.h"
#include "catalog/catalog_check.h"
#include "catalog/deletion_queue.h"
#include "catalog/filtered_query.h"
#include "catalog/gc_rows.h"
#include "catalog/image_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "catalog/postgres_catalog.h"
#include "catalog/sqlite_catalog.h"
#include "pg_test_env.h"
#include "store/gc_mark.h"
#include "test_util.h"
#include "util/timestamp.h"

namespace contentstore::catalog {
namespace {

enum class Engine { kSqlite, kPostgres };
void PrintTo(Engine engine, std::ostream* os) {
  *os << (engine == Engine::kSqlite ? "sqlite" : "postgres");
}

std::string D(char c, const char* alg = "sha256") {
  const size_t hex = std::string_view(alg) == "sha256"   ? 64
                     : std::string_view(alg) == "sha384" ? 96
                                                         : 128;
  return std::string(alg) + ":" + std::string(hex, c);
}

class CatalogRows : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    if (GetParam() == Engine::kPostgres) {
      CONTENTSTORE_REQUIRE_POSTGRES();
      schema_ = std::make_unique<testing::TestSchema>();
      auto c = OpenPostgresCatalog(schema_->url(), Options{}, *Env::Default());
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      catalog_ = std::move(*c);
    } else {
      dir_ = std::make_unique<testing::TempDir>();
      auto c = OpenSqliteCatalog(*dir_ / "catalog.db", Options{}, *Env::Default());
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      catalog_ = std::move(*c);
    }
  }

  // Runs `body` in a write transaction and expects it to succeed.
  template <typename F>
  void W(F&& body) {
    Status s = catalog_->Write(Sync::kNormal, [&](Transaction& tx) {
      body(tx);
      return Status::OK();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
  template <typename F>
  void R(F&& body) {
    Status s = catalog_->Read([&](Transaction& tx) {
      body(tx);
      return Status::OK();
    });
    ASSERT_TRUE(s.ok()) << s.ToString();
  }

  static FilteredQuery Filter(std::vector<std::string> filters, const filter::FieldSchema& schema) {
    auto f = FilteredQuery::Parse(filters, schema);
    EXPECT_TRUE(f.ok()) << f.status().ToString();
    return std::move(*f);
  }

  std::unique_ptr<testing::TempDir> dir_;
  std::unique_ptr<testing::TestSchema> schema_;
  std::unique_ptr<Catalog> catalog_;
};

TEST_P(CatalogRows, BlobsLabelsAndSizes) {
  W([&](Transaction& tx) {
    BlobRows blobs(tx);
    EXPECT_TRUE(blobs.Insert(D('a'), 10, 100));
    EXPECT_FALSE(blobs.Insert(D('a'), 99, 200)) << "ON CONFLICT DO NOTHING changes no row";
    EXPECT_TRUE(blobs.Insert(D('b'), 20, 100));
    blobs.SetLabels(D('a'), {{"x", "1"}, {"y", "2"}, {"empty", ""}});
    blobs.SetLabel(D('a'), "x", "3");
    blobs.DeleteLabel(D('a'), "y");
    EXPECT_TRUE(blobs.Touch(D('a'), 300));
    EXPECT_FALSE(blobs.Touch(D('c'), 300));
  });
  R([&](Transaction& tx) {
    BlobRows blobs(tx);
    auto a = blobs.Find(*Digest::Parse(D('a')));
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->size, 10);
    EXPECT_EQ(ToNanos(a->created_at), 100);
    EXPECT_EQ(ToNanos(a->updated_at), 300);
    EXPECT_EQ(a->labels, (Labels{{"x", "3"}}));
    EXPECT_FALSE(blobs.Find(*Digest::Parse(D('c'))).has_value());
    EXPECT_TRUE(blobs.Exists(D('b')));
    EXPECT_EQ(blobs.Size(D('b')), 20);
    EXPECT_EQ(blobs.Size(D('c')), std::nullopt);
    EXPECT_EQ(blobs.TotalSize(), 30);
    auto sizes = blobs.SizesAfter("", 1);
    ASSERT_EQ(sizes.size(), 1u);
    EXPECT_EQ(sizes[0].digest, D('a'));
    EXPECT_EQ(blobs.SizesAfter(D('a'), 10).size(), 1u);
  });
  W([&](Transaction& tx) {
    BlobRows blobs(tx);
    blobs.DeleteLabels(D('a'));
    EXPECT_TRUE(blobs.Delete(D('b')));
    EXPECT_FALSE(blobs.Delete(D('b')));
  });
  R([&](Transaction& tx) {
    BlobRows blobs(tx);
    EXPECT_TRUE(blobs.Find(*Digest::Parse(D('a')))->labels.empty());
    EXPECT_EQ(blobs.TotalSize(), 10);
  });
}

TEST_P(CatalogRows, WalkPagesThroughFilters) {
  W([&](Transaction& tx) {
    BlobRows blobs(tx);
    for (char c : std::string("abcdef")) blobs.Insert(D(c), c - 'a', 1);
    blobs.SetLabel(D('b'), "tier", "hot");
    blobs.SetLabel(D('c'), "tier", "cold");
    blobs.SetLabel(D('d'), "tier", "hot");
    blobs.SetLabel(D('d'), "app", "demo");
  });
  const auto walk = [&](std::vector<std::string> filters, const std::string& after, int limit) {
    std::vector<std::string> out;
    R([&](Transaction& tx) {
      auto page = BlobRows(tx).WalkPage(Filter(filters, BlobRows::FilterFields()), after, limit);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (const Info& info : *page) {
        out.push_back(info.digest.str().substr(7, 1) + std::to_string(info.labels.size()));
      }
    });
    return out;
  };
  EXPECT_EQ(walk({}, "", 100), (std::vector<std::string>{"a0", "b1", "c1", "d2", "e0", "f0"}));
  EXPECT_EQ(walk({}, D('b'), 2), (std::vector<std::string>{"c1", "d2"}));
  EXPECT_EQ(walk({"labels.tier==hot"}, "", 100), (std::vector<std::string>{"b1", "d2"}));
  EXPECT_EQ(walk({"labels.tier!=hot"}, "", 100),
            (std::vector<std::string>{"a0", "c1", "e0", "f0"}));
  EXPECT_EQ(walk({"labels.tier"}, "", 100), (std::vector<std::string>{"b1", "c1", "d2"}));
  EXPECT_EQ(walk({"labels.tier~=^co"}, "", 100), (std::vector<std::string>{"c1"}));
  EXPECT_EQ(walk({"labels.tier~=x*"}, "", 100),
            (std::vector<std::string>{"a0", "b1", "c1", "d2", "e0", "f0"}))
      << "a regex matching \"\" matches absent labels";
  EXPECT_EQ(walk({"size==3"}, "", 100), (std::vector<std::string>{"d2"}));
  EXPECT_EQ(walk({"size!=3,labels.tier==hot"}, "", 100), (std::vector<std::string>{"b1"}));
  EXPECT_EQ(walk({"size~=^[45]$"}, "", 100), (std::vector<std::string>{"e0", "f0"}));
  EXPECT_EQ(walk({"digest~=^sha256:f"}, "", 100), (std::vector<std::string>{"f0"}));
  EXPECT_EQ(walk({"digest", "size==0"}, "", 100),
            (std::vector<std::string>{"a0", "b1", "c1", "d2", "e0", "f0"}));
  EXPECT_EQ(walk({"labels.app==demo", "size==5"}, "", 100), (std::vector<std::string>{"d2", "f0"}));
  // Unknown fields are the caller's error, before any SQL.
  R([&](Transaction& tx) {
    auto f = FilteredQuery::Parse({"lables.x"}, BlobRows::FilterFields());
    ASSERT_TRUE(f.ok());
    EXPECT_TRUE(BlobRows(tx).WalkPage(*f, "", 10).status().IsInvalidArgument());
  });
}

TEST_P(CatalogRows, IngestsFromInsertToRelease) {
  const std::string state("\x00\x01\xff hash \x00 state", 16);
  W([&](Transaction& tx) {
    IngestRows ingests(tx);
    ingests.Insert({"layer-1", "id1", 100, D('e'), "sha256", 10, 42, "tok1", "node-a"});
    ingests.Insert(
        {"layer-2", "id2", std::nullopt, std::nullopt, "sha512", 20, 43, "tok2", std::nullopt});
    ingests.Insert(
        {"other", "id3", std::nullopt, std::nullopt, "sha256", 5, 44, "tok3", std::nullopt});
    EXPECT_TRUE(ingests.Checkpoint("layer-1", "tok1", 64, state, 30));
    EXPECT_FALSE(ingests.Checkpoint("layer-1", "wrong", 64, state, 30));
    EXPECT_TRUE(ingests.Release("layer-2", "tok2", 8, "s", 31));
    EXPECT_TRUE(
        ingests.SetMeta("layer-1", "tok1", {64, state, 200, D('f'), "sha256", 11, 32, "node-b"}));
  });
  R([&](Transaction& tx) {
    IngestRows ingests(tx);
    auto row = ingests.Find("layer-1");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->id, "id1");
    EXPECT_EQ(row->offset, 64);
    EXPECT_EQ(row->total, 200);
    EXPECT_EQ(row->expected, D('f'));
    EXPECT_EQ(row->hash_state, state) << "bytes with NULs survive";
    EXPECT_EQ(row->lock_pid, 42);
    EXPECT_EQ(row->lock_token, "tok1");
    EXPECT_EQ(row->locked_at, 10);
    EXPECT_EQ(row->staged_on, "node-b");
    EXPECT_EQ(row->upload_id, std::nullopt);
    EXPECT_EQ(row->uploaded, 0);
    auto two = ingests.Find("layer-2");
    ASSERT_TRUE(two.has_value());
    EXPECT_EQ(two->total, std::nullopt);
    EXPECT_EQ(two->lock_token, std::nullopt);
    EXPECT_EQ(two->hash_state, "s");
    EXPECT_FALSE(ingests.Find("nope").has_value());
    EXPECT_TRUE(ingests.IdExists("id2"));
    EXPECT_FALSE(ingests.IdExists("id9"));
    EXPECT_EQ(ingests.Locked().size(), 2u);
    EXPECT_EQ(ingests.All().size(), 3u);
    auto listed = ingests.List(Filter({"ref~=^layer-"}, IngestRows::FilterFields()));
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    ASSERT_EQ(listed->size(), 2u);
    EXPECT_EQ((*listed)[0].ref, "layer-1");
    EXPECT_EQ((*listed)[0].offset, 64);
    EXPECT_EQ((*listed)[1].ref, "layer-2");
    auto stale = ingests.Stale(31, 0);
    ASSERT_EQ(stale.size(), 1u);
    EXPECT_EQ(stale[0].ref, "other");
  });
  W([&](Transaction& tx) {
    IngestRows ingests(tx);
    ingests.Claim("layer-2", 50, "tok5", 60);
    ingests.Unlock("layer-1", "tok1");
    EXPECT_FALSE(ingests.DeleteOwned("layer-2", "tok2"));
    EXPECT_TRUE(ingests.DeleteOwned("layer-2", "tok5"));
    EXPECT_TRUE(ingests.Delete("other"));
  });
  R([&](Transaction& tx) {
    IngestRows ingests(tx);
    EXPECT_EQ(ingests.All().size(), 1u);
    EXPECT_TRUE(ingests.Locked().empty());
  });
}

TEST_P(CatalogRows, IngestUploadsKeepTheirPartsUntilTheIngestGoes) {
  const std::string state("\x00part\xff", 6);
  W([&](Transaction& tx) {
    IngestRows ingests(tx);
    ingests.Insert({"big", "idb", 30, std::nullopt, "sha256", 1, 42, "tok", "node-a"});
    ingests.Insert({"small", "ids", 1, std::nullopt, "sha256", 1, 43, "tok2", "node-a"});
    EXPECT_FALSE(ingests.SetUpload("big", "wrong", "upload-1")) << "only the holder";
    EXPECT_TRUE(ingests.SetUpload("big", "tok", "upload-1"));
    EXPECT_TRUE(ingests.AddPart("big", "tok", {1, 10, "\"etag-1\""}, 10, "s10"));
    EXPECT_TRUE(ingests.AddPart("big", "tok", {2, 20, "\"etag-2\""}, 30, state));
    // Sending a part again (after a writer died before recording it) replaces it.
    EXPECT_TRUE(ingests.AddPart("big", "tok", {2, 20, "\"etag-2b\""}, 30, state));
    EXPECT_FALSE(ingests.AddPart("big", "wrong", {3, 1, "x"}, 31, state));
  });
  R([&](Transaction& tx) {
    IngestRows ingests(tx);
    auto row = ingests.Find("big");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->upload_id, "upload-1");
    EXPECT_EQ(row->uploaded, 30);
    EXPECT_EQ(row->uploaded_hash_state, state) << "bytes with NULs survive";
    auto parts = ingests.Parts("big");
    ASSERT_EQ(parts.size(), 2u);
    EXPECT_EQ(parts[0].number, 1);
    EXPECT_EQ(parts[0].size, 10);
    EXPECT_EQ(parts[0].etag, "\"etag-1\"");
    EXPECT_EQ(parts[1].etag, "\"etag-2b\"");
    auto uploads = ingests.Uploads();
    ASSERT_EQ(uploads.size(), 1u);
    EXPECT_EQ(uploads[0].id, "idb");
    EXPECT_EQ(uploads[0].upload_id, "upload-1");
    EXPECT_TRUE(ingests.Parts("small").empty());
  });
  W([&](Transaction& tx) {
    IngestRows ingests(tx);
    EXPECT_TRUE(ingests.ForgetUpload("big", "tok"));
  });
  R([&](Transaction& tx) {
    IngestRows ingests(tx);
    auto row = ingests.Find("big");
    ASSERT_TRUE(row.has_value());
    EXPECT_EQ(row->upload_id, std::nullopt);
    EXPECT_EQ(row->uploaded, 0);
    EXPECT_TRUE(ingests.Parts("big").empty());
    EXPECT_TRUE(ingests.Uploads().empty());
  });
  W([&](Transaction& tx) {
    IngestRows ingests(tx);
    EXPECT_TRUE(ingests.SetUpload("big", "tok", "upload-2"));
    EXPECT_TRUE(ingests.AddPart("big", "tok", {1, 7, "e"}, 7, "s7"));
    EXPECT_TRUE(ingests.Delete("big"));
  });
  R([&](Transaction& tx) {
    EXPECT_TRUE(IngestRows(tx).Parts("big").empty()) << "parts go with their ingest";
  });
}

TEST_P(CatalogRows, LeasesHoldAndLetGo) {
  W([&](Transaction& tx) {
    LeaseRows leases(tx);
    Lease a;
    a.id = "a";
    a.created_at = FromNanos(1);
    a.labels = {{"who", "me"}};
    leases.Insert(a);
    Lease b;
    b.id = "b";
    b.created_at = FromNanos(2);
    b.expires_at = FromNanos(50);
    leases.Insert(b);
    leases.Hold("a", {LeaseResource::Type::kIngest, "ref1"});
    leases.Hold("b", {LeaseResource::Type::kIngest, "ref1"});
    leases.Hold("a", {LeaseResource::Type::kContent, D('a')});
    leases.Hold("a", {LeaseResource::Type::kContent, D('a')});  // no-op
    leases.MoveIngestToBlob("ref1", D('c'));
  });
  R([&](Transaction& tx) {
    LeaseRows leases(tx);
    EXPECT_TRUE(leases.Exists("a"));
    EXPECT_TRUE(leases.Require("zz").IsNotFound());
    auto a = leases.Find("a");
    ASSERT_TRUE(a.has_value());
    EXPECT_EQ(a->labels, (Labels{{"who", "me"}}));
    EXPECT_FALSE(a->expires_at.has_value());
    EXPECT_EQ(leases.Find("b")->expires_at, FromNanos(50));
    EXPECT_EQ(leases.Resources("a"),
              (std::vector<LeaseResource>{{LeaseResource::Type::kContent, D('a')},
                                          {LeaseResource::Type::kContent, D('c')}}));
    EXPECT_EQ(leases.Resources("b"),
              (std::vector<LeaseResource>{{LeaseResource::Type::kContent, D('c')}}));
    auto listed = leases.List(Filter({"labels.who==me"}, LeaseRows::FilterFields()));
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    ASSERT_EQ(listed->size(), 1u);
    EXPECT_EQ((*listed)[0].id, "a");
    EXPECT_EQ(leases.ExpiredIds(50), (std::vector<std::string>{"b"}));
    EXPECT_TRUE(leases.ExpiredIds(49).empty());
  });
  W([&](Transaction& tx) {
    LeaseRows leases(tx);
    leases.Release("a", {LeaseResource::Type::kContent, D('a')});
    leases.DeleteExpired(100);
    EXPECT_TRUE(leases.Delete("a"));
    EXPECT_FALSE(leases.Delete("a"));
  });
  R([&](Transaction& tx) {
    LeaseRows leases(tx);
    EXPECT_FALSE(leases.Exists("b"));
    EXPECT_TRUE(leases.Resources("a").empty()) << "resources go with the lease";
  });
}

TEST_P(CatalogRows, ImagesAndTheIndexGeneration) {
  IndexState before;
  R([&](Transaction& tx) { before = ImageRows(tx).State(); });
  EXPECT_EQ(before.generation, 1);
  EXPECT_EQ(before.published, 0);
  W([&](Transaction& tx) {
    ImageRows images(tx);
    Image one;
    one.name = "app:1";
    one.target = {"application/vnd.oci.image.manifest.v1+json", *Digest::Parse(D('a')), 10};
    one.labels = {{"k", "v"}, {"gone", ""}};
    images.Put(one, 5);
    one.target.size = 11;
    images.Put(one, 6);  // retarget: created_at stays
    Image two = one;
    two.name = "app:2";
    two.labels = {};
    images.Put(two, 7);
  });
  R([&](Transaction& tx) {
    ImageRows images(tx);
    auto one = images.Find("app:1");
    ASSERT_TRUE(one.ok());
    ASSERT_TRUE(one->has_value());
    EXPECT_EQ((*one)->target.size, 11);
    EXPECT_EQ(ToNanos((*one)->created_at), 5);
    EXPECT_EQ(ToNanos((*one)->updated_at), 6);
    EXPECT_EQ((*one)->labels, (Labels{{"k", "v"}}));
    auto listed = images.List(Filter({"labels.k==v"}, ImageRows::FilterFields()));
    ASSERT_TRUE(listed.ok()) << listed.status().ToString();
    ASSERT_EQ(listed->size(), 1u);
    auto by_target = images.List(Filter({"target.digest==" + D('a')}, ImageRows::FilterFields()));
    ASSERT_TRUE(by_target.ok());
    EXPECT_EQ(by_target->size(), 2u);
    EXPECT_EQ(images.IndexEntries().size(), 2u);
    EXPECT_EQ(images.State().generation, 4) << "three writes of images bump it three times";
  });
  W([&](Transaction& tx) {
    ImageRows images(tx);
    EXPECT_TRUE(images.Delete("app:2"));
    EXPECT_FALSE(images.Delete("app:2"));
    images.MarkPublished(5);
    images.MarkPublished(3);  // an older writer finishing late does not win
  });
  R([&](Transaction& tx) {
    IndexState s = ImageRows(tx).State();
    EXPECT_EQ(s.generation, 5);
    EXPECT_EQ(s.published, 5);
  });
}

TEST_P(CatalogRows, ReferenceGraphFollowsTheLabels) {
  const std::string ref = "containerd.io/gc.ref.content.l.0";
  W([&](Transaction& tx) {
    BlobRows blobs(tx);
    blobs.Insert(D('a'), 1, 10);
    blobs.Insert(D('b'), 1, 10);
    blobs.Insert(D('c'), 1, 10);
    blobs.SetLabel(D('a'), "containerd.io/gc.root", "x");
    blobs.SetLabel(D('a'), ref, D('b'));
    blobs.SetLabel(D('a'), "containerd.io/gc.ref.contentx", D('c'));  // not a reference
    blobs.SetLabel(D('b'), "containerd.io/gc.ref.content", "not-a-digest");
  });
  R([&](Transaction& tx) {
    EXPECT_EQ(MarkUnreached(tx, 11).size(), 1u);
    EXPECT_EQ(MarkUnreached(tx, 11)[0].digest, D('c'));
    EXPECT_TRUE(MarkUnreached(tx, 10).empty()) << "younger than the cutoff";
    CatalogCheck check(tx);
    EXPECT_TRUE(check.IntegrityProblems().empty());
    EXPECT_TRUE(check.GraphDrifts().empty());
    auto refs = check.ReferenceLabels();
    ASSERT_EQ(refs.size(), 2u);
    EXPECT_EQ(refs[1].value, "not-a-digest");
  });
  // Moving the reference: b becomes garbage, c is kept.
  W([&](Transaction& tx) { BlobRows(tx).SetLabel(D('a'), ref, D('c')); });
  R([&](Transaction& tx) {
    auto would = MarkUnreached(tx, 11);
    ASSERT_EQ(would.size(), 1u);
    EXPECT_EQ(would[0].digest, D('b'));
    EXPECT_TRUE(GcRows(tx).AnyNodesToCheck()) << "b lost a link";
    EXPECT_TRUE(CatalogCheck(tx).GraphDrifts().empty());
  });
  W([&](Transaction& tx) {
    CatalogCheck(tx).RebuildGraph();
    GcRows(tx).ForgetUnusedNodes();
  });
  R([&](Transaction& tx) {
    EXPECT_TRUE(CatalogCheck(tx).GraphDrifts().empty());
    EXPECT_FALSE(GcRows(tx).AnyNodesToCheck());
  });
}

TEST_P(CatalogRows, CollectionMarksSweepsAndRevives) {
  W([&](Transaction& tx) {
    BlobRows blobs(tx);
    for (char c : std::string("abcd")) blobs.Insert(D(c), 100, 10);
    blobs.SetLabel(D('a'), "containerd.io/gc.root", "x");
  });
  int64_t seen = 0;
  W([&](Transaction& tx) {
    GcRows gc(tx);
    EXPECT_GT(gc.Now(), int64_t{1'700'000'000} * 1'000'000'000);
    gc.StartRun(1234, 50);
    EXPECT_TRUE(gc.AnyRun());
    seen = gc.LastRevival();
  });
  std::vector<GcCandidate> candidates;
  R([&](Transaction& tx) {
    GcRows(tx).ClearScratch();
    candidates = MarkUnreached(tx, 11);
  });
  ASSERT_EQ(candidates.size(), 3u);
  EXPECT_EQ(candidates[0].digest, D('b'));  // in digest order
  EXPECT_EQ(candidates[2].digest, D('d'));
  // A candidate that is no longer the blob the mark saw (another number) is
  // spared, as is one committed again after the cutoff.
  candidates.push_back({candidates[0].id + 1000, D('a'), 100});
  // While the run goes on, d becomes a root: it is revived.
  W([&](Transaction& tx) { BlobRows(tx).SetLabel(D('d'), "containerd.io/gc.root", "y"); });
  std::vector<BlobSize> removed;
  W([&](Transaction& tx) {
    GcRows gc(tx);
    gc.Revive(seen);
    EXPECT_GT(gc.LastRevival(), seen);
    removed = gc.SweepBatch(candidates, 11, 77);
    EXPECT_TRUE(gc.SweepBatch({}, 11, 77).empty());
    gc.EndRun();
    EXPECT_FALSE(gc.AnyRun());
  });
  ASSERT_EQ(removed.size(), 2u);
  EXPECT_EQ(removed[0].digest, D('b'));
  EXPECT_EQ(removed[1].digest, D('c'));
  R([&](Transaction& tx) {
    EXPECT_FALSE(BlobRows(tx).Exists(D('b')));
    EXPECT_TRUE(BlobRows(tx).Exists(D('d')));
    DeletionQueue q(tx);
    EXPECT_EQ(q.Count(), 2);
    EXPECT_EQ(q.List(), (std::vector<std::string>{D('b'), D('c')}));
  });
  W([&](Transaction& tx) {
    DeletionQueue q(tx);
    q.Remove(D('b'));
    q.Add(D('z'), 5);
    q.Add(D('z'), 6);
    GcRows gc(tx);
    gc.CheckNodeOf(D('b'));
    EXPECT_TRUE(gc.AnyNodesToCheck());
    gc.ForgetUnusedNodes();
    EXPECT_FALSE(gc.AnyNodesToCheck());
  });
  R([&](Transaction& tx) { EXPECT_EQ(DeletionQueue(tx).Count(), 2); });
}

TEST_P(CatalogRows, UniqueViolationIsAlreadyExistsAndRollsBack) {
  Lease lease;
  lease.id = "dup";
  W([&](Transaction& tx) { LeaseRows(tx).Insert(lease); });
  Status s = catalog_->Write(Sync::kNormal, [&](Transaction& tx) {
    BlobRows(tx).Insert(D('a'), 1, 1);
    LeaseRows(tx).Insert(lease);
    return Status::OK();
  });
  EXPECT_TRUE(s.IsAlreadyExists()) << s.ToString();
  R([&](Transaction& tx) { EXPECT_FALSE(BlobRows(tx).Exists(D('a'))) << "rolled back"; });
  // A refusal of the body's own rolls back too, and the catalog goes on.
  s = catalog_->Write(Sync::kFull, [&](Transaction& tx) {
    BlobRows(tx).Insert(D('a'), 1, 1);
    return Status::NotFound("changed my mind");
  });
  EXPECT_TRUE(s.IsNotFound());
  R([&](Transaction& tx) { EXPECT_FALSE(BlobRows(tx).Exists(D('a'))); });
  W([&](Transaction& tx) { EXPECT_TRUE(BlobRows(tx).Insert(D('a'), 1, 1)); });
}

TEST_P(CatalogRows, MissingParameterOrColumnIsInternal) {
  Status s = catalog_->Read([&](Transaction& tx) {
    auto q = tx.Prepare(QueryId::blob_size);
    q->Bind(":nope", int64_t{1});
    return Status::OK();
  });
  EXPECT_TRUE(s.IsInternal()) << s.ToString();
  s = catalog_->Read([&](Transaction& tx) {
    auto q = tx.Prepare(QueryId::blob_total_size);
    q->Step();
    q->Int64("nope");
    return Status::OK();
  });
  EXPECT_TRUE(s.IsInternal()) << s.ToString();
}

std::string EngineName(const ::testing::TestParamInfo<Engine>& info) {
  return info.param == Engine::kSqlite ? "sqlite" : "postgres";
}

INSTANTIATE_TEST_SUITE_P(Sqlite, CatalogRows, ::testing::Values(Engine::kSqlite), EngineName);
INSTANTIATE_TEST_SUITE_P(Postgres, CatalogRows, ::testing::Values(Engine::kPostgres), EngineName);

}  // namespace
}  // namespace contentstore::catalog
