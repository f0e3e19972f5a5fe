// The SQLite catalog: schema from the migrations (and schema/schema.sql
// describing it), versions, damaged and foreign files, transactions, error
// codes, read-only opens, and the Env's VFS (catalog I/O faults, the clock).

#include "catalog/sqlite_catalog.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <thread>

#include <fmt/format.h>

#include "catalog/blob_rows.h"
#include "catalog/filtered_query.h"
#include "catalog/gc_rows.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "catalog/sqlite_sql.h"
#include "test_env.h"
#include "test_util.h"

namespace contentstore::catalog {
namespace {

using testing::TempDir;

// SQL as tokens: comments dropped, whitespace ignored, so two spellings of
// the same definition compare equal.
std::string Tokens(std::string_view sql) {
  std::string out;
  auto emit = [&](std::string_view token) {
    if (!out.empty()) out += ' ';
    out += token;
  };
  for (size_t i = 0; i < sql.size();) {
    const char c = sql[i];
    if (std::isspace(static_cast<unsigned char>(c))) {
      ++i;
    } else if (sql.compare(i, 2, "--") == 0) {
      while (i < sql.size() && sql[i] != '\n') ++i;
    } else if (sql.compare(i, 2, "/*") == 0) {
      const size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else if (c == '\'' || c == '"') {
      size_t j = i + 1;
      while (j < sql.size() && !(sql[j] == c && (j + 1 >= sql.size() || sql[j + 1] != c))) {
        j += sql[j] == c ? 2 : 1;
      }
      emit(sql.substr(i, j + 1 - i));
      i = j + 1;
    } else if (std::isalnum(static_cast<unsigned char>(c)) || c == '_') {
      size_t j = i;
      while (j < sql.size() &&
             (std::isalnum(static_cast<unsigned char>(sql[j])) || sql[j] == '_')) {
        ++j;
      }
      emit(sql.substr(i, j - i));
      i = j;
    } else {
      emit(sql.substr(i, 1));
      ++i;
    }
  }
  return out;
}

// Every row of `query`, columns joined by '|'.
std::vector<std::string> Rows(SQLite::Database& db, const std::string& query) {
  std::vector<std::string> out;
  SQLite::Statement q(db, query);
  while (q.executeStep()) {
    std::string row;
    for (int i = 0; i < q.getColumnCount(); ++i) {
      row += (i ? "|" : "") + (q.isColumnNull(i) ? std::string("NULL") : q.getColumn(i).getString());
    }
    out.push_back(std::move(row));
  }
  return out;
}

// The catalog's structure as SQLite knows it: each object's definition as
// tokens, and for tables their columns, keys, foreign keys and indexes as the
// pragmas report them. Formatting and comments do not count; order and
// meaning do.
std::vector<std::string> Structure(SQLite::Database& db) {
  std::vector<std::string> out;
  for (const std::string& row : Rows(db,
                                     "SELECT type || ' ' || name || ' on ' || tbl_name, "
                                     "coalesce(sql, '') FROM sqlite_schema "
                                     "WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")) {
    const size_t bar = row.find('|');
    out.push_back(row.substr(0, bar) + ": " + Tokens(row.substr(bar + 1)));
  }
  for (const std::string& table :
       Rows(db, "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")) {
    for (const char* pragma : {"table_xinfo", "foreign_key_list", "index_list"}) {
      for (const std::string& row : Rows(db, "SELECT * FROM pragma_" + std::string(pragma) +
                                                 "('" + table + "')")) {
        out.push_back(table + " " + pragma + ": " + row);
      }
    }
    for (const std::string& index :
         Rows(db, "SELECT name FROM pragma_index_list('" + table + "') ORDER BY name")) {
      for (const std::string& row : Rows(db, "SELECT * FROM pragma_index_xinfo('" + index + "')")) {
        out.push_back(index + " index_xinfo: " + row);
      }
    }
    for (const std::string& row :
         Rows(db, "SELECT wr, strict FROM pragma_table_list('" + table + "')")) {
      out.push_back(table + " without rowid, strict: " + row);
    }
  }
  return out;
}

std::unique_ptr<Catalog> Open(const std::string& path, Options options = {},
                              Env& env = *Env::Default()) {
  auto catalog = OpenSqliteCatalog(path, options, env);
  EXPECT_TRUE(catalog.ok()) << catalog.status().ToString();
  return catalog.ok() ? std::move(*catalog) : nullptr;
}

Status OpenStatus(const std::string& path, Options options = {}) {
  return OpenSqliteCatalog(path, options, *Env::Default()).status();
}

// schema/schema.sql, the people's description.
std::string SchemaFile() {
  return testing::ReadFile(std::string(CONTENTSTORE_SOURCE_DIR) + "/schema/schema.sql");
}

TEST(SqliteCatalogSchema, SchemaFileDescribesWhatTheMigrationsBuild) {
  TempDir dir;
  ASSERT_NE(Open(dir / "catalog.db"), nullptr);
  SQLite::Database migrated(dir / "catalog.db", SQLite::OPEN_READONLY);
  SQLite::Database described(":memory:", SQLite::OPEN_READWRITE);
  const std::string schema = SchemaFile();
  ASSERT_FALSE(schema.empty());
  described.exec(schema);
  const auto a = Structure(migrated);
  const auto b = Structure(described);
  EXPECT_GT(a.size(), 50u);
  EXPECT_EQ(a, b);
  EXPECT_NE(schema.find("(version " + std::to_string(LatestSqliteSchemaVersion()) + ")"),
            std::string::npos)
      << "schema.sql's header names the version it describes";
}

TEST(SqliteCatalogSchema, MigrationsAreNumberedFromOne) {
  int expected = 1;
  for (const sqlite::Migration& m : sqlite::kMigrations) EXPECT_EQ(m.version, expected++);
  EXPECT_EQ(LatestSqliteSchemaVersion(), expected - 1);
}

TEST(SqliteCatalog, OlderCatalogIsMigratedKeepingItsRows) {
  TempDir dir;
  {
    // A version-1 catalog, as the first release wrote it.
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(std::string(sqlite::kMigrations[0].text));
    db.exec("PRAGMA user_version = 1");
    db.exec("INSERT INTO blobs VALUES ('sha256:x', 1, 2, 3)");
    db.exec("INSERT INTO blob_labels VALUES ('sha256:x', 'k', 'v')");
  }
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(*catalog->SchemaVersion(), LatestSqliteSchemaVersion());
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT size + created_at + updated_at FROM blobs").getInt(), 6);
  EXPECT_EQ(db.execAndGet("SELECT value FROM blob_labels").getString(), "v");
  EXPECT_TRUE(db.tableExists("leases"));
  TempDir fresh_dir;
  ASSERT_NE(Open(fresh_dir / "catalog.db"), nullptr);
  SQLite::Database fresh(fresh_dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Structure(db), Structure(fresh));
  EXPECT_EQ(db.execAndGet("PRAGMA integrity_check").getString(), "ok");
  SQLite::Statement fk(db, "PRAGMA foreign_key_check");
  EXPECT_FALSE(fk.executeStep());
}

// The reference graph of a catalog that already has blobs and reference
// labels is numbered on the way up, so the first collection after an
// upgrade keeps what the labels reference.
TEST(SqliteCatalog, VersionTwoReferencesSurviveTheUpgrade) {
  TempDir dir;
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  const std::string c = "sha256:" + std::string(64, 'c'), d = "sha256:" + std::string(64, 'd');
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(std::string(sqlite::kMigrations[0].text));
    db.exec(std::string(sqlite::kMigrations[1].text));
    db.exec("PRAGMA user_version = 2");
    for (const std::string& x : {a, b, c}) {
      db.exec("INSERT INTO blobs VALUES ('" + x + "', 1, 1, 1)");
    }
    db.exec("INSERT INTO blob_labels VALUES ('" + a + "', 'containerd.io/gc.root', 'x'), ('" + a +
            "', 'containerd.io/gc.ref.content.0', '" + b + "'), ('" + a +
            "', 'containerd.io/gc.ref.content.1', '" + d + "')");
  }
  ASSERT_NE(Open(dir / "catalog.db"), nullptr);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Rows(db, "SELECT digest FROM gc_unreachable ORDER BY digest"),
            std::vector<std::string>{c});
  // d: named, not committed.
  EXPECT_EQ(Rows(db, "SELECT digest FROM gc_reachable ORDER BY digest"),
            (std::vector<std::string>{a, b, d}));
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM blobs WHERE gc_id IS NULL").getInt(), 0);
}

// A version-5 catalog gains the image tables on the way up, keeps its rows
// and roots, and from then on a name is a root with its own reason.
TEST(SqliteCatalog, VersionFiveCatalogGainsImageNames) {
  TempDir dir;
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b');
  const std::string c = "sha256:" + std::string(64, 'c');
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int i = 0; i < 5; ++i) db.exec(std::string(sqlite::kMigrations[i].text));
    db.exec("PRAGMA user_version = 5");
    for (const std::string& x : {a, b, c}) {
      db.exec("INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('" + x +
              "', 1, 1, 1)");
    }
    db.exec("INSERT INTO blob_labels VALUES ('" + a + "', 'containerd.io/gc.root', 'x'), ('" + b +
            "', 'containerd.io/gc.ref.content.0', '" + c + "')");
  }
  ASSERT_NE(Open(dir / "catalog.db"), nullptr);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE);
  db.exec("PRAGMA foreign_keys = ON");  // as the library's connection
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), LatestSqliteSchemaVersion());
  EXPECT_EQ(Rows(db, "SELECT digest, reason FROM gc_roots"),
            std::vector<std::string>{a + "|label containerd.io/gc.root"});
  EXPECT_EQ(Rows(db, "SELECT digest FROM gc_unreachable ORDER BY digest"),
            (std::vector<std::string>{b, c}));
  // index.json is stale until the first writable open of the store writes it.
  EXPECT_EQ(Rows(db, "SELECT generation, published FROM image_index"),
            std::vector<std::string>{"1|0"});
  db.exec("INSERT INTO images VALUES ('app:1', '" + b + "', 'application/x', 1, 1, 1)");
  EXPECT_EQ(Rows(db, "SELECT reason FROM gc_roots WHERE digest = '" + b + "'"),
            std::vector<std::string>{"image app:1"});
  EXPECT_EQ(Rows(db, "SELECT digest FROM gc_unreachable"), std::vector<std::string>{});
  EXPECT_EQ(Rows(db, "SELECT generation FROM image_index"), std::vector<std::string>{"2"});
  db.exec("INSERT INTO image_labels VALUES ('app:1', 'k', 'v')");
  db.exec("DELETE FROM images");
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM image_labels").getInt(), 0);
  EXPECT_EQ(Rows(db, "SELECT generation FROM image_index"), std::vector<std::string>{"3"});
  TempDir fresh_dir;
  ASSERT_NE(Open(fresh_dir / "catalog.db"), nullptr);
  SQLite::Database fresh(fresh_dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Structure(db), Structure(fresh));
}

