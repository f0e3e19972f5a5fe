// The PostgreSQL engine itself (src/catalog/postgres_catalog.h) against a
// real server: every named query and script prepares and runs, the schema
// version is kept and a newer one refused, first opens race safely, writers
// on several connections serialize, a deadlock is retried, SQLSTATEs become
// the right Status, and a Read is one snapshot.

#include "catalog/postgres_catalog.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <libpq-fe.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <future>
#include <iterator>
#include <set>
#include <thread>

#include "catalog/blob_rows.h"
#include "catalog/filtered_query.h"
#include "catalog/lease_rows.h"
#include "catalog/postgres_sql.h"
#include "catalog/sqlite_catalog.h"
#include "pg_test_env.h"
#include "test_util.h"

namespace contentstore::catalog {
namespace {

using testing::TestSchema;

class PostgresCatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CONTENTSTORE_REQUIRE_POSTGRES();
    schema_ = std::make_unique<TestSchema>();
  }

  std::unique_ptr<Catalog> Open(Options options = {}) {
    auto c = OpenPostgresCatalog(schema_->url(), options, *Env::Default());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return c.ok() ? std::move(*c) : nullptr;
  }
  Status OpenStatus(Options options = {}) {
    return OpenPostgresCatalog(schema_->url(), options, *Env::Default()).status();
  }
  std::vector<std::string> Sql(const std::string& sql) {
    auto r = schema_->Exec(sql);
    EXPECT_TRUE(r.ok()) << sql << ": " << r.status().ToString();
    return r.ok() ? *r : std::vector<std::string>{};
  }

  std::unique_ptr<TestSchema> schema_;
};

std::string D(int n) { return fmt::format("sha256:{:064x}", n); }

TEST_F(PostgresCatalogTest, EveryNamedQueryAndScriptPreparesAgainstTheServer) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  // Prepared one by one, each in a transaction of its own, so a dialect typo
  // names its query.
  for (int i = 0; i < kQueryCount; ++i) {
    Status s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
      tx.Prepare(static_cast<QueryId>(i));
      return Status::OK();
    });
    EXPECT_TRUE(s.ok()) << "query #" << i << ": " << s.ToString() << "\n"
                        << postgres::kQueries[static_cast<size_t>(i)];
  }
  for (int i = 0; i < kScriptCount; ++i) {
    Status s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
      tx.RunScript(static_cast<ScriptId>(i));
      return Status::NotFound("roll back");
    });
    EXPECT_TRUE(s.IsNotFound()) << "script #" << i << ": " << s.ToString();
  }
}

// The public interface is the same in both engines: every table and view
// with the same columns, every trigger under the same name. What differs on
// purpose: PostgreSQL keeps its version in schema_version (SQLite in PRAGMA
// user_version), and SQLite's "procedure" views gc_graph_link, _unlink and
// _number with their INSTEAD OF triggers are functions in PostgreSQL.
TEST_F(PostgresCatalogTest, TablesViewsColumnsAndTriggersMatchSqlites) {
  testing::TempDir dir;
  ASSERT_TRUE(OpenSqliteCatalog(dir / "catalog.db", Options{}, *Env::Default()).ok());
  SQLite::Database db(dir / "catalog.db", SQLite::OPEN_READONLY);
  std::set<std::string> sqlite_columns;
  std::set<std::string> sqlite_triggers;
  {
    SQLite::Statement q(db,
                        "SELECT s.type, s.name, c.name FROM sqlite_schema AS s, "
                        "pragma_table_xinfo(s.name) AS c WHERE s.type IN ('table', 'view')");
    while (q.executeStep()) {
      const std::string name = q.getColumn(1).getString();
      if (name == "gc_graph_link" || name == "gc_graph_unlink" || name == "gc_graph_number") {
        continue;
      }
      sqlite_columns.insert(q.getColumn(0).getString() + " " + name + "." +
                            q.getColumn(2).getString());
    }
    SQLite::Statement t(db, "SELECT name FROM sqlite_schema WHERE type = 'trigger'");
    while (t.executeStep()) {
      const std::string name = t.getColumn(0).getString();
      if (name == "gc_graph_link_insert" || name == "gc_graph_unlink_insert" ||
          name == "gc_graph_number_insert") {
        continue;
      }
      sqlite_triggers.insert(name);
    }
  }
  ASSERT_NE(Open(), nullptr);
  std::set<std::string> pg_columns;
  for (const std::string& row :
       Sql("SELECT CASE t.table_type WHEN 'VIEW' THEN 'view' ELSE 'table' END || ' ' || "
           "c.table_name || '.' || c.column_name FROM information_schema.columns AS c "
           "JOIN information_schema.tables AS t USING (table_schema, table_name) "
           "WHERE c.table_schema = current_schema() AND c.table_name <> 'schema_version'")) {
    pg_columns.insert(row);
  }
  std::vector<std::string> pg_trigger_rows =
      Sql("SELECT DISTINCT trigger_name FROM information_schema.triggers "
          "WHERE trigger_schema = current_schema()");
  const std::set<std::string> pg_triggers(pg_trigger_rows.begin(), pg_trigger_rows.end());
  const auto only_in = [](const std::set<std::string>& a, const std::set<std::string>& b) {
    std::vector<std::string> out;
    std::set_difference(a.begin(), a.end(), b.begin(), b.end(), std::back_inserter(out));
    return out;
  };
  EXPECT_GT(sqlite_columns.size(), 80u);
  EXPECT_EQ(only_in(sqlite_columns, pg_columns), std::vector<std::string>{})
      << "missing in PostgreSQL";
  EXPECT_EQ(only_in(pg_columns, sqlite_columns), std::vector<std::string>{})
      << "only in PostgreSQL";
  EXPECT_GT(sqlite_triggers.size(), 15u);
  EXPECT_EQ(only_in(sqlite_triggers, pg_triggers), std::vector<std::string>{})
      << "missing in PostgreSQL";
  EXPECT_EQ(only_in(pg_triggers, sqlite_triggers), std::vector<std::string>{})
      << "only in PostgreSQL";
}

