#include "filter/filter_sql.h"

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <cstdint>
#include <limits>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "filter/filter.h"
#include "filter/regexp.h"

namespace contentstore::filter {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::IsEmpty;
using ::testing::Not;
using ::testing::StartsWith;
using Names = std::vector<std::string>;

const FieldSchema& BlobSchema() {
  static const FieldSchema schema{
      .what = "blob",
      .columns = {{"digest", "b.digest", false, false},
                  {"size", "b.size", true, false},
                  {"created_at", "b.created_at", true, false},
                  {"updated_at", "b.updated_at", true, false}},
      .labels_table = "blob_labels",
      .labels_owner_column = "digest",
      .owner_sql = "b.digest",
  };
  return schema;
}

const FieldSchema& IngestSchema() {
  static const FieldSchema schema{
      .what = "ingest",
      .columns = {{"ref", "i.ref", false, false},
                  {"expected", "i.expected", false, true},
                  {"expires_at", "i.expires_at", true, true}},
  };
  return schema;
}

struct Blob {
  std::string digest;
  int64_t size;
  std::map<std::string, std::string> labels;
};

// A label value that would end the string literal if it were spliced into
// SQL text.
const std::string kInjection = "x' OR 1=1 --";

const std::vector<Blob>& Blobs() {
  static const std::vector<Blob> blobs = {
      {"sha256:aaa", 10, {{"containerd.io/gc.root", "2024-01-01"}, {"a", "1"}, {"bench/sel", "1"}}},
      {"sha256:bbb", 20, {{"a", "2"}, {"b", "x"}}},
      {"sha256:ccc", 30, {}},
      {"sha256:ddd",
       40,
       {{"containerd.io/gc.ref.content.l.0", "sha256:aaa"}, {"a", "1"}, {"b", kInjection}}},
      {"sha256:eee", 0, {{"a.b", "dot"}, {"q", "say \"hi\""}, {"bench/sel", "2"}}},
  };
  return blobs;
}

const Names kAllBlobs = {"sha256:aaa", "sha256:bbb", "sha256:ccc", "sha256:ddd", "sha256:eee"};
const Names kAllIngests = {"config", "layer-1", "layer-2", "manifest"};

class FilterSqlTest : public ::testing::Test {
 protected:
  FilterSqlTest() : db_(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {}

  void SetUp() override {
    Status s = RegisterRegexpFunction(db_.getHandle());
    ASSERT_TRUE(s.ok()) << s.ToString();
    db_.exec(R"sql(
      CREATE TABLE blobs(digest TEXT PRIMARY KEY, size INTEGER NOT NULL,
                         created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL);
      CREATE TABLE blob_labels(digest TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                               PRIMARY KEY(digest, key));
      CREATE INDEX blob_labels_key_value ON blob_labels(key, value);
      CREATE TABLE ingests(ref TEXT PRIMARY KEY, expected TEXT NULL, expires_at INTEGER NULL);
      INSERT INTO ingests VALUES ('layer-1', 'sha256:aaa', NULL), ('layer-2', NULL, 100),
                                 ('config', '', 200), ('manifest', 'sha256:bbb', NULL);
    )sql");
    SQLite::Statement blob(
        db_,
        "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES (?1, ?2, 1000, 2000)");
    SQLite::Statement label(db_, "INSERT INTO blob_labels VALUES (?1, ?2, ?3)");
    for (const Blob& b : Blobs()) {
      blob.bind(1, b.digest);
      blob.bind(2, b.size);
      blob.exec();
      blob.reset();
      for (const auto& [k, v] : b.labels) {
        label.bind(1, b.digest);
        label.bind(2, k);
        label.bind(3, v);
        label.exec();
        label.reset();
      }
    }
  }

  static void Bind(SQLite::Statement* q, int first_param, const std::vector<SqlValue>& params) {
    for (size_t i = 0; i < params.size(); ++i) {
      const int index = first_param + static_cast<int>(i);
      if (const auto* n = std::get_if<int64_t>(&params[i])) {
        q->bind(index, *n);
      } else {
        q->bind(index, std::get<std::string>(params[i]));
      }
    }
  }

  // Parses and compiles `filters`, runs `select` with the condition in place
  // of {} and returns the first column of each row. With first_param > 1 the
  // caller's own parameters ?1 .. are bound from `own` first.
  Result<Names> Run(const std::vector<std::string>& filters, const FieldSchema& schema,
                    const std::string& select, int first_param,
                    const std::vector<int64_t>& own = {}) {
    Result<Filter> f = ParseAll(filters);
    if (!f.ok()) return f.status();
    Result<SqlCondition> c = Compile(*f, schema, first_param);
    if (!c.ok()) return c.status();
    for (const SqlValue& p : c->params) {
      // Values travel as parameters, never as SQL text.
      if (const auto* s = std::get_if<std::string>(&p); s != nullptr && s->size() > 2) {
        EXPECT_THAT(c->sql, Not(HasSubstr(*s)));
      }
    }
    Names got;
    try {
      SQLite::Statement q(db_, fmt::format(fmt::runtime(select), c->sql));
      for (size_t i = 0; i < own.size(); ++i) q.bind(static_cast<int>(i) + 1, own[i]);
      Bind(&q, first_param, c->params);
      while (q.executeStep()) got.push_back(q.getColumn(0).getString());
    } catch (const SQLite::Exception& e) {
      return Status::Internal(std::string(e.what()) + " in: " + c->sql);
    }
    return got;
  }

  // The digests of the blobs matching `filters`, checked to be the same with
  // the condition's parameters first (?1) and after two of the caller's own
  // (?3, with ?1 and ?2 bounding the size so as to exclude nothing).
  Result<Names> BlobsMatching(const std::vector<std::string>& filters) {
    Result<Names> plain =
        Run(filters, BlobSchema(), "SELECT digest FROM blobs b WHERE {} ORDER BY digest", 1);
    Result<Names> offset =
        Run(filters, BlobSchema(),
            "SELECT digest FROM blobs b WHERE b.size >= ?1 AND b.size <= ?2 AND {} ORDER BY digest",
            3, {0, std::numeric_limits<int64_t>::max()});
    EXPECT_EQ(plain.ok(), offset.ok());
    if (plain.ok() && offset.ok()) {
      EXPECT_EQ(*plain, *offset);
    }
    return plain;
  }

  Names Matching(const std::vector<std::string>& filters) {
    Result<Names> r = BlobsMatching(filters);
    EXPECT_TRUE(r.ok()) << (filters.empty() ? "" : filters[0]) << ": " << r.status().ToString();
    return r.ok() ? *r : Names{"<error>"};
  }
  Names Matching(const std::string& filter) { return Matching(std::vector<std::string>{filter}); }

  Names IngestsMatching(const std::string& filter) {
    Result<Names> r =
        Run({filter}, IngestSchema(), "SELECT ref FROM ingests i WHERE {} ORDER BY ref", 1);
    EXPECT_TRUE(r.ok()) << filter << ": " << r.status().ToString();
    return r.ok() ? *r : Names{"<error>"};
  }

  // The message of the InvalidArgument that compiling `filter` must give.
  std::string CompileError(const std::string& filter, const FieldSchema& schema = BlobSchema()) {
    Result<Filter> f = ParseAll({filter});
    EXPECT_TRUE(f.ok()) << filter << ": " << f.status().ToString();
    if (!f.ok()) return "";
    Result<SqlCondition> c = Compile(*f, schema, 1);
    EXPECT_FALSE(c.ok()) << filter << " compiled to " << c->sql;
    if (c.ok()) return "";
    EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
    return c.status().message();
  }

  SQLite::Database db_;
};

TEST_F(FilterSqlTest, ColumnEquality) {
  EXPECT_EQ(Matching("digest==sha256:aaa"), Names{"sha256:aaa"});
  EXPECT_EQ(Matching("digest==sha256:zzz"), Names{});
  EXPECT_EQ(Matching("digest!=sha256:aaa"),
            (Names{"sha256:bbb", "sha256:ccc", "sha256:ddd", "sha256:eee"}));
  EXPECT_EQ(Matching("digest"), kAllBlobs);
}

TEST_F(FilterSqlTest, ColumnRegex) {
  EXPECT_EQ(Matching("digest~=c+$"), Names{"sha256:ccc"});
  EXPECT_EQ(Matching("digest~=^sha256:"), kAllBlobs);
  EXPECT_EQ(Matching("digest~=/^sha256:(a|e)/"), (Names{"sha256:aaa", "sha256:eee"}));
}

TEST_F(FilterSqlTest, IntegerColumns) {
  EXPECT_EQ(Matching("size==20"), Names{"sha256:bbb"});
  EXPECT_EQ(Matching("size==0"), Names{"sha256:eee"});
  EXPECT_EQ(Matching("size==-5"), Names{});
  EXPECT_EQ(Matching("size==020"), Names{"sha256:bbb"});
  EXPECT_EQ(Matching("size!=20"), (Names{"sha256:aaa", "sha256:ccc", "sha256:ddd", "sha256:eee"}));
  EXPECT_EQ(Matching("size"), kAllBlobs);
  // ~= matches the decimal text.
  EXPECT_EQ(Matching("size~=^[12]0$"), (Names{"sha256:aaa", "sha256:bbb"}));
  EXPECT_EQ(Matching("created_at==1000,updated_at==2000"), kAllBlobs);
}

TEST_F(FilterSqlTest, IntegerColumnsRejectOtherValues) {
  for (const char* bad : {"size==abc", "size==1.5", R"(size=="")", R"(size==" 1")", "size==+1",
                          "size!=1k", "size==99999999999999999999"}) {
    const std::string msg = CompileError(bad);
    EXPECT_THAT(msg, HasSubstr("size")) << bad;
    EXPECT_THAT(msg, HasSubstr("integer")) << bad;
  }
  EXPECT_THAT(CompileError("size==abc"), HasSubstr("filter size==abc:"));
}

TEST_F(FilterSqlTest, LabelEquality) {
  EXPECT_EQ(Matching("labels.a==1"), (Names{"sha256:aaa", "sha256:ddd"}));
  EXPECT_EQ(Matching("labels.a==2"), Names{"sha256:bbb"});
  // No label is stored with an empty value.
  EXPECT_EQ(Matching(R"(labels.a=="")"), Names{});
}

TEST_F(FilterSqlTest, LabelInequalityMatchesAbsentLabels) {
  EXPECT_EQ(Matching("labels.a!=1"), (Names{"sha256:bbb", "sha256:ccc", "sha256:eee"}));
  EXPECT_EQ(Matching("labels.missing!=x"), kAllBlobs);
  // Absent is "", so != "" is presence.
  EXPECT_EQ(Matching(R"(labels.a!="")"), (Names{"sha256:aaa", "sha256:bbb", "sha256:ddd"}));
}

TEST_F(FilterSqlTest, LabelPresence) {
  EXPECT_EQ(Matching("labels.a"), (Names{"sha256:aaa", "sha256:bbb", "sha256:ddd"}));
  EXPECT_EQ(Matching("labels.missing"), Names{});
}

TEST_F(FilterSqlTest, LabelRegexTreatsAbsentAsEmpty) {
  EXPECT_EQ(Matching("labels.a~=^2$"), Names{"sha256:bbb"});
  EXPECT_EQ(Matching(R"(labels.a~=".")"), (Names{"sha256:aaa", "sha256:bbb", "sha256:ddd"}));
  // Regexes that match "" also match the blobs without the label.
  EXPECT_EQ(Matching("labels.a~=^$"), (Names{"sha256:ccc", "sha256:eee"}));
  EXPECT_EQ(Matching("labels.missing~=^$"), kAllBlobs);
  EXPECT_EQ(Matching("labels.a~=^1?$"),
            (Names{"sha256:aaa", "sha256:ccc", "sha256:ddd", "sha256:eee"}));
  EXPECT_EQ(Matching(R"(labels.a~="")"), kAllBlobs);  // the empty regex matches everything
}

TEST_F(FilterSqlTest, SeveralStringsAreOr) {
  EXPECT_EQ(Matching(Names{"labels.a==2", "labels.b"}), (Names{"sha256:bbb", "sha256:ddd"}));
  EXPECT_EQ(Matching(Names{"digest==sha256:ccc", "size==0", "labels.missing"}),
            (Names{"sha256:ccc", "sha256:eee"}));
  EXPECT_EQ(Matching(Names{"labels.a==2", ""}), kAllBlobs);
  EXPECT_EQ(Matching(Names{}), kAllBlobs);
}

TEST_F(FilterSqlTest, CommasAreAnd) {
  EXPECT_EQ(Matching("labels.a==1,labels.b"), Names{"sha256:ddd"});
  EXPECT_EQ(Matching("labels.a==1,size==10"), Names{"sha256:aaa"});
  EXPECT_EQ(Matching("labels.a,labels.a!=1"), Names{"sha256:bbb"});
  EXPECT_EQ(Matching("labels.a,labels.missing"), Names{});
  // AND inside OR.
  EXPECT_EQ(Matching(Names{"labels.a==1,size==40", "labels.a==2,size==20"}),
            (Names{"sha256:bbb", "sha256:ddd"}));
}

TEST_F(FilterSqlTest, QuotedKeysWithDotsAndSlashes) {
  EXPECT_EQ(Matching(R"(labels."containerd.io/gc.root")"), Names{"sha256:aaa"});
  EXPECT_EQ(Matching(R"(labels."containerd.io/gc.ref.content.l.0"==sha256:aaa)"),
            Names{"sha256:ddd"});
  EXPECT_EQ(Matching(R"(labels."bench/sel"==1)"), Names{"sha256:aaa"});
  // The rest of the fieldpath is the key, joined with dots.
  EXPECT_EQ(Matching("labels.a.b==dot"), Names{"sha256:eee"});
  EXPECT_EQ(Matching(R"(labels."a.b"==dot)"), Names{"sha256:eee"});
  EXPECT_EQ(Matching(R"(labels."a".b)"), Names{"sha256:eee"});
}

TEST_F(FilterSqlTest, ValuesWithQuotesAreData) {
  EXPECT_EQ(Matching(R"(labels.q=="say \"hi\"")"), Names{"sha256:eee"});
  EXPECT_EQ(Matching(R"(labels.b=="x' OR 1=1 --")"), Names{"sha256:ddd"});
  EXPECT_EQ(Matching(R"(labels.b!="x' OR 1=1 --")"),
            (Names{"sha256:aaa", "sha256:bbb", "sha256:ccc", "sha256:eee"}));
  EXPECT_EQ(Matching(R"(labels.b~="' OR")"), Names{"sha256:ddd"});
  // Nothing has these, so a value that escaped into the SQL would show.
  EXPECT_EQ(Matching(R"(digest=="x' OR 1=1 --")"), Names{});
  EXPECT_EQ(Matching(R"(labels."x' OR 1=1 --")"), Names{});
  EXPECT_EQ(Matching(R"(labels.a=="1' OR '1'='1")"), Names{});
  EXPECT_EQ(Matching(R"(digest=="'); DROP TABLE blobs; --")"), Names{});
  EXPECT_EQ(Matching("digest"), kAllBlobs);
}

TEST_F(FilterSqlTest, UnknownFieldsAreErrors) {
  const std::string msg = CompileError("lables.x==1");
  EXPECT_THAT(msg, HasSubstr("lables.x"));
  EXPECT_THAT(msg, HasSubstr("unknown blob field"));
  EXPECT_THAT(msg, HasSubstr("digest, size, created_at, updated_at, labels.<key>"));
  EXPECT_THAT(CompileError("name==x"), HasSubstr(R"("name")"));
  // A known field with a path below it is not known.
  EXPECT_THAT(CompileError("digest.x"), HasSubstr(R"("digest.x")"));
  // An unknown field fails the filter even when another string would match,
  // or matches everything.
  for (const Names& filters : {Names{"digest", "nope"}, Names{"nope", ""}, Names{"", "size==x"}}) {
    Result<Names> r = BlobsMatching(filters);
    ASSERT_FALSE(r.ok()) << filters[0] << " | " << filters[1];
    EXPECT_TRUE(r.status().IsInvalidArgument());
  }
}

TEST_F(FilterSqlTest, LabelsNeedsAKey) {
  EXPECT_THAT(CompileError("labels"), HasSubstr("labels needs a key"));
  EXPECT_THAT(CompileError("labels==x"), HasSubstr("labels needs a key"));
}

TEST_F(FilterSqlTest, TypesWithoutLabelsRejectThem) {
  const std::string msg = CompileError("labels.x", IngestSchema());
  EXPECT_THAT(msg, HasSubstr("unknown ingest field \"labels.x\""));
  EXPECT_THAT(msg, HasSubstr("ref, expected, expires_at"));
  EXPECT_THAT(msg, Not(HasSubstr("labels.<key>")));
}

TEST_F(FilterSqlTest, NullableTextColumnTreatsNullAsAbsent) {
  EXPECT_EQ(IngestsMatching("ref==layer-1"), Names{"layer-1"});
  EXPECT_EQ(IngestsMatching("expected==sha256:aaa"), Names{"layer-1"});
  EXPECT_EQ(IngestsMatching(R"(expected=="")"), Names{"config"});  // present, empty
  // Absent matches != v, unless v is "".
  EXPECT_EQ(IngestsMatching("expected!=sha256:aaa"), (Names{"config", "layer-2", "manifest"}));
  EXPECT_EQ(IngestsMatching(R"(expected!="")"), (Names{"layer-1", "manifest"}));
  EXPECT_EQ(IngestsMatching("expected"), (Names{"config", "layer-1", "manifest"}));
  // Absent is matched as "".
  EXPECT_EQ(IngestsMatching("expected~=^$"), (Names{"config", "layer-2"}));
  EXPECT_EQ(IngestsMatching("expected~=aaa"), Names{"layer-1"});
  EXPECT_EQ(IngestsMatching("ref~=^layer-"), (Names{"layer-1", "layer-2"}));
}

TEST_F(FilterSqlTest, NullableIntegerColumnTreatsNullAsAbsent) {
  EXPECT_EQ(IngestsMatching("expires_at==100"), Names{"layer-2"});
  EXPECT_EQ(IngestsMatching("expires_at!=100"), (Names{"config", "layer-1", "manifest"}));
  EXPECT_EQ(IngestsMatching("expires_at"), (Names{"config", "layer-2"}));
  EXPECT_EQ(IngestsMatching("expires_at~=^$"), (Names{"layer-1", "manifest"}));
  EXPECT_EQ(IngestsMatching("expires_at~=^[12]"), (Names{"config", "layer-2"}));
}

// Each selector is 0 or 1, never NULL, so the condition can be negated or
// combined by the caller without three-valued surprises.
TEST_F(FilterSqlTest, ConditionIsNeverNull) {
  for (const char* f : {"expected==x", "expected!=x", "expected~=x", "expected", "expires_at==1",
                        "expires_at!=1", "expires_at~=1", "expires_at"}) {
    Result<Names> r =
        Run({f}, IngestSchema(), "SELECT ref FROM ingests i WHERE ({}) IS NULL ORDER BY ref", 1);
    ASSERT_TRUE(r.ok()) << f << ": " << r.status().ToString();
    EXPECT_THAT(*r, IsEmpty()) << f;
    r = Run({f}, IngestSchema(), "SELECT ref FROM ingests i WHERE NOT ({}) ORDER BY ref", 1);
    ASSERT_TRUE(r.ok());
    Names positive = IngestsMatching(f);
    EXPECT_EQ(r->size() + positive.size(), kAllIngests.size()) << f;
  }
}

TEST_F(FilterSqlTest, SqlShape) {
  Result<Filter> f = ParseAll({"digest==x"});
  ASSERT_TRUE(f.ok());
  Result<SqlCondition> c = Compile(*f, BlobSchema(), 3);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sql, "(b.digest = ?3)");
  EXPECT_EQ(c->params, (std::vector<SqlValue>{std::string("x")}));

  f = ParseAll({"labels.a==1,size==2", "labels.b"});
  ASSERT_TRUE(f.ok());
  c = Compile(*f, BlobSchema(), 5);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sql,
            "((b.digest IN (SELECT digest FROM blob_labels WHERE key = ?5 AND value = ?6) AND "
            "b.size = ?7) OR (b.digest IN (SELECT digest FROM blob_labels WHERE key = ?8)))");
  EXPECT_EQ(c->params, (std::vector<SqlValue>{std::string("a"), std::string("1"), int64_t{2},
                                              std::string("b")}));
}

// A partial label index (blob_labels leaves out reference labels): its
// condition goes beside `key = ...` for the keys the index holds, so SQLite
// can use it, and stays away for the others, which it does not hold.
TEST_F(FilterSqlTest, APartialLabelIndexIsNamedForTheKeysItHolds) {
  FieldSchema schema = BlobSchema();
  schema.labels_index_condition = "NOT gc_reference";
  schema.label_key_indexed = [](std::string_view key) { return key.substr(0, 4) != "ref."; };
  Result<Filter> f = ParseAll({"labels.a==1", "labels.ref.x!=2,labels.a~=^z"});
  ASSERT_TRUE(f.ok());
  Result<SqlCondition> c = Compile(*f, schema, 1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sql,
            "((b.digest IN (SELECT digest FROM blob_labels WHERE key = ?1 AND NOT gc_reference "
            "AND value = ?2)) OR (b.digest NOT IN (SELECT digest FROM blob_labels WHERE key = ?3 "
            "AND value = ?4) AND b.digest IN (SELECT digest FROM blob_labels WHERE key = ?5 AND "
            "NOT gc_reference AND regexp(?6, value, ?7))))");
}

// A column may be named by several parts (containerd's image filters say
// target.digest); the path must match the whole name.
TEST_F(FilterSqlTest, ColumnsWithDottedNames) {
  static const FieldSchema schema{
      .what = "image",
      .columns = {{"name", "i.name", false, false}, {"target.digest", "i.digest", false, false}},
  };
  Result<Filter> f = ParseAll({"target.digest==x"});
  ASSERT_TRUE(f.ok());
  Result<SqlCondition> c = Compile(*f, schema, 1);
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->sql, "(i.digest = ?1)");
  EXPECT_THAT(CompileError("target==x", schema), HasSubstr("unknown image field \"target\""));
  EXPECT_THAT(CompileError("target.digest.x==y", schema),
              HasSubstr("unknown image field \"target.digest.x\""));
  EXPECT_THAT(CompileError("digest==x", schema), HasSubstr("known fields: name, target.digest"));
}

TEST_F(FilterSqlTest, MatchAllIsOne) {
  for (const std::vector<std::string>& filters :
       {std::vector<std::string>{}, std::vector<std::string>{""},
        std::vector<std::string>{"labels.a", ""}}) {
    Result<Filter> f = ParseAll(filters);
    ASSERT_TRUE(f.ok());
    Result<SqlCondition> c = Compile(*f, BlobSchema(), 1);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(c->sql, "1");
    EXPECT_THAT(c->params, IsEmpty());
  }
}

TEST_F(FilterSqlTest, CallerParametersStillApply) {
  // ?1 and ?2 belong to the caller; the filter's start at ?3.
  Result<Names> r =
      Run({"labels.a==1", "labels.b"}, BlobSchema(),
          "SELECT digest FROM blobs b WHERE b.size >= ?1 AND b.size <= ?2 AND {} ORDER BY digest",
          3, {15, 40});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, (Names{"sha256:bbb", "sha256:ddd"}));
}

TEST_F(FilterSqlTest, FirstParamMustBePositive) {
  Result<Filter> f = ParseAll({"digest"});
  ASSERT_TRUE(f.ok());
  EXPECT_FALSE(Compile(*f, BlobSchema(), 0).ok());
}

TEST_F(FilterSqlTest, BadRegexInAHandBuiltFilterIsAnError) {
  Filter f;
  f.any.push_back({Selector{{"digest"}, Op::kMatches, "("}});
  Result<SqlCondition> c = Compile(f, BlobSchema(), 1);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument());
  f.any[0][0].fieldpath = {"labels", "a"};
  c = Compile(f, BlobSchema(), 1);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument());
}

TEST_F(FilterSqlTest, LabelSelectorUsesTheLabelIndex) {
  // Enough rows that scanning would be the costly choice.
  SQLite::Transaction tx(db_);
  SQLite::Statement blob(
      db_, "INSERT INTO blobs (digest, size, created_at, updated_at) VALUES (?1, 1, 1, 1)");
  SQLite::Statement label(db_, "INSERT INTO blob_labels VALUES (?1, ?2, 'v')");
  for (int i = 0; i < 2000; ++i) {
    const std::string digest = fmt::format("sha256:{:064x}", i);
    blob.bind(1, digest);
    blob.exec();
    blob.reset();
    label.bind(1, digest);
    label.bind(2, fmt::format("k{}", i % 20));
    label.exec();
    label.reset();
  }
  tx.commit();
  db_.exec("ANALYZE");

  // The label index finds the few matching owners, which are then looked up
  // by primary key: neither table is scanned.
  for (const char* filter :
       {R"(labels."bench/sel"==1)", R"(labels."bench/sel")", R"(labels."bench/sel"~=^1)"}) {
    Result<Filter> f = ParseAll({filter});
    ASSERT_TRUE(f.ok());
    Result<SqlCondition> c = Compile(*f, BlobSchema(), 1);
    ASSERT_TRUE(c.ok());
    SQLite::Statement q(
        db_, "EXPLAIN QUERY PLAN SELECT digest FROM blobs b WHERE " + c->sql + " ORDER BY digest");
    Bind(&q, 1, c->params);
    std::string plan;
    while (q.executeStep()) plan += q.getColumn(3).getString() + "\n";
    EXPECT_THAT(plan, HasSubstr("USING INDEX blob_labels_key_value (key=?")) << filter << "\n"
                                                                             << plan;
    EXPECT_THAT(plan, Not(HasSubstr("SCAN"))) << filter << "\n" << plan;
  }
  EXPECT_EQ(Matching(R"(labels."bench/sel"==1)"), Names{"sha256:aaa"});
}

// --- Over-complex filters are refused before SQL runs (filter.h limits).

// `n` filter strings "labels.a==1", "labels.a==2", "labels.a==x2", ... (values
// that never read as a placeholder's number, which Run checks against).
std::vector<std::string> Alternatives(size_t n) {
  std::vector<std::string> out;
  for (size_t i = 1; i <= n; ++i) {
    out.push_back(fmt::format("labels.a=={}{}", i <= 2 ? "" : "x", i));
  }
  return out;
}

// One string of `n` selectors "size!=1000,size!=1001,...".
std::string Conditions(size_t n) {
  std::string out;
  for (size_t i = 0; i < n; ++i) out += fmt::format("{}size!={}", out.empty() ? "" : ",", 1000 + i);
  return out;
}

TEST_F(FilterSqlTest, FiltersAtTheLimitsRun) {
  EXPECT_EQ(Matching(Alternatives(kMaxFilterStrings)),
            (Names{"sha256:aaa", "sha256:bbb", "sha256:ddd"}));
  EXPECT_EQ(Matching(Conditions(kMaxSelectorsPerString)), kAllBlobs);
  std::vector<std::string> all(kMaxSelectors / kMaxSelectorsPerString,
                               Conditions(kMaxSelectorsPerString));
  all.back() += ",labels.b";
  all.back().erase(0, all.back().find(',') + 1);  // still kMaxSelectors in all
  EXPECT_EQ(Matching(all), kAllBlobs);
}

TEST_F(FilterSqlTest, AndAndOrCompileToShallowSql) {
  // SQLite refuses expressions deeper than 1,000 levels; a left-deep chain
  // of 1,000 ORs failed. Balanced, a filter at every limit stays shallow.
  sqlite3_limit(db_.getHandle(), SQLITE_LIMIT_EXPR_DEPTH, 40);
  EXPECT_EQ(Matching(Alternatives(kMaxFilterStrings)),
            (Names{"sha256:aaa", "sha256:bbb", "sha256:ddd"}));
  EXPECT_EQ(Matching(Conditions(kMaxSelectorsPerString)), kAllBlobs);
  Result<Filter> f = ParseAll({"digest,size,labels.a", "digest"});
  ASSERT_TRUE(f.ok());
  Result<SqlCondition> c = Compile(*f, BlobSchema(), 1);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->sql,
            "((1 AND (1 AND b.digest IN (SELECT digest FROM blob_labels WHERE key = ?1))) OR (1))");
}

TEST_F(FilterSqlTest, FiltersBeyondTheLimitsAreInvalidArgument) {
  // 999 strings used to reach SQLite and fail there ("Expression tree is
  // too large", an I/O error to the caller).
  for (const size_t n : {kMaxFilterStrings + 1, size_t{999}}) {
    Result<Names> r = BlobsMatching(Alternatives(n));
    ASSERT_FALSE(r.ok()) << n;
    EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
    EXPECT_THAT(r.status().message(), HasSubstr("filter strings, the limit is"));
  }
  Result<Names> r = BlobsMatching({Conditions(2000)});
  ASSERT_FALSE(r.ok());
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();

  // Compile refuses a hand-built filter past the limits too.
  Filter f;
  f.any.assign(999, Conjunction{Selector{{"digest"}, Op::kEqual, "x"}});
  Result<SqlCondition> c = Compile(f, BlobSchema(), 1);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
  f.any.assign(1, Conjunction(2000, Selector{{"digest"}, Op::kEqual, "x"}));
  c = Compile(f, BlobSchema(), 1);
  ASSERT_FALSE(c.ok());
  EXPECT_TRUE(c.status().IsInvalidArgument()) << c.status().ToString();
}

TEST_F(FilterSqlTest, CompileErrorsQuoteLongValuesShortly) {
  const std::string long_value(5000, '7');
  const std::string msg = CompileError("size==" + long_value + "x");
  EXPECT_THAT(msg, HasSubstr("takes a decimal integer"));
  EXPECT_LT(msg.size(), 600u) << msg;
  const std::string unknown = CompileError("labels" + std::string(3000, 'x') + "==1");
  EXPECT_THAT(unknown, HasSubstr("unknown blob field"));
  EXPECT_LT(unknown.size(), 600u) << unknown;
}

// A regex that compiles but is too costly for some value fails the statement
// with regexp()'s argument error, naming the filter, which RegexpErrorStatus
// turns into InvalidArgument.
TEST_F(FilterSqlTest, RegexTooCostlyForAValueNamesTheFilter) {
  const std::string value = std::string(3000, 'a') + "b";
  db_.exec("INSERT INTO blob_labels VALUES ('sha256:ccc', 'y', '" + value + "')");
  db_.exec("INSERT INTO blobs VALUES ('sha256:" + value + "', 1, 1, 1)");
  for (const char* filter : {"labels.y~=^(a|aa)*$", "digest~=^sha256:(a|aa)*$"}) {
    Result<Names> r = BlobsMatching({filter});
    ASSERT_FALSE(r.ok()) << filter;
    const std::string& msg = r.status().message();
    EXPECT_THAT(msg, HasSubstr(std::string(kArgumentErrorPrefix) + "filter " + filter +
                               ": regular expression"));
    EXPECT_THAT(msg, HasSubstr("too costly"));
    std::optional<Status> s = RegexpErrorStatus(msg);
    ASSERT_TRUE(s.has_value()) << msg;
    EXPECT_TRUE(s->IsInvalidArgument());
    EXPECT_THAT(s->message(), StartsWith(std::string("filter ") + filter + ": regular expression"));
  }
}

}  // namespace
}  // namespace contentstore::filter