// A version-6 catalog's ingests become version 7's: every byte local (no
// upload, nothing uploaded), resumable as before, and their parts go with
// them.
TEST(SqliteCatalog, VersionSixIngestsCarryForwardWithoutUploads) {
  TempDir dir;
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int i = 0; i < 6; ++i) db.exec(std::string(sqlite::kMigrations[i].text));
    db.exec("PRAGMA user_version = 6");
    db.exec("INSERT INTO ingests (ref, id, offset, algorithm, hash_state, started_at, updated_at) "
            "VALUES ('layer', 'abc', 42, 'sha256', x'0102', 1, 2)");
  }
  ASSERT_NE(Open(dir / "catalog.db"), nullptr);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE);
  db.exec("PRAGMA foreign_keys = ON");  // as the library's connection
  EXPECT_EQ(Rows(db, "SELECT ref, offset, hex(hash_state), upload_id IS NULL, uploaded, "
                     "staged_on IS NULL FROM ingests"),
            std::vector<std::string>{"layer|42|0102|1|0|1"});
  db.exec("UPDATE ingests SET upload_id = 'u', uploaded = 5");
  db.exec("INSERT INTO ingest_parts VALUES ('layer', 1, 5, 'e')");
  EXPECT_THROW(db.exec("INSERT INTO ingest_parts VALUES ('nobody', 1, 5, 'e')"), SQLite::Exception)
      << "a part belongs to an ingest";
  EXPECT_THROW(db.exec("INSERT INTO ingest_parts VALUES ('layer', 0, 5, 'e')"), SQLite::Exception)
      << "part numbers start at 1";
  db.exec("DELETE FROM ingests");
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM ingest_parts").getInt(), 0);
  TempDir fresh_dir;
  ASSERT_NE(Open(fresh_dir / "catalog.db"), nullptr);
  SQLite::Database fresh(fresh_dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Structure(db), Structure(fresh));
}