TEST_F(PostgresCatalogTest, FreshSchemaIsAtTheLatestVersion) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  auto v = catalog->SchemaVersion();
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(*v, LatestPostgresSchemaVersion());
  EXPECT_EQ(Sql("SELECT version FROM schema_version"),
            std::vector<std::string>{std::to_string(LatestPostgresSchemaVersion())});
  // Reopening changes nothing.
  ASSERT_NE(Open(), nullptr);
  EXPECT_EQ(Sql("SELECT count(*) FROM schema_version"), std::vector<std::string>{"1"});
  const std::string password = schema_->url().substr(0, schema_->url().find('@'));
  EXPECT_EQ(catalog->path().find(password.substr(password.rfind(':') + 1)), std::string::npos)
      << catalog->path();
  EXPECT_NE(catalog->path().find(":***@"), std::string::npos) << catalog->path();
}

TEST_F(PostgresCatalogTest, NewerSchemaIsRefusedAndLeftAlone) {
  ASSERT_NE(Open(), nullptr);
  Sql("UPDATE schema_version SET version = 99");
  Status s = OpenStatus();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("schema version 99"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("newer contentstore"), std::string::npos) << s.ToString();
  EXPECT_EQ(Sql("SELECT version FROM schema_version"), std::vector<std::string>{"99"});
}

TEST_F(PostgresCatalogTest, ForeignSchemaIsRefused) {
  Sql("CREATE TABLE someone_elses (x int)");
  Status s = OpenStatus();
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("not a contentstore catalog"), std::string::npos) << s.ToString();
  EXPECT_EQ(Sql("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()"),
            std::vector<std::string>{"1"});
}

