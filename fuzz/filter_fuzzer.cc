// Fuzzes the filter parser (filter/filter.h), its SQL compiler
// (filter/filter_sql.h) as the catalog uses it (catalog/filtered_query.h:
// the condition replaces a query's /*FILTER alias*/1 mark, with the row
// classes' schemas), and runs the SQL against a small in-memory catalog with
// regexp() registered, comparing what SQLite selects with what the filter
// means.
//
// Input: one byte choosing how many named parameters the query has of its
// own (2 to 9: the filter's numbered ones come after them), then text. The
// whole text is parsed as one filter string; split at newlines it is also a
// list of filter strings (ORed), compiled for blobs, ingests and leases and
// run.
//
// Invariants (a violation aborts, which libFuzzer reports as a crash):
//  - parsing never fails with anything but InvalidArgument, and an error
//    message quotes at most about 200 bytes of input and holds no control
//    characters or invalid UTF-8;
//  - a parsed selector prints (ToString) to text that parses back to it,
//    and a parsed string re-joined from its selectors parses to the same;
//  - a parsed filter is within the limits (CheckLimits);
//  - FilteredQuery::Parse accepts what ParseAll does; Compile fails only
//    with InvalidArgument; its SQL numbers exactly its parameters, from the
//    one after the query's own named parameters on, and a "--" comment that
//    mentions the mark or a :name changes nothing;
//  - the SQL prepares and runs: its only allowed failure is regexp()'s
//    argument error (a pattern too costly for some value), which
//    RegexpErrorStatus turns into InvalidArgument;
//  - the rows it selects are exactly those the filter matches by its
//    definition (filter_sql.h), evaluated here row by row in C++.

#include <SQLiteCpp/SQLiteCpp.h>
#include <fmt/format.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "catalog/blob_rows.h"
#include "catalog/filtered_query.h"
#include "catalog/ingest_rows.h"
#include "catalog/lease_rows.h"
#include "filter/filter.h"
#include "filter/filter_sql.h"
#include "filter/regexp.h"
#include "fuzz_util.h"