// A version-7 catalog's labels carry forward into version 8, where
// reference labels leave the (key, value) index: every label is still there,
// the graph is unchanged, roots are still found through the index, and a
// label filter on a reference key still finds its blobs (by reading the
// table).
TEST(SqliteCatalog, VersionSevenLabelsCarryForwardWithReferencesOutOfTheKeyIndex) {
  TempDir dir;
  const std::string a = "sha256:" + std::string(64, 'a'), b = "sha256:" + std::string(64, 'b'),
                    c = "sha256:" + std::string(64, 'c');
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    for (int i = 0; i < 7; ++i) db.exec(std::string(sqlite::kMigrations[i].text));
    db.exec("PRAGMA user_version = 7");
    db.exec("PRAGMA foreign_keys = ON");
    for (const std::string& d : {a, b, c}) {
      db.exec(fmt::format("INSERT INTO blobs (digest, size, created_at, updated_at) "
                          "VALUES ('{}', 1, 1, 1)", d));
    }
    db.exec(fmt::format("INSERT INTO blob_labels (digest, key, value) VALUES "
                        "('{0}', 'containerd.io/gc.root', 'x'), "
                        "('{0}', 'containerd.io/gc.ref.content.l.0', '{1}'), "
                        "('{1}', 'app', 'web'), ('{2}', 'containerd.io/gc.ref.content', '{1}')",
                        a, b, c));
  }
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(*catalog->SchemaVersion(), 8);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE);
  EXPECT_EQ(Rows(db, "SELECT count(*) FROM blob_labels"), std::vector<std::string>{"4"});
  EXPECT_EQ(Rows(db, "SELECT sql LIKE '%WHERE NOT gc_reference' FROM sqlite_schema "
                     "WHERE name = 'blob_labels_by_key_value'"),
            std::vector<std::string>{"1"});
  EXPECT_EQ(Rows(db, "SELECT digest FROM gc_roots"), std::vector<std::string>{a});
  EXPECT_EQ(Rows(db, "SELECT digest FROM gc_unreachable"), std::vector<std::string>{c});
  EXPECT_EQ(Rows(db, "SELECT count(*) FROM gc_links"), std::vector<std::string>{"2"});
  // The views' queries use the index where it holds the key.
  std::string plan;
  SQLite::Statement q(db, "EXPLAIN QUERY PLAN SELECT digest FROM gc_roots");
  while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
  EXPECT_NE(plan.find("blob_labels_by_key_value"), std::string::npos) << plan;
  // Filters, as the store compiles them, on an indexed key and a reference key.
  for (const auto& [filter, want] : std::vector<std::pair<std::string, std::string>>{
           {"labels.app==web", b},
           {R"(labels."containerd.io/gc.ref.content.l.0"==)" + b, a},
           {R"(labels."containerd.io/gc.ref.content")", c}}) {
    auto query = FilteredQuery::Parse({filter}, BlobRows::FilterFields());
    ASSERT_TRUE(query.ok()) << filter;
    auto compiled = query->Compile(sqlite::kQueries[static_cast<size_t>(QueryId::walk_page)]);
    ASSERT_TRUE(compiled.ok()) << compiled.status().ToString();
    std::vector<std::string> got;
    SQLite::Statement walk(db, compiled->sql);
    walk.bind(":after", "");
    walk.bind(":limit", 100);
    for (size_t i = 0; i < compiled->params.size(); ++i) {
      walk.bind(compiled->first + int(i), std::get<std::string>(compiled->params[i]));
    }
    while (walk.executeStep()) got.push_back(walk.getColumn("digest").getString());
    got.erase(std::unique(got.begin(), got.end()), got.end());  // one row per label
    EXPECT_EQ(got, std::vector<std::string>{want}) << filter;
  }
  TempDir fresh_dir;
  ASSERT_NE(Open(fresh_dir / "catalog.db"), nullptr);
  SQLite::Database fresh(fresh_dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Structure(db), Structure(fresh));
}