TEST_F(PostgresCatalogTest, MissingCatalogIsNotFoundWithoutCreateAndReadOnlyRefusesWrites) {
  Options no_create;
  no_create.create_if_missing = false;
  EXPECT_TRUE(OpenStatus(no_create).IsNotFound());
  Options read_only;
  read_only.read_only = true;
  EXPECT_TRUE(OpenStatus(read_only).IsNotFound());
  ASSERT_NE(Open(), nullptr);
  auto reader = Open(read_only);
  ASSERT_NE(reader, nullptr);
  EXPECT_TRUE(reader->read_only());
  Status s = reader->Write(Sync::kNormal, [](Transaction&) { return Status::OK(); });
  EXPECT_TRUE(s.IsFailedPrecondition()) << s.ToString();
  s = reader->Read([](Transaction& tx) {
    EXPECT_EQ(BlobRows(tx).TotalSize(), 0);
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
}

// Separate processes open the same new schema at once: exactly one
// migrates, the others wait for its lock and find the schema current.
TEST_F(PostgresCatalogTest, ConcurrentFirstOpensFromSeveralProcessesMigrateOnce) {
  constexpr int kProcesses = 4;
  std::vector<pid_t> children;
  for (int i = 0; i < kProcesses; ++i) {
    const pid_t pid = testing::ForkAlone();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      auto c = OpenPostgresCatalog(schema_->url(), Options{}, *Env::Default());
      if (!c.ok()) fmt::print(stderr, "child: {}\n", c.status().ToString());
      ::_exit(c.ok() ? 0 : 1);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a child failed to open";
  }
  EXPECT_EQ(Sql("SELECT version FROM schema_version"),
            std::vector<std::string>{std::to_string(LatestPostgresSchemaVersion())});
  EXPECT_EQ(Sql("SELECT generation FROM image_index"), std::vector<std::string>{"1"})
      << "the migration ran once";
}

// Writers on several connections each read a counter and write it back
// plus one: with the catalog's write lock no increment is lost.
TEST_F(PostgresCatalogTest, WritersOnSeveralConnectionsSerialize) {
  ASSERT_NE(Open(), nullptr);
  constexpr int kWriters = 4;
  constexpr int kEach = 25;
  {
    auto c = Open();
    ASSERT_NE(c, nullptr);
    ASSERT_TRUE(c->Write(Sync::kNormal, [](Transaction& tx) {
                   BlobRows(tx).Insert(D(0), 0, 1);
                   return Status::OK();
                 }).ok());
  }
  std::vector<std::thread> threads;
  std::atomic<int> failures{0};
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      auto c = OpenPostgresCatalog(schema_->url(), Options{}, *Env::Default());
      if (!c.ok()) {
        ++failures;
        return;
      }
      for (int i = 0; i < kEach; ++i) {
        Status s = (*c)->Write(Sync::kFull, [&](Transaction& tx) {
          BlobRows blobs(tx);
          const int64_t n = *blobs.Size(D(0));
          blobs.Insert(D(1 + w * kEach + i), n, 2);
          // The counter is blob 0's size (read-modify-write).
          auto q = tx.PrepareText("UPDATE blobs SET size = :size WHERE digest = :digest");
          q->Bind(":size", n + 1);
          q->Bind(":digest", D(0));
          q->Run();
          return Status::OK();
        });
        if (!s.ok()) ++failures;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(Sql(fmt::format("SELECT size FROM blobs WHERE digest = '{}'", D(0))),
            std::vector<std::string>{std::to_string(kWriters * kEach)});
  EXPECT_EQ(Sql("SELECT count(*) FROM blobs"),
            std::vector<std::string>{std::to_string(kWriters * kEach + 1)});
  EXPECT_EQ(Sql("SELECT count(DISTINCT gc_id) FROM blobs"),
            std::vector<std::string>{std::to_string(kWriters * kEach + 1)});
}

// Another session (outside the library) locks the same two rows the other
// way round: the server breaks the deadlock by failing the catalog's
// transaction (it waited first), which the catalog runs again.
TEST_F(PostgresCatalogTest, DeadlockIsRetriedAndTheBodyRunsAgain) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog
                  ->Write(Sync::kNormal,
                          [](Transaction& tx) {
                            BlobRows(tx).Insert(D(1), 1, 1);
                            BlobRows(tx).Insert(D(2), 2, 1);
                            return Status::OK();
                          })
                  .ok());
  PGconn* other = PQconnectdb(schema_->url().c_str());
  ASSERT_EQ(PQstatus(other), CONNECTION_OK) << PQerrorMessage(other);
  const auto exec = [&](const std::string& sql) {
    PGresult* r = PQexec(other, sql.c_str());
    const bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
    PQclear(r);
    return ok;
  };
  ASSERT_TRUE(exec("BEGIN"));
  ASSERT_TRUE(exec(fmt::format("UPDATE blobs SET size = 20 WHERE digest = '{}'", D(2))));

  std::atomic<int> runs{0};
  std::promise<void> holds_first;
  auto first = holds_first.get_future();
  auto writer = std::async(std::launch::async, [&] {
    return catalog->Write(Sync::kNormal, [&](Transaction& tx) {
      const int run = ++runs;
      {
        auto q = tx.PrepareText("UPDATE blobs SET size = size + 100 WHERE digest = :digest");
        q->Bind(":digest", D(1));
        q->Run();
      }
      if (run == 1) holds_first.set_value();
      auto r = tx.PrepareText("UPDATE blobs SET size = size + 100 WHERE digest = :digest");
      r->Bind(":digest", D(2));
      r->Run();  // waits for `other`, which then waits for us
      return Status::OK();
    });
  });
  first.wait();
  // The catalog's session starts waiting well before this one, so its
  // deadlock check (deadlock_timeout after its wait began, 1 s) runs first
  // and fails the catalog's transaction; this one then gets the row.
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_TRUE(exec(fmt::format("UPDATE blobs SET size = 10 WHERE digest = '{}'", D(1))));
  EXPECT_TRUE(exec("COMMIT"));
  PQfinish(other);
  Status s = writer.get();
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(runs.load(), 2);
  EXPECT_EQ(Sql(fmt::format("SELECT size FROM blobs WHERE digest IN ('{}', '{}') ORDER BY digest",
                            D(1), D(2))),
            (std::vector<std::string>{"110", "120"}));
}

TEST_F(PostgresCatalogTest, ASerializationFailureEveryTimeGivesUpUnavailable) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  int runs = 0;
  Status s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
    ++runs;
    // RAISE with SQLSTATE 40001, as a serializable conflict would.
    tx.PrepareText("DO $$ BEGIN RAISE EXCEPTION 'conflict' USING ERRCODE = '40001'; END $$")->Run();
    return Status::OK();
  });
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_EQ(runs, kPostgresMaxAttempts);
  EXPECT_NE(s.message().find("40001"), std::string::npos) << s.ToString();
}

