#include "catalog/catalog.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <fstream>

#include "embedded_sql.h"
#include "test_util.h"

namespace contentstore {
namespace {

using testing::TempDir;

// The schema as SQLite stores it, normalized: comments dropped, whitespace
// collapsed, one line per object, sorted.
std::vector<std::string> SchemaOf(SQLite::Database& db) {
  std::vector<std::string> out;
  SQLite::Statement q(db,
                      "SELECT type, name, tbl_name, sql FROM sqlite_schema "
                      "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name");
  while (q.executeStep()) {
    std::string sql = q.getColumn(3).getString();
    std::string clean;
    bool in_comment = false;
    for (size_t i = 0; i < sql.size(); ++i) {
      if (!in_comment && sql.compare(i, 2, "--") == 0) in_comment = true;
      if (in_comment && sql[i] == '\n') in_comment = false;
      if (!in_comment) clean += sql[i];
    }
    std::string collapsed;
    for (char c : clean) {
      if (std::isspace(static_cast<unsigned char>(c))) {
        if (!collapsed.empty() && collapsed.back() != ' ') collapsed += ' ';
      } else {
        collapsed += c;
      }
    }
    out.push_back(q.getColumn(0).getString() + " " + q.getColumn(1).getString() + " " +
                  q.getColumn(2).getString() + ": " + collapsed);
  }
  return out;
}

TEST(CatalogSchema, MigrationsYieldExactlyTheSchema) {
  SQLite::Database fresh(":memory:", SQLite::OPEN_READWRITE);
  fresh.exec(std::string(sql::kSchema));
  SQLite::Database migrated(":memory:", SQLite::OPEN_READWRITE);
  for (const sql::Migration& m : sql::kMigrations) migrated.exec(std::string(m.text));
  const auto a = SchemaOf(fresh);
  const auto b = SchemaOf(migrated);
  EXPECT_FALSE(a.empty());
  EXPECT_EQ(a, b);
}

TEST(CatalogSchema, MigrationsAreNumberedFromOne) {
  int expected = 1;
  for (const sql::Migration& m : sql::kMigrations) EXPECT_EQ(m.version, expected++);
}

TEST(Catalog, OlderCatalogIsMigratedKeepingItsRows) {
  TempDir dir;
  {
    // A version-1 catalog, as the first release wrote it.
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(std::string(sql::kMigrations[0].text));
    db.exec("PRAGMA user_version = 1");
    db.exec("INSERT INTO blobs VALUES ('sha256:x', 1, 2, 3)");
    db.exec("INSERT INTO blob_labels VALUES ('sha256:x', 'k', 'v')");
  }
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ((*catalog)->schema_version(), sql::kMigrations.back().version);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT size + created_at + updated_at FROM blobs").getInt(), 6);
  EXPECT_EQ(db.execAndGet("SELECT value FROM blob_labels").getString(), "v");
  EXPECT_TRUE(db.tableExists("leases"));
  SQLite::Database fresh(":memory:", SQLite::OPEN_READWRITE);
  fresh.exec(std::string(sql::kSchema));
  EXPECT_EQ(SchemaOf(db), SchemaOf(fresh));
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  SQLite::Statement fk(db, "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.executeStep());
}

// Migration 3 numbers the reference graph of a catalog that already has
// blobs and reference labels, so the first collection after an upgrade keeps
// what the labels reference.
TEST(Catalog, VersionTwoReferencesSurviveTheUpgrade) {
  TempDir dir;
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  const std::string c = "sha256:" + std::string(64, 'c'), d = "sha256:" + std::string(64, 'd');
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(std::string(sql::kMigrations[0].text));
    db.exec(std::string(sql::kMigrations[1].text));
    db.exec("PRAGMA user_version = 2");
    for (const std::string& x : {a, b, c}) {
      db.exec("INSERT INTO blobs VALUES ('" + x + "', 1, 1, 1)");
    }
    db.exec("INSERT INTO blob_labels VALUES ('" + a + "', 'containerd.io/gc.root', 'x'), ('" + a +
            "', 'containerd.io/gc.ref.content.0', '" + b + "'), ('" + a +
            "', 'containerd.io/gc.ref.content.1', '" + d + "')");
  }
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT digest FROM gc_unreachable ORDER BY digest");
  std::vector<std::string> unreachable;
  while (q.executeStep()) unreachable.push_back(q.getColumn(0).getString());
  EXPECT_EQ(unreachable, std::vector<std::string>{c});
  SQLite::Statement r(db, "SELECT digest FROM gc_reachable ORDER BY digest");
  std::vector<std::string> reachable;
  while (r.executeStep()) reachable.push_back(r.getColumn(0).getString());
  EXPECT_EQ(reachable, (std::vector<std::string>{a, b, d}));  // d: named, not committed
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM blobs WHERE gc_id IS NULL").getInt(), 0);
}

TEST(Catalog, FreshCatalogIsAtTheLatestVersionInWalMode) {
  TempDir dir;
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  EXPECT_EQ((*catalog)->schema_version(), sql::kMigrations.back().version);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST(Catalog, MissingCatalogIsNotFoundWithoutCreate) {
  TempDir dir;
  Options options;
  options.create_if_missing = false;
  EXPECT_CODE(Catalog::Open(dir / "catalog.db", options).status(), kNotFound);
  EXPECT_FALSE(testing::FileExists(dir / "catalog.db"));
}

TEST(Catalog, NewerCatalogIsRefusedAndLeftAlone) {
  TempDir dir;
  { ASSERT_TRUE(Catalog::Open(dir / "catalog.db", Options{}).ok()); }
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 999");
    db.exec("CREATE TABLE from_the_future (x)");
  }
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), Code::kIOError);
  EXPECT_NE(catalog.status().message().find("999"), std::string::npos);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 999);
  EXPECT_TRUE(db.tableExists("from_the_future"));
}