TEST(SqliteCatalog, FreshCatalogIsAtTheLatestVersionInWalMode) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  EXPECT_EQ(*catalog->SchemaVersion(), LatestSqliteSchemaVersion());
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA journal_mode").getString(), "wal");
}

TEST(SqliteCatalog, MissingCatalogIsNotFoundWithoutCreate) {
  TempDir dir;
  Options options;
  options.create_if_missing = false;
  EXPECT_CODE(OpenStatus(dir / "catalog.db", options), kNotFound);
  options = {};
  options.read_only = true;
  EXPECT_CODE(OpenStatus(dir / "catalog.db", options), kNotFound);
  EXPECT_FALSE(testing::FileExists(dir / "catalog.db"));
}

TEST(SqliteCatalog, NewerCatalogIsRefusedAndLeftAlone) {
  TempDir dir;
  { ASSERT_NE(Open(dir / "catalog.db"), nullptr); }
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE);
    db.exec("PRAGMA user_version = 999");
    db.exec("CREATE TABLE from_the_future (x)");
  }
  Status s = OpenStatus(dir / "catalog.db");
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_NE(s.message().find("999"), std::string::npos);
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 999);
  EXPECT_TRUE(db.tableExists("from_the_future"));
}

TEST(SqliteCatalog, GarbageFileIsAClearErrorAndStaysUntouched) {
  TempDir dir;
  const std::string garbage = testing::MakeContent(8192, 3);
  {
    std::ofstream out(dir / "catalog.db", std::ios::binary);
    out << garbage;
  }
  Status s = OpenStatus(dir / "catalog.db");
  EXPECT_EQ(s.code(), Code::kIOError);
  EXPECT_NE(s.message().find("catalog.db"), std::string::npos);
  EXPECT_EQ(testing::ReadFile(dir / "catalog.db"), garbage);
}