TEST_F(PostgresCatalogTest, AWriterWaitingPastTheBusyTimeoutIsUnavailable) {
  ASSERT_NE(Open(), nullptr);
  auto holder = Open();
  Options impatient;
  impatient.busy_timeout_ms = 200;
  auto waiter = Open(impatient);
  ASSERT_NE(holder, nullptr);
  ASSERT_NE(waiter, nullptr);
  std::promise<void> holding;
  std::promise<void> release;
  auto release_future = release.get_future();
  auto held = std::async(std::launch::async, [&] {
    return holder->Write(Sync::kNormal, [&](Transaction&) {
      holding.set_value();
      release_future.wait();
      return Status::OK();
    });
  });
  holding.get_future().wait();
  const auto start = std::chrono::steady_clock::now();
  Status s = waiter->Write(Sync::kNormal, [](Transaction&) { return Status::OK(); });
  const auto waited = std::chrono::steady_clock::now() - start;
  release.set_value();
  EXPECT_TRUE(held.get().ok());
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_NE(s.message().find("55P03"), std::string::npos) << s.ToString();
  EXPECT_GE(waited, std::chrono::milliseconds(150));
  // Reads never wait for the writer.
  EXPECT_TRUE(waiter
                  ->Read([](Transaction& tx) {
                    BlobRows(tx).TotalSize();
                    return Status::OK();
                  })
                  .ok());
  EXPECT_TRUE(waiter->Write(Sync::kNormal, [](Transaction&) { return Status::OK(); }).ok())
      << "free again";
}

