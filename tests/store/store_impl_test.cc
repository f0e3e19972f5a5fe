// Store-level behaviour of committed blobs and ingest listings: filters
// compiled to SQL, removal and its deferred file deletion, damaged blob files,
// and what Store::Open creates and refuses.

#include "store/store_impl.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <set>

#include "catalog/blob_rows.h"
#include "catalog/filtered_query.h"
#include "catalog/ingest_rows.h"
#include "catalog/sqlite_sql.h"
#include "filter/regexp.h"
#include "test_util.h"

namespace contentstore {
namespace {

std::string QueryText(catalog::QueryId id) {
  return std::string(catalog::sqlite::kQueries[static_cast<size_t>(id)]);
}

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    store_ = testing::OpenStore(dir_.path());
    ASSERT_NE(store_, nullptr);
  }

  Digest Put(const std::string& content, const Labels& labels = {}) {
    EXPECT_OK(testing::WriteBlob(*store_, "ref-" + DigestOf(content).hex(), content, labels));
    return DigestOf(content);
  }

  Result<std::set<Digest>> Walk(const std::vector<std::string>& filters) {
    std::set<Digest> seen;
    Status s = store_->walk(
        [&](const Info& info) {
          seen.insert(info.digest);
          return Status::OK();
        },
        filters);
    if (!s.ok()) return s;
    return seen;
  }

  TempDir dir_;
  std::unique_ptr<Store> store_;
};

TEST_F(StoreTest, WalkFiltersOnDigestSizeAndLabels) {
  const Digest a = Put("aaaa", {{"containerd.io/gc.root", "2026"}, {"kind", "layer"}});
  const Digest b = Put("bbbbbbbb", {{"kind", "config"}, {"containerd.io/gc.ref.content.l.0", a.str()}});
  const Digest c = Put("cc");
  using S = std::set<Digest>;
  EXPECT_EQ(*Walk({}), (S{a, b, c}));
  EXPECT_EQ(*Walk({""}), (S{a, b, c}));
  EXPECT_EQ(*Walk({"digest==" + a.str()}), (S{a}));
  EXPECT_EQ(*Walk({"size==4"}), (S{a}));
  EXPECT_EQ(*Walk({"size!=4"}), (S{b, c}));
  EXPECT_EQ(*Walk({"size~=^[28]$"}), (S{b, c}));
  EXPECT_EQ(*Walk({"labels.kind==layer"}), (S{a}));
  EXPECT_EQ(*Walk({"labels.kind"}), (S{a, b}));
  EXPECT_EQ(*Walk({"labels.kind!=layer"}), (S{b, c}));  // c lacks the label: matches !=
  EXPECT_EQ(*Walk({"labels.kind~=^con"}), (S{b}));
  EXPECT_EQ(*Walk({"labels.kind~=^$"}), (S{c}));  // an absent label matches as ""
  EXPECT_EQ(*Walk({R"(labels."containerd.io/gc.root")"}), (S{a}));
  EXPECT_EQ(*Walk({R"(labels."containerd.io/gc.ref.content.l.0"==)" + a.str()}), (S{b}));
  EXPECT_EQ(*Walk({"labels.kind==layer", "labels.kind==config"}), (S{a, b}));  // OR
  EXPECT_EQ(*Walk({"labels.kind,size==2"}), (S{}));                          // AND
  EXPECT_EQ(*Walk({"labels.kind==layer,size==4"}), (S{a}));
}

TEST_F(StoreTest, BadFiltersAreInvalidArgument) {
  Put("x");
  for (std::string bad : {"labels.containerd.io/gc.root", "size==abc", "ref==x", "lables.x",
                          "digest==", "size~=[", "labels", "a=b"}) {
    EXPECT_CODE(Walk({bad}).status(), kInvalidArgument) << bad;
  }
  EXPECT_CODE(store_->list_ingests({"digest==x"}).status(), kInvalidArgument);
  EXPECT_CODE(store_->list_ingests({"ref~=("}).status(), kInvalidArgument);
}