TEST(SqliteCatalog, ForeignSqliteDatabaseIsRefused) {
  TempDir dir;
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec("CREATE TABLE something_else (x)");
  }
  EXPECT_NE(OpenStatus(dir / "catalog.db").message().find("not a contentstore catalog"),
            std::string::npos);
}

TEST(SqliteCatalog, TruncatedCatalogIsAClearError) {
  TempDir dir;
  { ASSERT_NE(Open(dir / "catalog.db"), nullptr); }
  // Keep only the header page's first bytes: SQLite sees a damaged file.
  const std::string head = testing::ReadFile(dir / "catalog.db").substr(0, 100);
  {
    std::ofstream out(dir / "catalog.db", std::ios::binary | std::ios::trunc);
    out << head << std::string(5000, '\x5a');
  }
  EXPECT_FALSE(OpenStatus(dir / "catalog.db").ok());
}

TEST(SqliteCatalog, WriteRollsBackOnError) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  Status s = catalog->Write(Sync::kNormal, [](Transaction& tx) {
    BlobRows(tx).Insert("sha256:x", 1, 1);
    return Status::FailedPrecondition("changed my mind");
  });
  EXPECT_TRUE(s.IsFailedPrecondition());
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("SELECT count(*) FROM blobs").getInt(), 0);
}