TEST_F(PostgresCatalogTest, SqlstatesBecomeStatusCodes) {
  const auto code = [](std::string_view state) {
    return TranslatePostgresError(state, "msg", "catalog", 10).code();
  };
  EXPECT_EQ(code("23505"), Code::kAlreadyExists);
  EXPECT_EQ(code("23503"), Code::kInternal);  // foreign key
  EXPECT_EQ(code("23514"), Code::kInternal);  // check
  EXPECT_EQ(code("40001"), Code::kUnavailable);
  EXPECT_EQ(code("40P01"), Code::kUnavailable);
  EXPECT_EQ(code("55P03"), Code::kUnavailable);
  EXPECT_EQ(code("57014"), Code::kUnavailable);
  EXPECT_EQ(code("08006"), Code::kUnavailable);
  EXPECT_EQ(code("57P01"), Code::kUnavailable);
  EXPECT_EQ(code("53300"), Code::kUnavailable);
  EXPECT_EQ(code("53100"), Code::kIOError);
  EXPECT_EQ(code("2201B"), Code::kInvalidArgument);
  EXPECT_EQ(code("25006"), Code::kFailedPrecondition);
  EXPECT_EQ(code("42P01"), Code::kIOError);
  EXPECT_NE(TranslatePostgresError("53100", "x", "c", 1).message().find("No space"),
            std::string::npos);

  // And from the server itself.
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  Lease lease;
  lease.id = "l";
  ASSERT_TRUE(catalog
                  ->Write(Sync::kNormal,
                          [&](Transaction& tx) {
                            LeaseRows(tx).Insert(lease);
                            return Status::OK();
                          })
                  .ok());
  Status s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
    LeaseRows(tx).Insert(lease);
    return Status::OK();
  });
  EXPECT_TRUE(s.IsAlreadyExists()) << s.ToString();
  s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
    BlobRows(tx).Insert(D(1), -5, 1);  // CHECK (size >= 0)
    return Status::OK();
  });
  EXPECT_TRUE(s.IsInternal()) << s.ToString();
  s = catalog->Write(Sync::kNormal, [&](Transaction& tx) {
    BlobRows(tx).SetLabel(D(9), "k", "v");  // no such blob: foreign key
    return Status::OK();
  });
  EXPECT_TRUE(s.IsInternal()) << s.ToString();
  // A filter's regular expression PostgreSQL refuses (PCRE2 accepts it),
  // once there is a value to run it on.
  ASSERT_TRUE(catalog
                  ->Write(Sync::kNormal,
                          [&](Transaction& tx) {
                            BlobRows(tx).Insert(D(5), 1, 1);
                            BlobRows(tx).SetLabel(D(5), "k", "x");
                            return Status::OK();
                          })
                  .ok());
  s = catalog->Read([&](Transaction& tx) {
    auto f = FilteredQuery::Parse({"labels.k~=(?<name>x)"}, BlobRows::FilterFields());
    if (!f.ok()) return f.status();
    return BlobRows(tx).WalkPage(*f, "", 10).status();
  });
  EXPECT_TRUE(s.IsInvalidArgument()) << s.ToString();
  s = catalog->Read([&](Transaction& tx) {
    tx.PrepareText("SELECT * FROM no_such_table")->Run();
    return Status::OK();
  });
  EXPECT_TRUE(s.IsIOError()) << s.ToString();
  EXPECT_NE(s.message().find("42P01"), std::string::npos);
  // A Read is read-only.
  s = catalog->Read([&](Transaction& tx) {
    BlobRows(tx).Insert(D(1), 1, 1);
    return Status::OK();
  });
  EXPECT_TRUE(s.IsFailedPrecondition()) << s.ToString();
}

TEST_F(PostgresCatalogTest, UnreachableServerIsUnavailableWithoutThePassword) {
  Status s = OpenPostgresCatalog("postgresql://u:secret@127.0.0.1:1/db?connect_timeout=2",
                                 Options{}, *Env::Default())
                 .status();
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  EXPECT_EQ(s.message().find("secret"), std::string::npos) << s.ToString();
  EXPECT_TRUE(
      OpenPostgresCatalog("mysql://x", Options{}, *Env::Default()).status().IsInvalidArgument());
  EXPECT_EQ(RedactPostgresUrl("postgresql://u:pw@h:5/db?password=x&a=b"),
            "postgresql://u:***@h:5/db?password=***&a=b");
  EXPECT_EQ(RedactPostgresUrl("postgresql://h/db"), "postgresql://h/db");
}

// Name locks of one catalog share one session: another catalog (another
// session, as another process or node would have) is refused the name until
// the lock is released.
TEST_F(PostgresCatalogTest, NameLocksShareOneSessionAndExcludeOthers) {
  auto a = Open();
  auto b = Open();
  ASSERT_NE(a, nullptr);
  ASSERT_NE(b, nullptr);
  auto held = a->TryLockName("ref x");
  ASSERT_OK(held);
  ASSERT_NE(*held, nullptr);
  EXPECT_TRUE(b->TryLockName("ref x").status().IsUnavailable());
  auto other = b->TryLockName("ref y");
  ASSERT_OK(other);
  std::vector<std::unique_ptr<NameLock>> many;
  for (int i = 0; i < 50; ++i) {
    auto l = a->TryLockName("ref many " + std::to_string(i));
    ASSERT_OK(l);
    many.push_back(std::move(*l));
  }
  held->reset();
  auto taken = b->TryLockName("ref x");
  ASSERT_OK(taken) << "released when the lock object goes";
  EXPECT_TRUE(a->TryLockName("ref y").status().IsUnavailable());
}