// A regex that compiles but backtracks too much on some label value fails
// the walk partway through: the caller's error (exit 2 in the command),
// naming the filter, not an I/O error of the catalog. That is PCRE2's match
// limit (SQLite's regexp()). On PostgreSQL the regexes are the server's
// AREs, whose DFA/NFA engine does not backtrack on such a pattern: the same
// filter is answered (no match). Each is its engine's documented behaviour
// (src/catalog/POSTGRES.md, "Regular expressions in filters").
TEST_F(StoreTest, RegexTooCostlyForAValueIsInvalidArgument) {
  Put("x", {{"y", std::string(3000, 'a') + "b"}});
  const std::string filter = "labels.y~=^(a|aa)*$";
  auto walked = Walk({filter});
  if (testing::CatalogOnPostgres()) {
    ASSERT_OK(walked.status());
    EXPECT_TRUE(walked->empty());
    return;
  }
  const Status& s = walked.status();
  EXPECT_CODE(s, kInvalidArgument);
  EXPECT_THAT(s.message(), ::testing::StartsWith("filter " + filter + ": regular expression"));
  EXPECT_THAT(s.message(), ::testing::HasSubstr("too costly"));
}

TEST_F(StoreTest, WalkPagesThroughManyBlobsInDigestOrder) {
  std::set<Digest> all;
  for (int i = 0; i < 1300; ++i) all.insert(Put(MakeContent(16, uint64_t(i) + 1)));
  std::vector<Digest> order;
  ASSERT_OK(store_->walk([&](const Info& info) {
    order.push_back(info.digest);
    return Status::OK();
  }));
  ASSERT_EQ(order.size(), all.size());
  EXPECT_TRUE(std::is_sorted(order.begin(), order.end()));
  EXPECT_EQ(std::set<Digest>(order.begin(), order.end()), all);
}

TEST_F(StoreTest, WalkCallbackMayUseTheStore) {
  const Digest a = Put("one");
  Put("two");
  ASSERT_OK(store_->walk([&](const Info& info) {
    auto again = store_->info(info.digest);
    EXPECT_TRUE(again.ok());
    return info.digest == a ? store_->remove(a) : Status::OK();
  }));
  EXPECT_CODE(store_->info(a).status(), kNotFound);
}

TEST_F(StoreTest, LabelFilterIsAnsweredFromTheLabelIndex) {
  SKIP_ON_POSTGRES("SQLite's query plan of the SQLite dialect's query; PostgreSQL's planner "
                   "picks by table statistics (a sequential scan on a table this small)");
  // The walk's query, as the store runs it, must start from blob_labels'
  // index rather than scan every blob.
  SQLite::Database db(dir_ / "catalog.db", SQLite::OPEN_READONLY);
  auto query = catalog::FilteredQuery::Parse({R"(labels."a.b"==c)"},
                                             catalog::BlobRows::FilterFields());
  ASSERT_TRUE(query.ok());
  auto compiled = query->Compile(QueryText(catalog::QueryId::walk_page));
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  SQLite::Statement plan(db, "EXPLAIN QUERY PLAN " + compiled->sql);
  std::string text;
  while (plan.executeStep()) text += plan.getColumn(3).getString() + "\n";
  EXPECT_NE(text.find("blob_labels_by_key_value"), std::string::npos) << text;
}

TEST_F(StoreTest, ListStatusesFiltersOnRef) {
  std::vector<std::unique_ptr<Writer>> writers;
  for (std::string ref : {"layer-1", "layer-2", "config-1", "manifest/x"}) {
    WriterOptions options;
    options.ref = ref;
    auto w = store_->writer(options);
    ASSERT_TRUE(w.ok());
    writers.push_back(std::move(*w));
  }
  auto refs = [&](const std::vector<std::string>& filters) {
    std::vector<std::string> out;
    auto list = store_->list_ingests(filters);
    EXPECT_TRUE(list.ok()) << list.status().ToString();
    if (list.ok()) {
      for (const IngestStatus& s : *list) out.push_back(s.ref);
    }
    return out;
  };
  using V = std::vector<std::string>;
  EXPECT_EQ(refs({}), (V{"config-1", "layer-1", "layer-2", "manifest/x"}));
  EXPECT_EQ(refs({"ref==layer-2"}), (V{"layer-2"}));
  EXPECT_EQ(refs({"ref~=^layer-"}), (V{"layer-1", "layer-2"}));
  EXPECT_EQ(refs({"ref~=/^man/"}), (V{"manifest/x"}));
  EXPECT_EQ(refs({"ref!=layer-1,ref!=layer-2"}), (V{"config-1", "manifest/x"}));
  EXPECT_EQ(refs({"ref==config-1", "ref==manifest/x"}), (V{"config-1", "manifest/x"}));
  // Anchored patterns become index ranges; what they match must not change.
  EXPECT_EQ(refs({"ref~=^layer-?1"}), (V{"layer-1"}));
  EXPECT_EQ(refs({"ref~=^layerx?-2"}), (V{"layer-2"}));
  EXPECT_EQ(refs({"ref~=^config-1|^man"}), (V{"config-1", "manifest/x"}));
  // An inline flag: PCRE2 takes it anywhere; PostgreSQL's AREs only at the
  // very start of the pattern, and refuse `^(?i)...` (a filter the server
  // rejects is InvalidArgument; src/catalog/POSTGRES.md, "Regular
  // expressions in filters"). At the start it means the same to both.
  if (testing::CatalogOnPostgres()) {
    EXPECT_CODE(store_->list_ingests({"ref~=^(?i)LAYER-1"}).status(), kInvalidArgument);
  } else {
    EXPECT_EQ(refs({"ref~=^(?i)LAYER-1"}), (V{"layer-1"}));
  }
  EXPECT_EQ(refs({"ref~=(?i)^LAYER-1"}), (V{"layer-1"}));
  EXPECT_EQ(refs({"ref~=^lay.r"}), (V{"layer-1", "layer-2"}));
  EXPECT_EQ(refs({"ref~=^l{1}ayer-2$"}), (V{"layer-2"}));
}