// The catalog notes each COMMIT's end itself (for WriteTiming), in place of
// SQLite's autocheckpoint: the WAL must still be checkpointed as it grows.
TEST(SqliteCatalog, TheWalIsCheckpointedAsItGrows) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  constexpr int kCommits = 3000;  // each writes a page of blobs and one of its index, at least
  for (int i = 0; i < kCommits; ++i) {
    ASSERT_OK(catalog->Write(Sync::kNormal, [&](Transaction& tx) {
      BlobRows(tx).Insert(fmt::format("sha256:{:064x}", i), 1, 1);
      return Status::OK();
    }));
  }
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE);
  SQLite::Statement checkpoint(db, "PRAGMA wal_checkpoint(PASSIVE)");
  ASSERT_TRUE(checkpoint.executeStep());
  const int frames = checkpoint.getColumn(1).getInt();  // the WAL's length in frames
  EXPECT_LT(frames, kCommits) << "no checkpoint ran";
}

TEST(SqliteCatalog, WriteTimingCountsTheCommit) {
  TempDir dir;
  testing::TestEnv env;
  auto catalog = Open(dir / "catalog.db", {}, env);
  ASSERT_NE(catalog, nullptr);
  env.SetHook([&](std::string_view op, std::string_view path) {
    if (op == "catalog.write" && path.ends_with("-wal")) env.SleepForMicros(20000);
    return Status::OK();
  });
  WriteTiming timing;
  ASSERT_OK(catalog->Write(
      Sync::kNormal,
      [&](Transaction& tx) {
        BlobRows(tx).Insert("sha256:x", 1, 1);
        return Status::OK();
      },
      &timing));
  env.SetHook(nullptr);
  EXPECT_GE(timing.locked, std::chrono::milliseconds(20));
}

TEST(SqliteCatalog, ConstraintViolationIsAlreadyExists) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  Lease lease;
  lease.id = "twice";
  Status s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
    LeaseRows(tx).Insert(lease);
    LeaseRows(tx).Insert(lease);
    return Status::OK();
  });
  EXPECT_EQ(s.code(), Code::kAlreadyExists) << s.ToString();
}

TEST(SqliteCatalog, ANamedQueryIsOneStatement) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  Status s = catalog->Read([](Transaction& tx) {
    tx.PrepareText("SELECT 1; SELECT 2")->Step();
    return Status::OK();
  });
  EXPECT_EQ(s.code(), Code::kInternal) << s.ToString();
  EXPECT_NE(s.message().find("more than one statement"), std::string::npos);
}

TEST(SqliteCatalog, AMissingParameterOrColumnIsAnInternalError) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  EXPECT_CODE(catalog->Read([](Transaction& tx) {
    tx.Prepare(QueryId::blob_size)->Bind(":nope", int64_t{1});
    return Status::OK();
  }), kInternal);
  EXPECT_CODE(catalog->Read([](Transaction& tx) {
    auto q = tx.PrepareText("SELECT 1 AS one");
    q->Step();
    (void)q->Int64("two");
    return Status::OK();
  }), kInternal);
}

TEST(SqliteCatalog, HeldWriteLockBeyondTheTimeoutIsUnavailable) {
  TempDir dir;
  Options options;
  options.busy_timeout_ms = 100;
  auto catalog = Open(dir / "catalog.db", options);
  ASSERT_NE(catalog, nullptr);
  SQLite::Database other(dir / "catalog.db", SQLite::OPEN_READWRITE);
  other.exec("BEGIN IMMEDIATE");
  Status s = catalog->Write(Sync::kNormal, [](Transaction&) { return Status::OK(); });
  EXPECT_EQ(s.code(), Code::kUnavailable) << s.ToString();
  other.exec("ROLLBACK");
  EXPECT_OK(catalog->Write(Sync::kNormal, [](Transaction&) { return Status::OK(); }));
}

TEST(SqliteCatalog, RegexpIsRegisteredOnTheConnection) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  bool matched = false;
  ASSERT_OK(catalog->Read([&](Transaction& tx) {
    auto q = tx.PrepareText("SELECT 'layer-123' REGEXP '^layer-[0-9]+$' AS matched");
    q->Step();
    matched = q->Int64("matched") == 1;
    return Status::OK();
  }));
  EXPECT_TRUE(matched);
}