TEST_F(PostgresCatalogTest, AReadIsOneSnapshot) {
  auto reader = Open();
  auto writer = Open();
  ASSERT_NE(reader, nullptr);
  ASSERT_NE(writer, nullptr);
  Status s = reader->Read([&](Transaction& tx) {
    EXPECT_EQ(BlobRows(tx).TotalSize(), 0);
    // Another connection commits in the middle of the read.
    EXPECT_TRUE(writer
                    ->Write(Sync::kFull,
                            [](Transaction& wtx) {
                              BlobRows(wtx).Insert(D(1), 5, 1);
                              return Status::OK();
                            })
                    .ok());
    EXPECT_EQ(BlobRows(tx).TotalSize(), 0);
    EXPECT_FALSE(BlobRows(tx).Exists(D(1)));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = reader->Read([&](Transaction& tx) {
    EXPECT_EQ(BlobRows(tx).TotalSize(), 5) << "the next read sees the commit";
    return Status::OK();
  });
  EXPECT_TRUE(s.ok());
}

TEST_F(PostgresCatalogTest, ParametersAreTranslatedOutsideQuotesCommentsAndCasts) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  Status s = catalog->Read([&](Transaction& tx) {
    auto q = tx.PrepareText(
        "SELECT CAST(:a AS text) || ':b' || \":c\".x AS t, 7::bigint + :n AS n, ?3 AS p "
        "FROM (SELECT '?' AS x) AS \":c\" -- :d\n /* :e */");
    q->Bind(":a", "A");
    q->Bind(":n", int64_t{1});
    q->BindIndex(3, "P");
    EXPECT_TRUE(q->Step());
    EXPECT_EQ(q->Text("t"), "A:b?");
    EXPECT_EQ(q->Int64("n"), 8);
    EXPECT_EQ(q->Text("p"), "P");
    EXPECT_FALSE(q->Step());
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  // A numbered parameter that collides with a named one is a bug.
  s = catalog->Read([&](Transaction& tx) {
    tx.PrepareText("SELECT :a AS x, ?1 AS y");
    return Status::OK();
  });
  EXPECT_TRUE(s.IsInternal()) << s.ToString();
}

TEST_F(PostgresCatalogTest, ReadableViewsShowRfc3339Times) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  ASSERT_TRUE(catalog
                  ->Write(Sync::kNormal,
                          [](Transaction& tx) {
                            BlobRows(tx).Insert(D(1), 5, int64_t{1700000000} * 1000000000 + 42);
                            BlobRows(tx).SetLabel(D(1), "b", "2");
                            BlobRows(tx).SetLabel(D(1), "a", "1");
                            return Status::OK();
                          })
                  .ok());
  EXPECT_EQ(Sql("SELECT created || ' ' || labels FROM blobs_readable"),
            std::vector<std::string>{"2023-11-14T22:13:20.000000042Z a=1,b=2"});
  EXPECT_EQ(Sql("SELECT count(*) FROM ingests_readable"), std::vector<std::string>{"0"});
  EXPECT_EQ(Sql("SELECT count(*) FROM images_readable"), std::vector<std::string>{"0"});
  EXPECT_EQ(Sql("SELECT count(*) FROM gc_reachable"), std::vector<std::string>{"0"});
  EXPECT_EQ(Sql("SELECT count(*) FROM gc_unreachable"), std::vector<std::string>{"1"});
}

TEST_F(PostgresCatalogTest, ALostConnectionIsUnavailableThenReconnects) {
  auto catalog = Open();
  ASSERT_NE(catalog, nullptr);
  Status s = catalog->Write(Sync::kNormal, [](Transaction& tx) {
    // The server ends this very session.
    tx.PrepareText("SELECT pg_terminate_backend(pg_backend_pid())")->Run();
    return Status::OK();
  });
  EXPECT_TRUE(s.IsUnavailable()) << s.ToString();
  s = catalog->Write(Sync::kNormal, [](Transaction& tx) {
    BlobRows(tx).Insert(D(3), 1, 1);
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = catalog->Read([](Transaction& tx) {
    tx.RunScript(ScriptId::gc_scratch_clear);  // the temporary tables are back
    EXPECT_TRUE(BlobRows(tx).Exists(D(3)));
    return Status::OK();
  });
  EXPECT_TRUE(s.ok()) << s.ToString();
}

}  // namespace
}  // namespace contentstore::catalog