TEST_F(StoreTest, AnchoredRefRegexIsAnIndexRange) {
  SKIP_ON_POSTGRES("SQLite's query plan of the SQLite dialect's query; PostgreSQL's planner "
                   "picks by table statistics (a sequential scan on a table this small)");
  SQLite::Database db(dir_ / "catalog.db", SQLite::OPEN_READONLY);
  ASSERT_OK(RegisterRegexpFunction(db.getHandle()));
  auto query = catalog::FilteredQuery::Parse({"ref~=^layer-"}, catalog::IngestRows::FilterFields());
  ASSERT_TRUE(query.ok());
  auto compiled = query->Compile(QueryText(catalog::QueryId::ingest_list));
  ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
  SQLite::Statement plan(db, "EXPLAIN QUERY PLAN " + compiled->sql);
  std::string text;
  while (plan.executeStep()) text += plan.getColumn(3).getString() + "\n";
  EXPECT_NE(text.find("ref>? AND ref<?"), std::string::npos) << text;
}

TEST_F(StoreTest, RemoveHidesAtOnceAndUnlinksTheFileWhenFlushed) {
  const std::string content = MakeContent(100000);
  const Digest d = Put(content);
  const std::string path = dir_.path() + "/blobs/sha256/" + d.hex();
  auto reader = store_->reader(d);
  ASSERT_TRUE(reader.ok());
  ASSERT_OK(store_->remove(d));
  EXPECT_CODE(store_->info(d).status(), kNotFound);
  EXPECT_CODE(store_->reader(d).status(), kNotFound);
  EXPECT_CODE(store_->remove(d), kNotFound);
  // A reader opened before keeps reading the same bytes.
  std::string buf(10, '\0');
  auto n = (*reader)->read_at(0, std::as_writable_bytes(std::span<char>(buf.data(), buf.size())));
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(buf, content.substr(0, 10));
  // The file goes when the deletion is flushed (at the latest on close).
  store_.reset();
  EXPECT_FALSE(testing::FileExists(path));
  testing::ExpectConsistent(dir_.path());
}