TEST(SqliteCatalog, ReadableViewsShowRfc3339Times) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  ASSERT_OK(catalog->Write(Sync::kNormal, [](Transaction& tx) {
    BlobRows blobs(tx);
    blobs.Insert("sha256:x", 1, 1795845000123456789);
    blobs.Touch("sha256:x", 1795845000000000001);
    blobs.SetLabels("sha256:x", {{"b", "2"}, {"a", "1"}});
    return Status::OK();
  }));
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Rows(db, "SELECT created, updated, labels FROM blobs_readable"),
            std::vector<std::string>{
                "2026-11-28T05:50:00.123456789Z|2026-11-28T05:50:00.000000001Z|a=1,b=2"});
}

TEST(SqliteCatalog, ReadOnlyOpenReadsAndRefusesWrites) {
  TempDir dir;
  {
    auto catalog = Open(dir / "catalog.db");
    ASSERT_NE(catalog, nullptr);
    ASSERT_OK(catalog->Write(Sync::kFull, [](Transaction& tx) {
      BlobRows(tx).Insert("sha256:x", 1, 1);
      return Status::OK();
    }));
  }
  Options options;
  options.read_only = true;
  auto catalog = Open(dir / "catalog.db", options);
  ASSERT_NE(catalog, nullptr);
  EXPECT_TRUE(catalog->read_only());
  bool exists = false;
  ASSERT_OK(catalog->Read([&](Transaction& tx) {
    exists = BlobRows(tx).Exists("sha256:x");
    return Status::OK();
  }));
  EXPECT_TRUE(exists);
  EXPECT_CODE(catalog->Write(Sync::kNormal, [](Transaction&) { return Status::OK(); }),
              kFailedPrecondition);
}

TEST(SqliteCatalog, ReadOnlyOpenOfAnOldCatalogSaysItNeedsMigrating) {
  TempDir dir;
  {
    SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE);
    db.exec(std::string(sqlite::kMigrations[0].text));
    db.exec("PRAGMA user_version = 1");
  }
  Options options;
  options.read_only = true;
  Status s = OpenStatus(dir / "catalog.db", options);
  EXPECT_EQ(s.code(), Code::kFailedPrecondition) << s.ToString();
  EXPECT_NE(s.message().find("needs migrating"), std::string::npos) << s.ToString();
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(db.execAndGet("PRAGMA user_version").getInt(), 1);
}

// With a non-default Env, SQLite's own I/O on the catalog is the Env's to fail.
TEST(SqliteCatalogEnv, AFailedWalWriteFailsTheTransactionAndLosesNothingCommitted) {
  TempDir dir;
  testing::TestEnv env;
  auto opened = OpenSqliteCatalog(dir / "catalog.db", Options{}, env);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  auto& catalog = *opened;
  auto insert = [&](const std::string& digest) {
    return catalog->Write(Sync::kFull, [&](Transaction& tx) {
      BlobRows(tx).Insert(digest, 1, 1);
      return Status::OK();
    });
  };
  ASSERT_OK(insert("sha256:before"));
  int writes = 0;
  env.SetHook([&](std::string_view op, std::string_view path) {
    if (op == "catalog.write" && path.ends_with("-wal")) {
      ++writes;
      return Status::IOError("injected");
    }
    return Status::OK();
  });
  EXPECT_CODE(insert("sha256:during"), kIOError);
  EXPECT_GT(writes, 0);
  env.SetHook(nullptr);
  ASSERT_OK(insert("sha256:after"));
  catalog.reset();
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  EXPECT_EQ(Rows(db, "SELECT digest FROM blobs ORDER BY digest"),
            (std::vector<std::string>{"sha256:after", "sha256:before"}));
}