namespace contentstore::fuzz {
namespace {

using filter::Conjunction;
using filter::FieldSchema;
using filter::Filter;
using filter::Op;
using filter::Selector;

// One row of any kind: its key (digest, ref or lease id), its other columns
// as text, and its labels.
struct Row {
  std::string key;
  std::map<std::string, std::string> columns;  // name -> value (integers as decimal)
  std::map<std::string, std::string> labels;
};

struct Kind {
  const FieldSchema* schema;
  // A query as in queries/sqlite/: {} is where the query's own named
  // parameters go (each bound to 1), and /*FILTER alias*/1 the filter's mark.
  std::string select;
  std::vector<Row> rows;
};

std::vector<Row> BlobRows() {
  const std::string a(64, 'a');
  return {
      {"sha256:" + a, {{"size", "10"}}, {{"containerd.io/gc.root", "2024-01-01"}, {"a", "1"}}},
      {"sha256:" + std::string(64, 'b'), {{"size", "0"}}, {{"a", "2"}, {"b", "x"}, {"a.b", "dot"}}},
      {"sha256:" + std::string(64, 'c'), {{"size", "-3"}}, {}},
      {"sha384:" + std::string(96, 'd'),
       {{"size", "9223372036854775807"}},
       {{"containerd.io/gc.ref.content.l.0", "sha256:" + a}, {"é", "ünï"}, {"q", "say \"hi\""}}},
      {"layer-1", {{"size", "123"}}, {{"b", "x' OR 1=1 --"}, {"", "empty key"}, {"ws", " a b "}}},
      {"", {{"size", "1"}}, {{"a", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab"}}},
  };
}

std::vector<Row> IngestRows() {
  return {{"layer-1", {}, {}},          {"layer-2", {}, {}}, {"config", {}, {}},
          {"é/ref with space", {}, {}}, {"", {}, {}},        {"layer-", {}, {}}};
}

std::vector<Row> LeaseRows() {
  return {{"lease-1", {}, {{"containerd.io/gc.expire", "2030-01-01T00:00:00Z"}}},
          {"1700000000-abc", {}, {{"a", "1"}, {"app", "x"}}},
          {"z", {}, {}}};
}

class MemoryCatalog {
 public:
  MemoryCatalog() : db_(":memory:", SQLite::OPEN_READWRITE | SQLite::OPEN_CREATE) {
    Check(RegisterRegexpFunction(db_.getHandle()));
    // The tables and columns the row classes' schemas name (schema/schema.sql).
    db_.exec(R"sql(
      CREATE TABLE blobs(digest TEXT PRIMARY KEY, size INTEGER NOT NULL);
      CREATE TABLE blob_labels(digest TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
        gc_reference INTEGER GENERATED ALWAYS AS (
          key >= 'containerd.io/gc.ref.content' AND key < 'containerd.io/gc.ref.content0'
          AND (length(key) = 28 OR substr(key, 29, 1) IN ('.', '/'))) VIRTUAL,
        PRIMARY KEY(digest, key));
      CREATE INDEX blob_labels_by_key_value ON blob_labels(key, value) WHERE NOT gc_reference;
      CREATE TABLE ingests(ref TEXT PRIMARY KEY);
      CREATE TABLE leases(id TEXT PRIMARY KEY);
      CREATE TABLE lease_labels(lease_id TEXT NOT NULL, key TEXT NOT NULL, value TEXT NOT NULL,
                                PRIMARY KEY(lease_id, key));
    )sql");
    // The comment line must not be taken for the mark or a parameter.
    constexpr std::string_view kComment = "-- the /*FILTER x*/1 mark, :not_a_parameter\n";
    kinds_.push_back({&catalog::BlobRows::FilterFields(),
                      std::string(kComment) +
                          "SELECT b.digest FROM blobs AS b WHERE {} AND (/*FILTER b*/1) "
                          "ORDER BY b.digest",
                      BlobRows()});
    kinds_.push_back({&catalog::IngestRows::FilterFields(),
                      std::string(kComment) +
                          "SELECT i.ref FROM ingests AS i WHERE {} AND (/*FILTER i*/1) "
                          "ORDER BY i.ref",
                      IngestRows()});
    kinds_.push_back({&catalog::LeaseRows::FilterFields(),
                      std::string(kComment) +
                          "SELECT l.id FROM leases AS l WHERE {} AND (/*FILTER l*/1) "
                          "ORDER BY l.id",
                      LeaseRows()});
    for (const Row& r : kinds_[0].rows) {
      Insert("INSERT INTO blobs VALUES (?1, ?2)", {r.key}, std::stoll(r.columns.at("size")));
      for (const auto& [k, v] : r.labels)
        Insert("INSERT INTO blob_labels VALUES (?1, ?2, ?3)", {r.key, k, v});
    }
    for (const Row& r : kinds_[1].rows) Insert("INSERT INTO ingests VALUES (?1)", {r.key});
    for (const Row& r : kinds_[2].rows) {
      Insert("INSERT INTO leases VALUES (?1)", {r.key});
      for (const auto& [k, v] : r.labels)
        Insert("INSERT INTO lease_labels VALUES (?1, ?2, ?3)", {r.key, k, v});
    }
  }

  const std::vector<Kind>& kinds() const { return kinds_; }
  SQLite::Database& db() { return db_; }

 private:
  void Insert(const char* sql, const std::vector<std::string>& texts,
              std::optional<int64_t> integer = std::nullopt) {
    SQLite::Statement q(db_, sql);
    int i = 1;
    for (const std::string& t : texts) q.bind(i++, t);
    if (integer) q.bind(i, *integer);
    q.exec();
  }

  SQLite::Database db_;
  std::vector<Kind> kinds_;
};

// What a selector means for `row` (filter_sql.h), or nullopt when a regex
// is too costly to say.
std::optional<bool> Evaluate(const Selector& s, const FieldSchema& schema, const Row& row) {
  bool present = false;
  std::string value;
  bool integer = false;
  const std::string& field = s.fieldpath.front();
  bool known = false;
  if (s.fieldpath.size() == 1) {
    for (const FieldSchema::Column& c : schema.columns) {
      if (c.name != field) continue;
      known = true;
      integer = c.integer;
      present = true;  // the row classes' schemas have no nullable columns
      value = c.name == schema.columns.front().name && !c.integer ? row.key : row.columns.at(field);
    }
  }
  if (!known) {
    if (field != "labels" || s.fieldpath.size() < 2 || schema.labels_table.empty()) {
      Die("Compile accepted a selector naming an unknown field: " + filter::ToString(s));
    }
    std::string key = s.fieldpath[1];
    for (size_t i = 2; i < s.fieldpath.size(); ++i) key += "." + s.fieldpath[i];
    auto it = row.labels.find(key);
    present = it != row.labels.end();
    if (present) value = it->second;
  }
  switch (s.op) {
    case Op::kPresent:
      return present;
    case Op::kEqual:
    case Op::kNotEqual: {
      bool equal;
      if (integer) {
        // Compile accepted it, so it is a decimal int64.
        equal = present && std::stoll(value) == std::stoll(s.value);
      } else {
        equal = (present ? value : std::string()) == s.value && (present || s.op == Op::kNotEqual);
      }
      return s.op == Op::kEqual ? equal : !equal;
    }
    case Op::kMatches: {
      Result<bool> m = RegexMatches(s.value, value);
      if (!m.ok()) return std::nullopt;
      return *m;
    }
  }
  Die("unknown operator");
}

// The keys of `rows` the filter matches, sorted as SQLite's BINARY collation
// sorts them; nullopt when a regex is too costly to say.
std::optional<std::vector<std::string>> Expected(const Filter& f, const Kind& kind) {
  std::set<std::string> keys;
  for (const Row& row : kind.rows) {
    bool any = f.matches_all();
    for (const Conjunction& c : f.any) {
      if (any) break;
      bool all = true;
      for (const Selector& s : c) {
        std::optional<bool> m = Evaluate(s, *kind.schema, row);
        if (!m) return std::nullopt;
        all = all && *m;
      }
      any = any || all;
    }
    if (any) keys.insert(row.key);
  }
  return std::vector<std::string>(keys.begin(), keys.end());
}

// The ?N placeholders of `sql`, which holds no string literals.
std::set<int> Placeholders(std::string_view sql) {
  std::set<int> out;
  for (size_t i = 0; i < sql.size(); ++i) {
    if (sql[i] != '?') continue;
    int n = 0;
    size_t j = i + 1;
    while (j < sql.size() && sql[j] >= '0' && sql[j] <= '9') n = n * 10 + (sql[j++] - '0');
    if (j == i + 1) Die("a bare ? in the compiled SQL: " + std::string(sql));
    out.insert(n);
  }
  return out;
}

void CheckSelectorsRoundTrip(const Conjunction& c) {
  std::string joined;
  for (const Selector& s : c) {
    const std::string text = filter::ToString(s);
    Result<Conjunction> back = filter::Parse(text);
    if (!back.ok() || *back != Conjunction{s}) {
      Die("ToString does not parse back: " + text + ": " + back.status().ToString());
    }
    if (!joined.empty()) joined += ",";
    joined += text;
  }
  Result<Conjunction> back = filter::Parse(joined);
  if (!back.ok() || *back != c) Die("re-joined selectors do not parse back: " + joined);
}

void CheckCompiledAndRun(MemoryCatalog& memory, const std::vector<std::string>& texts,
                         const Filter& f, int own_params) {
  std::string own;
  for (int i = 0; i < own_params; ++i) own += fmt::format("{}:p{}", i ? " AND " : "", i);
  for (const Kind& kind : memory.kinds()) {
    Result<catalog::FilteredQuery> query = catalog::FilteredQuery::Parse(texts, *kind.schema);
    if (!query.ok()) Die("FilteredQuery::Parse refused what ParseAll accepted: " +
                         query.status().ToString());
    Result<catalog::FilteredQuery::Compiled> c =
        query->Compile(fmt::format(fmt::runtime(kind.select), own));
    if (!c.ok()) {
      CheckErrorStatus(c.status(), "Compile");
      continue;
    }
    if (c->first != own_params + 1) {
      Die(fmt::format("the filter's parameters start at ?{}, after {} named ones", c->first,
                      own_params));
    }
    const std::set<int> used = Placeholders(c->sql);
    std::set<int> want;
    for (size_t i = 0; i < c->params.size(); ++i) want.insert(c->first + static_cast<int>(i));
    if (used != want) Die("placeholders differ from the parameters in: " + c->sql);

    std::vector<std::string> got;
    try {
      SQLite::Statement q(memory.db(), c->sql);
      // The query's own parameters (true); the filter's follow.
      for (int i = 0; i < own_params; ++i) q.bind(fmt::format(":p{}", i), 1);
      int index = c->first;
      for (const filter::SqlValue& v : c->params) {
        if (const auto* n = std::get_if<int64_t>(&v)) {
          q.bind(index++, *n);
        } else {
          q.bind(index++, std::get<std::string>(v));
        }
      }
      while (q.executeStep()) got.push_back(q.getColumn(0).getString());
    } catch (const SQLite::Exception& e) {
      std::optional<Status> s = RegexpErrorStatus(e.what());
      if (!s.has_value())
        Die(std::string("the compiled SQL failed: ") + e.what() + "\nSQL: " + c->sql);
      CheckErrorStatus(*s, "regexp()");
      continue;
    }
    std::optional<std::vector<std::string>> expected = Expected(f, kind);
    if (expected && got != *expected) {
      std::string msg = "SQL selects other rows than the filter means.\nSQL: " + c->sql + "\ngot:";
      for (const auto& g : got) msg += " [" + g + "]";
      msg += "\nwant:";
      for (const auto& w : *expected) msg += " [" + w + "]";
      Die(msg);
    }
  }
}

}  // namespace
}  // namespace contentstore::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace contentstore;
  using namespace contentstore::fuzz;
  static MemoryCatalog* memory = new MemoryCatalog();  // lives for the process
  if (size == 0) return 0;
  const int own_params = 2 + data[0] % 8;
  const std::string_view text(reinterpret_cast<const char*>(data) + 1, size - 1);

  Result<filter::Conjunction> one = filter::Parse(text);
  if (one.ok()) {
    CheckSelectorsRoundTrip(*one);
  } else {
    CheckErrorStatus(one.status(), "Parse");
  }

  std::vector<std::string> texts;
  for (size_t start = 0;;) {
    const size_t nl = text.find('\n', start);
    texts.emplace_back(text.substr(start, nl == std::string_view::npos ? nl : nl - start));
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  Result<filter::Filter> all = filter::ParseAll(texts);
  if (!all.ok()) {
    CheckErrorStatus(all.status(), "ParseAll");
    return 0;
  }
  if (Status s = filter::CheckLimits(*all); !s.ok())
    Die("ParseAll passed a filter over the limits");
  for (const filter::Conjunction& c : all->any) CheckSelectorsRoundTrip(c);
  CheckCompiledAndRun(*memory, texts, *all, own_params);
  return 0;
}
