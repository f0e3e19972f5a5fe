// The garbage collector: roots, edges, grace, leases, ingest expiry, dry run,
// crashes, concurrency with committing processes, and agreement with the
// documented sqlite3 query.

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <functional>
#include <random>
#include <set>
#include <thread>

#include "env/crash_point.h"
#include "files/layout.h"
#include "test_env.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::DigestOf;
using testing::MakeContent;
using testing::TempDir;
using std::chrono::hours;
using std::chrono::seconds;

constexpr char kRoot[] = "containerd.io/gc.root";
constexpr char kRef[] = "containerd.io/gc.ref.content";

class GcTest : public ::testing::Test {
 protected:
  void SetUp() override {
    Options options;
    options.env = &env_;  // time passes when a test says so
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

  // A plain connection to the catalog, as the sqlite3 shell (or psql) opens
  // one. On SQLite it waits for locks as the library's does: the store's
  // file-reaper thread writes the catalog some milliseconds after a removal;
  // without a busy timeout a connection opened meanwhile failed at once
  // ("database is locked", about 1 run in 15 of the TheGraph tests).
  testing::CatalogSql Sql() { return testing::CatalogSql(dir_.path()); }

  // Pretends every blob was committed long ago, so the grace period does not
  // hide what the reference model decides. (Nanoseconds as one literal:
  // PostgreSQL's integer literals are 32-bit, and 10 * 3600 * 1000000000
  // overflows there.)
  void AgeEverything() {
    testing::CatalogSql db = Sql();
    db.Exec("UPDATE blobs SET created_at = created_at - 36000000000000");        // 10 h
    db.Exec("UPDATE ingests SET updated_at = updated_at - 360000000000000");     // 100 h
  }

  GcReport Collect(GcOptions options = {}) {
    auto report = store_->collect_garbage(options);
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

  testing::TestEnv env_;
  TempDir dir_;
  std::unique_ptr<Store> store_;
};

// The hold the collector reports (and sizes its batches by) is what a writer
// waits for: its COMMIT's WAL writes count, not only its statements. Here
// every WAL write is made slow; a COMMIT writes several.
TEST_F(GcTest, TheLongestWriteItReportsIncludesTheCommit) {
  SKIP_ON_POSTGRES("it slows the writes of SQLite's WAL file");
  for (int i = 0; i < 20; ++i) Put(i);
  constexpr auto kSlowWalWrite = std::chrono::milliseconds(25);
  env_.SetHook([&](std::string_view op, std::string_view path) {
    if (op == "catalog.write" && path.ends_with("-wal")) {
      env_.SleepForMicros(std::chrono::microseconds(kSlowWalWrite).count());
    }
    return Status::OK();
  });
  GcOptions zero;
  zero.grace = seconds(0);
  const GcReport report = Collect(zero);
  env_.SetHook(nullptr);
  EXPECT_EQ(report.removed_blobs.size(), 20u);
  EXPECT_GE(report.longest_write, kSlowWalWrite);
}

TEST_F(GcTest, RootsAndEveryKindOfEdgeAreKept) {
  const Digest leaf1 = Put(1), leaf2 = Put(2), leaf3 = Put(3), orphan = Put(4);
  const Digest mid = Put(5, {{std::string(kRef) + ".l.0", leaf1.str()},
                             {std::string(kRef) + "/anything", leaf2.str()}});
  const Digest top = Put(6, {{kRoot, "any value"}, {kRef, mid.str()}});
  const Digest not_edge = Put(7, {{kRoot, "x"}, {std::string(kRef) + "X", orphan.str()},
                                  {std::string(kRef) + ".bad", "not-a-digest"}});
  const Digest unreferenced_leaf3 = leaf3;
  AgeEverything();
  const GcReport report = Collect();
  EXPECT_EQ(Present(), (std::set<Digest>{leaf1, leaf2, mid, top, not_edge}));
  EXPECT_EQ(std::set<Digest>(report.removed_blobs.begin(), report.removed_blobs.end()),
            (std::set<Digest>{unreferenced_leaf3, orphan}));
  EXPECT_EQ(report.bytes_freed, 103 + 104);
  // The files went too.
  EXPECT_FALSE(testing::FileExists(dir_.path() + "/blobs/sha256/" + orphan.hex()));
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

TEST_F(GcTest, LongChainsAndCyclesAreFollowed) {
  // root -> c0 -> c1 -> ... -> c199, and a cycle a <-> b reachable from c199,
  // plus an unreachable cycle x <-> y.
  std::vector<Digest> chain;
  for (int i = 0; i < 200; ++i) chain.push_back(DigestOf(MakeContent(64, 1000 + uint64_t(i))));
  const Digest a = DigestOf("cycle a"), b = DigestOf("cycle b");
  const Digest x = DigestOf("lost x"), y = DigestOf("lost y");
  Put("cycle a", {{kRef, b.str()}});
  Put("cycle b", {{kRef, a.str()}});
  Put("lost x", {{kRef, y.str()}});
  Put("lost y", {{kRef, x.str()}});
  for (int i = 199; i >= 0; --i) {
    const Digest next = i == 199 ? a : chain[static_cast<size_t>(i) + 1];
    Put(MakeContent(64, 1000 + uint64_t(i)), {{std::string(kRef) + ".next", next.str()}});
  }
  Put("the root", {{kRoot, "1"}, {kRef, chain[0].str()}});
  AgeEverything();
  const GcReport report = Collect();
  EXPECT_EQ(std::set<Digest>(report.removed_blobs.begin(), report.removed_blobs.end()),
            (std::set<Digest>{x, y}));
  EXPECT_EQ(Present().size(), 200u + 2 + 1);
}

// The collector walks gc_links, which triggers keep equal to the reference
// labels: retargeting, adding and removing labels after commit, references
// to digests committed later, and a blob removed then committed again.
TEST_F(GcTest, TheGraphFollowsLabelChanges) {
  const Digest a = Put(1), b = Put(2);
  const Digest late = DigestOf(MakeContent(103, 3));  // committed later
  const Digest parent = Put(4, {{kRoot, "1"}, {kRef, a.str()}});
  auto set_label = [&](const std::string& key, const std::string& value) {
    ASSERT_OK(store_->update({parent, 0, {}, {}, {{key, value}}}, {"labels." + key}).status());
  };
  AgeEverything();
  EXPECT_TRUE(Collect().removed_blobs == std::vector<Digest>{b});
  const Digest b2 = Put(2);
  set_label(kRef, b2.str());  // retarget: a is no longer referenced
  set_label(std::string(kRef) + ".late", late.str());
  AgeEverything();
  EXPECT_TRUE(Collect().removed_blobs == std::vector<Digest>{a});
  Put(3);  // the forward reference now names a blob
  AgeEverything();
  EXPECT_TRUE(Collect().removed_blobs.empty());
  EXPECT_EQ(Present(), (std::set<Digest>{b2, late, parent}));
  ASSERT_OK(store_->remove(late));
  Put(3);               // committed again: the parent's reference still reaches it
  set_label(kRef, "");  // removing the label drops the link
  AgeEverything();
  EXPECT_TRUE(Collect().removed_blobs == std::vector<Digest>{b2});
  EXPECT_EQ(Present(), (std::set<Digest>{late, parent}));
}

// Plain SQL that bypasses the usual order: labels written before their blob
// (foreign keys off or deferred), a blob deleted and inserted again with its
// labels left behind, a digest "renamed" to itself. The links still match the
// labels, so the collector keeps what they reference.
TEST_F(GcTest, TheGraphHoldsWhenSqlWritesLabelsBeforeTheirBlob) {
  SKIP_ON_POSTGRES(
      "plain SQL with foreign keys off or deferred (PRAGMA foreign_keys, defer_foreign_keys); "
      "PostgreSQL's catalog declares them NOT DEFERRABLE and always on, so labels cannot be "
      "written before their blob there");
  const Digest a = DigestOf(MakeContent(101, 1)), b = Put(2), c = Put(3);
  const std::string insert_a =
      "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('" + a.str() +
      "', 101, 1, 1)";
  {
    testing::CatalogSql db = Sql();
    db.Exec("PRAGMA foreign_keys = OFF");
    db.Exec("INSERT INTO blob_labels VALUES ('" + a.str() + "', '" + kRoot + "', '1'), ('" +
            a.str() + "', '" + kRef + ".0', '" + b.str() + "')");
    db.Exec(insert_a);
    db.Exec("DELETE FROM blobs WHERE digest = '" + a.str() + "'");  // labels stay
    db.Exec(insert_a);
    db.Exec("PRAGMA foreign_keys = ON");
    db.Exec("UPDATE blobs SET digest = digest WHERE digest = '" + a.str() + "'");
    db.Exec("BEGIN; PRAGMA defer_foreign_keys = ON");
    db.Exec("DELETE FROM blobs WHERE digest = '" + c.str() + "'");
    db.Exec("INSERT INTO blob_labels VALUES ('" + c.str() + "', '" + kRoot + "', '1')");
    db.Exec("INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('" + c.str() +
            "', 103, 1, 1)");
    db.Exec("COMMIT");
  }
  auto report = store_->fsck({});
  ASSERT_TRUE(report.ok());
  for (const FsckProblem& p : report->problems) {
    if (p.kind != FsckProblem::Kind::kRowWithoutFile)
      ADD_FAILURE() << p.subject << ": " << p.detail;
  }
  AgeEverything();
  EXPECT_TRUE(Collect().removed_blobs.empty());
  EXPECT_EQ(Present(), (std::set<Digest>{a, b, c}));
}

// Whatever writes the labels (the library or plain SQL, as from the sqlite3
// shell), the numbered graph stays equal to gc_edges; after collections,
// gc_nodes holds only blobs and digests some link names.
TEST_F(GcTest, TheGraphMatchesTheLabelsAfterRandomChanges) {
  std::vector<Digest> digests;
  for (int i = 0; i < 40; ++i)
    digests.push_back(DigestOf(MakeContent(100 + size_t(i), uint64_t(i))));
  std::mt19937 rng(7);
  auto pick = [&] { return digests[rng() % digests.size()]; };
  auto key = [&] { return std::string(kRef) + (rng() % 2 ? "" : "." + std::to_string(rng() % 3)); };
  for (int step = 0; step < 400; ++step) {
    const int i = int(rng() % digests.size());
    switch (rng() % 6) {
      case 0: {
        Labels labels = {{key(), pick().str()}};
        if (rng() % 4 == 0) labels[kRoot] = "x";  // roots, so the walks have work
        Put(i, labels);
        break;
      }
      case 1:
        (void)store_->remove(digests[size_t(i)]);
        break;
      case 2: {
        const std::string k = key();
        (void)store_->update({digests[size_t(i)], 0, {}, {}, {{k, pick().str()}}}, {"labels." + k});
        break;
      }
      case 3:
        (void)store_->update({digests[size_t(i)], 0, {}, {}, {}}, {"labels"});
        break;
      case 4: {  // plain SQL, foreign keys on as the library has them
        testing::CatalogSql db = Sql();
        if (!testing::CatalogOnPostgres()) db.Exec("PRAGMA foreign_keys = ON");  // always on there
        db.Exec("INSERT INTO blob_labels (digest, key, value) SELECT digest, '" + key() + "', '" +
                pick().str() + "' FROM blobs WHERE digest = '" + digests[size_t(i)].str() +
                "' ON CONFLICT (digest, key) DO UPDATE SET value = excluded.value");
        break;
      }
      case 5: {
        testing::CatalogSql db = Sql();
        db.Exec("DELETE FROM blob_labels WHERE digest = '" + digests[size_t(i)].str() +
                "' AND key = '" + key() + "'");
        break;
      }
    }
    if (step % 100 == 99) {
      if (rng() % 2) {
        testing::CatalogSql db = Sql();
        db.Exec("UPDATE blob_labels SET value = '" + pick().str() + "' WHERE key >= '" + kRef +
                "' AND key < '" + kRef + "0' AND substr(digest, 8, 1) < '8'");
      }
      AgeEverything();
      GcOptions gc;
      gc.grace = seconds(0);
      // The collector's mark (in memory, GcMark) and the schema's view
      // (in SQL, for outside tools) agree on this graph, cycles and labels
      // written behind the library's back included.
      GcOptions dry = gc;
      dry.dry_run = true;
      std::vector<std::string> marked;
      for (const Digest& d : Collect(dry).removed_blobs) marked.push_back(d.str());
      EXPECT_EQ(marked, Sql().Column("SELECT digest FROM gc_unreachable ORDER BY digest"))
          << "step " << step;
      (void)Collect(gc);
      EXPECT_EQ(Sql().Value("SELECT count(*) FROM gc_nodes AS n WHERE "
                            "NOT EXISTS (SELECT 1 FROM blobs AS b WHERE b.digest = n.digest) AND "
                            "NOT EXISTS (SELECT 1 FROM gc_links AS l WHERE l.child = n.id)"),
                "0");
    }
    auto report = store_->fsck({});
    ASSERT_TRUE(report.ok());
    for (const FsckProblem& p : report->problems) {
      ADD_FAILURE() << "step " << step << ": " << FsckKindName(p.kind) << " " << p.subject << ": "
                    << p.detail;
    }
    if (!report->problems.empty()) break;
  }
}

TEST_F(GcTest, GracePeriodProtectsFreshBlobs) {
  const Digest fresh = Put(1);
  EXPECT_TRUE(Collect().removed_blobs.empty());          // default grace: 1 hour
  GcOptions zero;
  zero.grace = seconds(0);
  EXPECT_EQ(Collect(zero).removed_blobs, (std::vector<Digest>{fresh}));
}

TEST_F(GcTest, DryRunChangesNothingAndMatchesTheRealRun) {
  Put(1, {{kRoot, "x"}});
  const Digest gone1 = Put(2), gone2 = Put(3);
  {
    WriterOptions options;
    options.ref = "stale";
    auto w = store_->writer(options);
    ASSERT_TRUE(w.ok());
    ASSERT_OK((*w)->write("abc"));
  }
  AgeEverything();
  const std::string data = dir_.path() + "/ingest/" + Layout::IngestId("stale") + "/data";
  ASSERT_EQ(::system(("touch -d '2 days ago' '" + data + "'").c_str()), 0);
  GcOptions dry;
  dry.dry_run = true;
  const GcReport planned = Collect(dry);
  EXPECT_EQ(planned.removed_blobs, (std::vector<Digest>{std::min(gone1, gone2), std::max(gone1, gone2)}));
  EXPECT_EQ(planned.removed_ingests, (std::vector<std::string>{"stale"}));
  EXPECT_EQ(Present().size(), 3u);
  EXPECT_TRUE(store_->get_ingest("stale").ok());
  const GcReport done = Collect();
  EXPECT_EQ(done.removed_blobs, planned.removed_blobs);
  EXPECT_EQ(done.removed_ingests, planned.removed_ingests);
  EXPECT_EQ(done.bytes_freed, planned.bytes_freed);
  EXPECT_CODE(store_->get_ingest("stale").status(), kNotFound);
}

TEST_F(GcTest, LeasesHoldContentUntilTheyExpireOrGo) {
  const Digest held = Put(1), expiring = Put(2), loose = Put(3);
  auto forever = store_->create_lease();
  ASSERT_TRUE(forever.ok()) << forever.status().ToString();
  EXPECT_FALSE(forever->expires_at.has_value());
  LeaseOptions short_lived;
  short_lived.id = "short";
  short_lived.expire = seconds(1);
  auto brief = store_->create_lease(short_lived);
  ASSERT_TRUE(brief.ok());
  ASSERT_TRUE(brief->expires_at.has_value());
  EXPECT_EQ(brief->labels.count(kLeaseExpireLabel), 1u);
  ASSERT_OK(store_->add_lease_resource(forever->id, {LeaseResource::Type::kContent, held.str()}));
  ASSERT_OK(store_->add_lease_resource("short", {LeaseResource::Type::kContent, expiring.str()}));
  AgeEverything();
  GcOptions zero;
  zero.grace = seconds(0);
  EXPECT_EQ(Collect(zero).removed_blobs, (std::vector<Digest>{loose}));
  // Once the short lease expires, its content goes, and the lease record too.
  if (testing::CatalogOnPostgres()) {
    // The collector's "now" there is the server's clock, not the Env's
    // (src/catalog/POSTGRES.md, What remains 5): let real time pass.
    std::this_thread::sleep_for(seconds(2));
  } else {
    env_.Advance(seconds(2));
  }
  const GcReport later = Collect(zero);
  EXPECT_EQ(later.removed_blobs, (std::vector<Digest>{expiring}));
  EXPECT_EQ(later.removed_leases, (std::vector<std::string>{"short"}));
  EXPECT_EQ(store_->list_leases()->size(), 1u);
  // Deleting the lease with collect=true takes the rest with it.
  ASSERT_OK(store_->delete_lease(forever->id));
  EXPECT_EQ(Collect(zero).removed_blobs, (std::vector<Digest>{held}));
}

TEST_F(GcTest, AnIngestsExpectedDigestIsARoot) {
  const std::string content = MakeContent(500, 9);
  const Digest d = Put(content);
  // An upload of the same content in progress elsewhere keeps it.
  WriterOptions options;
  options.ref = "still-pulling";
  options.expected = DigestOf(MakeContent(500, 10));
  auto w = store_->writer(options);
  ASSERT_TRUE(w.ok());
  ASSERT_OK(store_->update({d, 0, {}, {}, {{"x", "y"}}}, {"labels.x"}).status());
  // Point the ingest's expected digest at d (as if it were re-pulling it).
  Sql().Query("UPDATE ingests SET expected = ? WHERE ref = 'still-pulling'", {d.str()});
  AgeEverything();
  GcOptions zero;
  zero.grace = seconds(0);
  EXPECT_TRUE(Collect(zero).removed_blobs.empty());
}

TEST_F(GcTest, StaleIngestsGoUnlessHeldOrLeased) {
  auto open = [&](const std::string& ref, std::optional<std::string> lease = {}) {
    WriterOptions options;
    options.ref = ref;
    options.lease = lease;
    auto w = store_->writer(options);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_OK((*w)->write("data"));
    return std::move(*w);
  };
  LeaseOptions lo;
  lo.id = "pull";
  ASSERT_TRUE(store_->create_lease(lo).ok());
  auto live = open("live");                       // a writer holds it
  ASSERT_OK(open("closed")->close());             // nobody holds it
  ASSERT_OK(open("leased", std::string("pull"))->close());
  ASSERT_OK(open("recent")->close());
  AgeEverything();
  Sql().Exec("UPDATE ingests SET updated_at = updated_at + 360000000000000 WHERE ref = 'recent'");
  // The data files were written just now; make them old too, except 'recent'.
  for (std::string ref : {"live", "closed", "leased"}) {
    const std::string data = dir_.path() + "/ingest/" + Layout::IngestId(ref) + "/data";
    ASSERT_EQ(::system(("touch -d '2 days ago' '" + data + "'").c_str()), 0);
  }
  const GcReport report = Collect();
  EXPECT_EQ(report.removed_ingests, (std::vector<std::string>{"closed"}));
  EXPECT_TRUE(store_->get_ingest("live").ok());
  EXPECT_TRUE(store_->get_ingest("leased").ok());
  EXPECT_TRUE(store_->get_ingest("recent").ok());
  EXPECT_FALSE(testing::FileExists(dir_.path() + "/ingest/" + Layout::IngestId("closed")));
}

TEST_F(GcTest, LeaseDeletedUnderARunningWriterDoesNotBreakItsCommit) {
  LeaseOptions lo;
  lo.id = "pull";
  ASSERT_TRUE(store_->create_lease(lo).ok());
  WriterOptions options;
  options.ref = "layer";
  options.lease = "pull";
  auto w = store_->writer(options);
  ASSERT_TRUE(w.ok());
  auto held = store_->lease_resources("pull");
  ASSERT_TRUE(held.ok());
  EXPECT_EQ(*held, (std::vector<LeaseResource>{{LeaseResource::Type::kIngest, "layer"}}));
  ASSERT_OK((*w)->write("layer bytes"));
  ASSERT_OK(store_->delete_lease("pull", DeleteLeaseOptions{.sync = true}));
  ASSERT_OK((*w)->commit(0, DigestOf("layer bytes")));
  EXPECT_TRUE(store_->info(DigestOf("layer bytes")).ok());
}

TEST_F(GcTest, CommitUnderALeaseMovesTheHoldToTheBlob) {
  LeaseOptions lo;
  lo.id = "pull";
  ASSERT_TRUE(store_->create_lease(lo).ok());
  WriterOptions options;
  options.ref = "layer";
  options.lease = "pull";
  auto w = store_->writer(options);
  ASSERT_TRUE(w.ok());
  ASSERT_OK((*w)->write("leased bytes"));
  ASSERT_OK((*w)->commit(0, std::nullopt));
  EXPECT_EQ(*store_->lease_resources("pull"),
            (std::vector<LeaseResource>{
                {LeaseResource::Type::kContent, DigestOf("leased bytes").str()}}));
  // Asking again for committed content under another lease: AlreadyExists,
  // and that lease holds it now too.
  lo.id = "second";
  ASSERT_TRUE(store_->create_lease(lo).ok());
  options.ref = "again";
  options.lease = "second";
  options.expected = DigestOf("leased bytes");
  EXPECT_CODE(store_->writer(options).status(), kAlreadyExists);
  EXPECT_EQ(store_->lease_resources("second")->size(), 1u);
  AgeEverything();
  GcOptions zero;
  zero.grace = seconds(0);
  EXPECT_TRUE(Collect(zero).removed_blobs.empty());
}

TEST_F(GcTest, CrashBetweenTheCatalogSweepAndTheFileDeletion) {
  const Digest kept = Put(1, {{kRoot, "x"}});
  const Digest gone = Put(2);
  AgeEverything();
  store_.reset();
  const int rc = testing::RunInChild([&] {
    auto store = Store::Open(dir_.path(), testing::StoreOptions(dir_.path()));
    if (!store.ok()) return 2;
    testing::CrashAt("gc.after_sweep");
    GcOptions zero;
    zero.grace = seconds(0);
    (void)(*store)->collect_garbage(zero);
    return 0;
  });
  ASSERT_EQ(rc, 128 + SIGKILL);
  // The row is gone; the file waits in pending_file_deletions.
  EXPECT_TRUE(testing::FileExists(dir_.path() + "/blobs/sha256/" + gone.hex()));
  // Opening leaves the dead collector's files alone; the next collection
  // finishes them.
  store_ = testing::OpenStore(dir_.path(), Options{.env = &env_});
  EXPECT_TRUE(testing::FileExists(dir_.path() + "/blobs/sha256/" + gone.hex()));
  EXPECT_EQ(Collect().removed_blobs, std::vector<Digest>{});
  EXPECT_FALSE(testing::FileExists(dir_.path() + "/blobs/sha256/" + gone.hex()));
  EXPECT_EQ(Present(), (std::set<Digest>{kept}));
  store_.reset();
  testing::ExpectConsistent(dir_.path());
}

// The README's one-query answer to "what would a GC remove" gives the same
// set as a dry run, through the sqlite3 shell alone (on PostgreSQL: the same
// view, through a plain connection).
TEST_F(GcTest, TheDocumentedSqlite3QueryMatchesTheDryRun) {
  Put(1, {{kRoot, "x"}, {kRef, DigestOf(MakeContent(102, 2)).str()}});
  Put(2);
  Put(3);
  Put(4, {{std::string(kRef) + ".x", DigestOf(MakeContent(103, 3)).str()}});
  auto lease = store_->create_lease();
  ASSERT_TRUE(lease.ok());
  ASSERT_OK(store_->add_lease_resource(lease->id,
                                       {LeaseResource::Type::kContent, Put(5).str()}));
  AgeEverything();
  Put(6);  // young: inside the grace period
  GcOptions dry;
  dry.dry_run = true;
  std::vector<std::string> expected;
  for (const Digest& d : Collect(dry).removed_blobs) expected.push_back(d.str());

  std::vector<std::string> got;
  if (testing::CatalogOnPostgres()) {
    // No shell there; the same view, with the server's clock as "now" (as
    // psql would ask it).
    got = testing::CatalogSql(dir_.path())
              .Column("SELECT digest FROM gc_unreachable "
                      "WHERE created_at < (SELECT now FROM gc_now) - 3600000000000 ORDER BY digest");
  } else {
    const std::string query =
        "SELECT digest FROM gc_unreachable "
        "WHERE created_at < (strftime('%s', 'now') - 3600) * 1000000000 ORDER BY digest;";
    FILE* p = ::popen(("sqlite3 '" + dir_.path() + "/catalog.db' \"" + query + "\"").c_str(), "r");
    ASSERT_NE(p, nullptr);
    char line[512];
    while (std::fgets(line, sizeof(line), p)) {
      std::string s = line;
      while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
      got.push_back(s);
    }
    ASSERT_EQ(::pclose(p), 0) << "is the sqlite3 shell installed?";
  }
  EXPECT_EQ(got, expected);
  EXPECT_EQ(got.size(), 2u);  // blobs 2 and 4's... see above: 2 and 4
}

// What a test runs in the middle of a collection, between the mark (on a
// snapshot) and the sweep.
std::function<void()> g_between_mark_and_sweep;
void RunBetweenMarkAndSweep(std::string_view point) {
  if (point == "gc.after_mark" && g_between_mark_and_sweep) g_between_mark_and_sweep();
}

// The mark sees a snapshot; whatever becomes reachable after it (a new
// reference, a new root label, a lease) must survive the sweep, and so must
// what that reaches.
TEST_F(GcTest, WhatBecomesReachableDuringACollectionIsKept) {
  const Digest referenced = Put(1), rooted_parent = Put(2), its_child = Put(3), leased = Put(4),
               garbage = Put(5), garbage_child = Put(6);
  ASSERT_OK(store_->update({rooted_parent, 0, {}, {}, {{std::string(kRef) + ".l.0", its_child.str()}}},
                           {}).status());
  ASSERT_OK(store_->update({garbage, 0, {}, {}, {{std::string(kRef) + ".l.0", garbage_child.str()}}},
                           {}).status());
  AgeEverything();
  auto other = testing::OpenStore(dir_.path());  // another user of the store
  LeaseOptions late;
  late.id = "late";
  ASSERT_OK(other->create_lease(late).status());
  const Digest newcomer = DigestOf(MakeContent(777, 7));
  g_between_mark_and_sweep = [&] {
    // A new blob, young and so a root, references `referenced`.
    EXPECT_OK(testing::WriteBlob(*other, "newcomer", MakeContent(777, 7),
                                 {{std::string(kRef) + ".x", referenced.str()}}));
    // An old blob becomes a root; it references its child.
    EXPECT_OK(other->update({rooted_parent, 0, {}, {}, {{kRoot, "now"}}}, {"labels." + std::string(kRoot)})
                  .status());
    EXPECT_OK(other->add_lease_resource("late", {LeaseResource::Type::kContent, leased.str()}));
  };
  test_hooks::SetCrashHook(&RunBetweenMarkAndSweep);
  GcOptions zero;
  zero.grace = seconds(0);
  const GcReport report = Collect(zero);
  test_hooks::SetCrashHook(nullptr);
  g_between_mark_and_sweep = nullptr;
  EXPECT_EQ(std::set<Digest>(report.removed_blobs.begin(), report.removed_blobs.end()),
            (std::set<Digest>{garbage, garbage_child}));
  EXPECT_EQ(Present(), (std::set<Digest>{referenced, rooted_parent, its_child, leased, newcomer}));
  EXPECT_GT(report.write_transactions, 2);  // registration, sweep batches, end
  store_.reset();
  other.reset();
  testing::ExpectConsistent(dir_.path());
}

// Processes commit rooted and leased blobs while another collects with no
// grace at all: nothing rooted or leased is ever lost, and the store stays
// consistent.
TEST(GcConcurrency, CommitsInAnotherProcessSurviveRepeatedCollections) {
  TempDir dir;
  { testing::OpenStore(dir.path()); }
  constexpr int kRounds = 200;
  Labels root = {{kRoot, "keep"}};
  const pid_t writer = testing::ForkAlone();
  ASSERT_GE(writer, 0);
  if (writer == 0) {
    int code = 0;
    {
      auto store = Store::Open(dir.path(), testing::StoreOptions(dir.path()));
      if (!store.ok()) ::_exit(2);
      LeaseOptions lo;
      lo.id = "writer";
      if (!(*store)->create_lease(lo).ok()) ::_exit(3);
      for (int i = 0; i < kRounds && code == 0; ++i) {
        const std::string rooted = MakeContent(200, 50000 + uint64_t(i));
        const std::string leased = MakeContent(300, 60000 + uint64_t(i));
        const std::string garbage = MakeContent(100, 70000 + uint64_t(i % 7));
        Status s = testing::WriteBlob(**store, "r" + std::to_string(i), rooted, root);
        if (!s.ok()) code = 4;
        WriterOptions wo;
        wo.ref = "l" + std::to_string(i);
        wo.lease = "writer";
        wo.expected = DigestOf(leased);
        auto w = (*store)->writer(wo);
        if (w.ok()) {
          if (!(*w)->write(leased).ok()) code = 5;
          s = (*w)->commit(0, std::nullopt);
          if (!s.ok() && !s.IsAlreadyExists()) code = 6;
        } else if (!w.status().IsAlreadyExists()) {
          code = 7;
        }
        // Unreferenced content, which the collector may take at any time.
        s = testing::WriteBlob(**store, "g" + std::to_string(i), garbage);
        if (!s.ok() && !s.IsAlreadyExists()) {
          std::fprintf(stderr, "writer: %s\n", s.ToString().c_str());
          code = 8;
        }
        if (!(*store)->info(DigestOf(rooted)).ok() || !(*store)->info(DigestOf(leased)).ok()) {
          code = 9;
        }
      }
    }
    ::_exit(code);
  }
  auto store = testing::OpenStore(dir.path());
  GcOptions zero;
  zero.grace = seconds(0);
  int collections = 0;
  for (;;) {
    int status = 0;
    if (::waitpid(writer, &status, WNOHANG) == writer) {
      ASSERT_TRUE(WIFEXITED(status)) << "writer died";
      ASSERT_EQ(WEXITSTATUS(status), 0) << "writer failed";
      break;
    }
    auto report = store->collect_garbage(zero);
    ASSERT_TRUE(report.ok()) << report.status().ToString();
    ++collections;
    // Back to back, with no pause: the collector steps aside between its
    // short transactions, so the writer is not starved (SQLite's lock is not
    // fair, and a collector holding it for a whole run used to be).
  }
  EXPECT_GT(collections, 5);
  ASSERT_TRUE(store->collect_garbage(zero).ok());
  for (int i = 0; i < kRounds; ++i) {
    EXPECT_TRUE(store->info(DigestOf(MakeContent(200, 50000 + uint64_t(i)))).ok()) << i;
    EXPECT_TRUE(store->info(DigestOf(MakeContent(300, 60000 + uint64_t(i)))).ok()) << i;
  }
  store.reset();
  testing::ExpectConsistent(dir.path());
}

TEST_F(GcTest, NegativeDurationsAreInvalid) {
  GcOptions bad;
  bad.grace = seconds(-1);
  EXPECT_CODE(store_->collect_garbage(bad).status(), kInvalidArgument);
}

}  // namespace
}  // namespace contentstore