TEST(SqliteCatalogEnv, TheViewsClockIsTheEnvs) {
  TempDir dir;
  testing::TestEnv env;
  auto catalog = OpenSqliteCatalog(dir / "catalog.db", Options{}, env);
  ASSERT_TRUE(catalog.ok()) << catalog.status().ToString();
  auto now = [&] {
    int64_t value = 0;
    EXPECT_OK((*catalog)->Read([&](Transaction& tx) {
      value = GcRows(tx).Now();
      return Status::OK();
    }));
    return value;
  };
  const int64_t before = now();
  env.Advance(std::chrono::hours(48));
  const int64_t after = now();
  EXPECT_GE(after - before, std::chrono::nanoseconds(std::chrono::hours(48)).count());
  EXPECT_LT(after - before, std::chrono::nanoseconds(std::chrono::hours(49)).count());
  // The last nanosecond of the Env's current millisecond.
  EXPECT_EQ(after % 1000000, 999999);
  EXPECT_LE(env.NowNanos() - after, int64_t{1000000000});
}

}  // namespace
}  // namespace contentstore::catalog

namespace contentstore::catalog {
namespace {

using testing::TempDir;

std::optional<int64_t> SizeOf(Catalog& catalog, const std::string& digest) {
  std::optional<int64_t> size;
  Status s = catalog.Read([&](Transaction& tx) {
    size = BlobRows(tx).Size(digest);
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  return size;
}

// Reads keep their snapshot between calls (no fcntl() then); a commit by any
// other connection, here a plain sqlite3 one that knows nothing of ours,
// must end it before the next Read.
TEST(SqliteCatalogSnapshot, ReadSeesEveryCommitOfAnotherConnectionAtOnce) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  SQLite::Database other(dir / "catalog.db", SQLite::OPEN_READWRITE);
  for (int i = 0; i < 300; ++i) {
    const std::string digest = fmt::format("sha256:{:064x}", i);
    EXPECT_EQ(SizeOf(*catalog, digest), std::nullopt);
    EXPECT_EQ(SizeOf(*catalog, digest), std::nullopt);  // from the held snapshot
    other.exec(fmt::format(
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('{}', {}, 1, 1)",
        digest, i));
    EXPECT_EQ(SizeOf(*catalog, digest), i) << "commit " << i << " not seen";
    other.exec(fmt::format("UPDATE blobs SET size = {} WHERE digest = '{}'", i + 1, digest));
    EXPECT_EQ(SizeOf(*catalog, digest), i + 1) << "update " << i << " not seen";
    if (i % 50 == 0) other.exec("PRAGMA wal_checkpoint(TRUNCATE)");  // a WAL restart
  }
}

TEST(SqliteCatalogSnapshot, OwnWritesAreSeenByTheNextRead) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  for (int i = 0; i < 50; ++i) {
    const std::string digest = fmt::format("sha256:{:064x}", i);
    EXPECT_EQ(SizeOf(*catalog, digest), std::nullopt);
    ASSERT_TRUE(catalog->Write(Sync::kNormal, [&](Transaction& tx) {
      BlobRows(tx).Insert(digest, i, 1);
      return Status::OK();
    }).ok());
    EXPECT_EQ(SizeOf(*catalog, digest), i);
  }
}

// An idle store must not pin the WAL: once reads stop, the held snapshot
// goes, and a checkpoint can reset the log.
TEST(SqliteCatalogSnapshot, IdleSnapshotIsReleasedSoTheWalCanBeReset) {
  TempDir dir;
  auto catalog = Open(dir / "catalog.db");
  ASSERT_NE(catalog, nullptr);
  SQLite::Database other(dir / "catalog.db", SQLite::OPEN_READWRITE);
  EXPECT_EQ(SizeOf(*catalog, "sha256:x"), std::nullopt);
  EXPECT_EQ(SizeOf(*catalog, "sha256:x"), std::nullopt);
  other.exec("INSERT INTO blobs (digest, size, created_at, updated_at) VALUES ('sha256:y', 1, 1, 1)");
  bool reset = false;
  for (int attempt = 0; attempt < 500 && !reset; ++attempt) {
    SQLite::Statement q(other, "PRAGMA wal_checkpoint(TRUNCATE)");
    ASSERT_TRUE(q.executeStep());
    reset = q.getColumn(0).getInt() == 0;  // busy = 0: every reader let go
    if (!reset) std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_TRUE(reset) << "the idle snapshot still pins the WAL after 5 s";
  EXPECT_EQ(SizeOf(*catalog, "sha256:y"), 1);
}

}  // namespace
}  // namespace contentstore::catalog