TEST_F(StoreTest, CrashWhileRemovingFilesIsFinishedByTheNextFlushNotByOpen) {
  const Digest gone = Put(MakeContent(5000, 1));
  const Digest kept = Put(MakeContent(5000, 2));
  store_.reset();
  const int rc = testing::RunInChild([&] {
    auto store = Store::Open(dir_.path(), testing::StoreOptions(dir_.path()));
    if (!store.ok() || !(*store)->remove(gone).ok()) return 2;
    testing::CrashAt("reaper.after_trash");
    store->reset();  // closing flushes: killed between trash and unlink
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  EXPECT_FALSE(testing::ListDir(dir_.path() + "/trash").empty());
  // Opening never does a dead process's deletions (it would make every open
  // wait for them); the next collection or fsck does.
  store_ = testing::OpenStore(dir_.path());
  EXPECT_FALSE(testing::ListDir(dir_.path() + "/trash").empty());
  EXPECT_CODE(store_->info(gone).status(), kNotFound);
  GcOptions keep_everything;
  keep_everything.grace = std::chrono::hours(1);
  ASSERT_OK(store_->collect_garbage(keep_everything).status());
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/trash").empty());
  EXPECT_TRUE(store_->info(kept).ok());
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(StoreTest, RecommittingARemovedBlobKeepsItsFile) {
  const std::string content = MakeContent(1000);
  const Digest d = Put(content);
  ASSERT_OK(store_->remove(d));
  Put(content);  // before the queued deletion is flushed
  store_.reset();  // flushes
  store_ = testing::OpenStore(dir_.path());
  auto bytes = testing::ReadAll(*store_, d);
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();
  EXPECT_EQ(*bytes, content);
  testing::ExpectConsistent(dir_.path());
}

TEST_F(StoreTest, RemovedFilesGoInTheBackground) {
  std::vector<Digest> all;
  for (int i = 0; i < 300; ++i) all.push_back(Put(MakeContent(8, uint64_t(i) + 1)));
  for (const Digest& d : all) ASSERT_OK(store_->remove(d));
  // The files go in the background, without closing the store.
  testing::CatalogSql db(dir_.path());
  auto pending = [&] { return db.Value("SELECT count(*) FROM pending_file_deletions"); };
  auto gone = [&] {
    return testing::ListDir(dir_.path() + "/blobs/sha256").empty() &&
           testing::ListDir(dir_.path() + "/trash").empty();
  };
  for (int i = 0; i < 500 && !gone(); ++i) ::usleep(10000);
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/blobs/sha256").empty());
  EXPECT_TRUE(testing::ListDir(dir_.path() + "/trash").empty());
  for (int i = 0; i < 500 && pending() != "0"; ++i) ::usleep(10000);
  EXPECT_EQ(pending(), "0");
}

TEST_F(StoreTest, MissingOrTruncatedBlobFileIsDataLoss) {
  const Digest gone = Put(MakeContent(100, 1));
  const Digest torn = Put(MakeContent(100, 2));
  ASSERT_EQ(::unlink((dir_.path() + "/blobs/sha256/" + gone.hex()).c_str()), 0);
  const std::string torn_path = dir_.path() + "/blobs/sha256/" + torn.hex();
  ASSERT_EQ(::chmod(torn_path.c_str(), 0644), 0);
  ASSERT_EQ(::truncate(torn_path.c_str(), 50), 0);
  EXPECT_CODE(store_->reader(gone).status(), kDataLoss);
  EXPECT_CODE(store_->reader(torn).status(), kDataLoss);
  EXPECT_TRUE(store_->info(gone).ok());  // the catalog still lists it; fsck reports it
}

TEST_F(StoreTest, UpdateByFieldPath) {
  const Digest d = Put("labelled", {{"a", "1"}, {"b", "2"}});
  Info info;
  info.digest = d;
  info.labels = {{"b", "20"}, {"c", "3"}};
  auto updated = store_->update(info, {"labels.b"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->labels, (Labels{{"a", "1"}, {"b", "20"}}));
  updated = store_->update(info, {"labels.a", "labels.c"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->labels, (Labels{{"b", "20"}, {"c", "3"}}));
  updated = store_->update(info, {"labels"});
  ASSERT_TRUE(updated.ok());
  EXPECT_EQ(updated->labels, info.labels);
  info.labels = {{"big", std::string(5000, 'x')}};
  EXPECT_CODE(store_->update(info).status(), kInvalidArgument);
  EXPECT_EQ(store_->info(d)->labels, (Labels{{"b", "20"}, {"c", "3"}}));  // unchanged
}

TEST(StoreOpen, CreatesTheLayout) {
  TempDir dir;
  const std::string root = dir.path() + "/a/b/store";
  auto store = testing::OpenStore(root);
  ASSERT_NE(store, nullptr);
  EXPECT_EQ(store->root(), root);
  // On PostgreSQL the catalog is the server's schema, and no catalog.db.
  EXPECT_EQ(testing::FileExists(root + "/catalog.db"), !testing::CatalogOnPostgres());
  EXPECT_TRUE(testing::FileExists(root + "/blobs"));
  EXPECT_TRUE(testing::FileExists(root + "/ingest"));
}

TEST(StoreOpen, RefusesWhatItCannotUse) {
  TempDir dir;
  Options no_create;
  no_create.create_if_missing = false;
  EXPECT_CODE(Store::Open(dir / "missing", testing::StoreOptions(dir / "missing", no_create)).status(),
              kNotFound);
  ASSERT_EQ(::mkdir((dir / "empty").c_str(), 0755), 0);
  EXPECT_CODE(Store::Open(dir / "empty", testing::StoreOptions(dir / "empty", no_create)).status(),
              kNotFound);
  const std::vector<std::string> made = testing::ListDir(dir / "empty");
  EXPECT_CODE(Store::Open("", {}).status(), kInvalidArgument);
  {
    std::ofstream file(dir / "plainfile");
    file << "x";
  }
  EXPECT_CODE(Store::Open(dir / "plainfile", testing::StoreOptions(dir / "plainfile")).status(),
              kInvalidArgument);
  EXPECT_TRUE(made.empty()) << ::testing::PrintToString(made);  // nothing made inside
}

}  // namespace
}  // namespace contentstore

namespace contentstore {
namespace {

// Every row of the tables a store writes, as text, on either engine: what
// "nothing is written" means where there is no catalog.db to compare.
std::string CatalogRows(const std::string& root) {
  testing::CatalogSql db(root);
  std::string out;
  for (const char* table : {"blobs", "blob_labels", "ingests", "ingest_parts", "leases",
                            "lease_labels", "lease_resources", "images", "image_labels",
                            "image_index", "gc_nodes", "gc_links", "gc_nodes_to_check", "gc_runs",
                            "gc_revivals", "pending_file_deletions", "store_settings"}) {
    out += std::string("-- ") + table + "\n";
    std::vector<std::string> rows;
    for (const auto& row : db.Query(std::string("SELECT * FROM ") + table)) {
      std::string line;
      for (const std::string& column : row) line += column + "|";
      rows.push_back(line);
    }
    std::sort(rows.begin(), rows.end());
    for (const std::string& line : rows) out += line + "\n";
  }
  return out;
}

TEST(StoreReadOnly, ReadsEverythingChangesNothing) {
  TempDir dir;
  const std::string content = MakeContent(3000, 4);
  {
    auto store = testing::OpenStore(dir.path());
    ASSERT_OK(testing::WriteBlob(*store, "a", content, {{"k", "v"}}));
    WriterOptions wo;
    wo.ref = "half";
    auto w = store->writer(wo);
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->write("half"));
    ASSERT_OK((*w)->close());
  }
  const std::string catalog_before = testing::ReadFile(dir / "catalog.db");  // "" on PostgreSQL
  const std::string rows_before = CatalogRows(dir.path());
  Options options;
  options.read_only = true;
  auto store = testing::OpenStore(dir.path(), options);
  ASSERT_NE(store, nullptr);
  const Digest d = DigestOf(content);
  EXPECT_EQ(store->info(d)->labels, (Labels{{"k", "v"}}));
  EXPECT_EQ(*testing::ReadAll(*store, d), content);
  EXPECT_EQ(store->get_ingest("half")->offset, 4);
  EXPECT_EQ(store->list_ingests()->size(), 1u);
  EXPECT_TRUE(store->fsck({})->clean());
  GcOptions dry;
  dry.dry_run = true;
  dry.grace = std::chrono::seconds(0);
  EXPECT_EQ(store->collect_garbage(dry)->removed_blobs, std::vector<Digest>{d});
  EXPECT_TRUE(store->pending_recovery()->empty());
  // Every change is refused, and nothing is written.
  WriterOptions wo;
  wo.ref = "new";
  EXPECT_CODE(store->writer(wo).status(), kFailedPrecondition);
  EXPECT_CODE(store->remove(d), kFailedPrecondition);
  EXPECT_CODE(store->update({d, 0, {}, {}, {{"k", "w"}}}, {}).status(), kFailedPrecondition);
  EXPECT_CODE(store->abort("half"), kFailedPrecondition);
  EXPECT_CODE(store->create_lease().status(), kFailedPrecondition);
  EXPECT_CODE(store->collect_garbage({}).status(), kFailedPrecondition);
  BlobInput input{std::as_bytes(std::span(content)), std::nullopt, {}};
  EXPECT_CODE(store->put_blobs(std::span(&input, 1)).status(), kFailedPrecondition);
  FsckOptions repair;
  repair.repair = true;
  EXPECT_CODE(store->fsck(repair).status(), kFailedPrecondition);
  store.reset();
  EXPECT_EQ(testing::ReadFile(dir / "catalog.db"), catalog_before);
  EXPECT_EQ(CatalogRows(dir.path()), rows_before);
}

TEST(StoreReadOnly, ANonexistentStoreIsNotCreated) {
  TempDir dir;
  Options options;
  options.read_only = true;
  EXPECT_CODE(Store::Open(dir / "nothing", testing::StoreOptions(dir / "nothing", options)).status(),
              kNotFound);
  EXPECT_FALSE(testing::FileExists(dir / "nothing"));
  ASSERT_EQ(::mkdir((dir / "empty").c_str(), 0755), 0);
  EXPECT_CODE(Store::Open(dir / "empty", testing::StoreOptions(dir / "empty", options)).status(),
              kNotFound);
  EXPECT_TRUE(testing::ListDir(dir / "empty").empty());
}

}  // namespace
}  // namespace contentstore