TEST(Catalog, GarbageFileIsAClearErrorAndStaysUntouched) {
  TempDir dir;
  const std::string garbage = testing::MakeContent(8192, 3);
  {
    std::ofstream out(dir / "catalog.db", std::ios::binary);
    out << garbage;
  }
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_FALSE(catalog.ok());
  EXPECT_EQ(catalog.status().code(), Code::kIOError);
  EXPECT_NE(catalog.status().message().find("catalog.db"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(dir / "catalog.db"), garbage);
}

TEST(Catalog, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE something_else (x)");
  }
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_FALSE(catalog.ok());
  EXPECT_NE(catalog.status().message().find("not a contentstore catalog"), std::string::npos);
}

TEST(Catalog, TruncatedCatalogIsAClearError) {
  TempDir dir;
  { ASSERT_TRUE(Catalog::Open(dir / "catalog.db", Options{}).ok()); }
  // Keep only the header page's first bytes: SQLite sees a damaged file.
  const std::string head = testing::ReadFile(dir / "catalog.db").substr(0, 100);
  {
    std::ofstream out(dir / "catalog.db", std::ios::binary | std::ios::trunc);
    out << head << std::string(5000, '\x5a');
  }
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  EXPECT_FALSE(catalog.ok());
}

TEST(Catalog, WriteRollsBackOnError) {
  TempDir dir;
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok());
  Status s = (*catalog)->Write(Catalog::Sync::kNormal, [](Session& session) {
    session.db().exec(
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('sha256:x', 1, 1, 1)");
    return Status::FailedPrecondition("changed my mind");
  });
  EXPECT_TRUE(s.IsFailedPrecondition());
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM blobs").getInt(), 0);
}

TEST(Catalog, ConstraintViolationIsAlreadyExists) {
  TempDir dir;
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok());
  Status s = (*catalog)->Write(Catalog::Sync::kNormal, [](Session& session) {
    session.db().exec(
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('sha256:x', 1, 1, 1)");
    session.db().exec(
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('sha256:x', 1, 1, 1)");
    return Status::OK();
  });
  EXPECT_EQ(s.code(), Code::kAlreadyExists) << s.ToString();
}

TEST(Catalog, HeldWriteLockBeyondTheTimeoutIsUnavailable) {
  TempDir dir;
  Options options;
  options.busy_timeout_ms = 100;
  auto catalog = Catalog::Open(dir / "catalog.db", options);
  ASSERT_TRUE(catalog.ok());
  SQLite::Database other(dir / "catalog.db", SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  Status s = (*catalog)->Write(Catalog::Sync::kNormal, [](Session&) { return Status::OK(); });
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  other.exec("ROLLBACK");
  EXPECT_OK((*catalog)->Write(Catalog::Sync::kNormal, [](Session&) { return Status::OK(); }));
}

TEST(Catalog, RegexpIsRegisteredOnTheConnection) {
  TempDir dir;
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok());
  bool matched = false;
  ASSERT_OK((*catalog)->Read([&](Session& session) {
    auto q = session.Prepare("SELECT 'layer-123' REGEXP '^layer-[0-9]+$'");
    q->executeStep();
    matched = q->getColumn(0).getInt() == 1;
    return Status::OK();
  }));
  EXPECT_TRUE(matched);
}

TEST(Catalog, ReadableViewsShowRfc3339Times) {
  TempDir dir;
  auto catalog = Catalog::Open(dir / "catalog.db", Options{});
  ASSERT_TRUE(catalog.ok());
  ASSERT_OK((*catalog)->Write(Catalog::Sync::kNormal, [](Session& session) {
    session.db().exec(
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('sha256:x', 1, "
        "1795845000123456789, 1795845000000000001)");
    session.db().exec("INSERT INTO blob_labels VALUES ('sha256:x', 'b', '2'), ('sha256:x', 'a', '1')");
    return Status::OK();
  }));
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  SQLite::Statement q(db, "SELECT created, updated, labels FROM blobs_readable");
  ASSERT_TRUE(q.executeStep());
  EXPECT_EQ(q.getColumn(0).getString(), "2026-11-28T05:50:00.123456789Z");
  EXPECT_EQ(q.getColumn(1).getString(), "2026-11-28T05:50:00.000000001Z");
  EXPECT_EQ(q.getColumn(2).getString(), "a=1,b=2");
}

}  // namespace
}  // namespace contentstore
