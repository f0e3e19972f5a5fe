#include "filter/filter_sql.h"

#include <fmt/format.h>

#include <charconv>
#include <optional>
#include <span>
#include <string>
#include <utility>

#include "filter/regexp.h"
#include "util/text.h"

namespace contentstore::filter {
namespace {

// The literal text every match of `pattern` must start with, when the
// pattern is anchored with ^ and starts with plain characters; "" otherwise.
// Conservative: stops at the first character that is not a letter, digit or
// one of a few punctuation marks, and drops the last literal when a
// quantifier follows it (in "^ab?c" only "a" is certain).
std::string AnchoredLiteralPrefix(std::string_view pattern) {
  if (pattern.empty() || pattern[0] != '^') return "";
  std::string prefix;
  for (size_t i = 1; i < pattern.size(); ++i) {
    const char c = pattern[i];
    const bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                       (c >= '0' && c <= '9') || c == '-' || c == '_' || c == ':' ||
                       c == '/' || c == '@' || c == ',' || c == '=' || c == '%';
    if (!plain) {
      if (c == '?' || c == '*' || c == '{' || c == '+') {
        if (!prefix.empty() && c != '+') prefix.pop_back();
      }
      if (c == '|') return "";  // ^a|b: an alternative without the anchor
      break;
    }
    prefix.push_back(c);
  }
  // An alternation later in the pattern may not be anchored at all.
  if (pattern.find('|') != std::string_view::npos) return "";
  return prefix;
}

// The smallest string greater than every string starting with `prefix`.
std::optional<std::string> PrefixUpperBound(std::string prefix) {
  while (!prefix.empty()) {
    auto last = static_cast<unsigned char>(prefix.back());
    if (last < 0xff) {
      prefix.back() = static_cast<char>(last + 1);
      return prefix;
    }
    prefix.pop_back();
  }
  return std::nullopt;
}

// `terms` joined with `op` ("AND", "OR") as a balanced tree: "a OR b",
// "a OR (b OR c)", "(a OR b) OR (c OR d)". SQLite counts every operator of a
// left-deep chain as a level of the expression tree (at most 1,000), so
// 1,000 selectors in a row failed; balanced, the depth is logarithmic.
// REQUIRES: !terms.empty()
std::string JoinBalanced(std::span<const std::string> terms, std::string_view op) {
  if (terms.size() == 1) return terms.front();
  const size_t half = terms.size() / 2;
  const auto side = [&](std::span<const std::string> part) {
    return part.size() == 1 ? part.front() : "(" + JoinBalanced(part, op) + ")";
  };
  return fmt::format("{} {} {}", side(terms.first(half)), op, side(terms.subspan(half)));
}

class Compiler {
 public:
  Compiler(const FieldSchema& schema, int first_param, SqlDialect dialect)
      : schema_(schema), first_param_(first_param), dialect_(dialect) {}

  Result<SqlCondition> Run(const Filter& filter) && {
    // A hand-built filter gets the limits ParseAll applies.
    if (Status s = CheckLimits(filter); !s.ok()) return s;
    std::vector<std::string> alternatives;
    for (const Conjunction& conjunction : filter.any) {
      if (conjunction.empty()) continue;
      Result<std::string> c = CompileConjunction(conjunction);
      if (!c.ok()) return c.status();
      alternatives.push_back(std::move(c).value());
    }
    // After compiling the rest: an empty string beside `lables.x` matches
    // everything, but the typo is still an error.
    if (filter.matches_all()) return SqlCondition{True(), {}};
    std::string sql = JoinBalanced(alternatives, "OR");
    if (filter.any.size() > 1) sql = "(" + sql + ")";
    return SqlCondition{std::move(sql), std::move(params_)};
  }

 private:
  // REQUIRES: !conjunction.empty()
  Result<std::string> CompileConjunction(const Conjunction& conjunction) {
    std::vector<std::string> terms;
    for (const Selector& s : conjunction) {
      Result<std::string> c = CompileSelector(s);
      if (!c.ok()) return c.status();
      // Every selector's SQL binds tighter than AND: no parentheses needed.
      terms.push_back(std::move(c).value());
    }
    return "(" + JoinBalanced(terms, "AND") + ")";
  }

  Result<std::string> CompileSelector(const Selector& s) {
    if (s.fieldpath.empty()) return Status::InvalidArgument("filter selector without a field");
    const std::string& field = s.fieldpath.front();
    // A column's name may have several parts ("target.digest").
    std::string path = field;
    for (size_t i = 1; i < s.fieldpath.size(); ++i) path += "." + s.fieldpath[i];
    for (const FieldSchema::Column& column : schema_.columns) {
      if (column.name == path) return CompileColumn(s, column);
    }
    if (field == "labels" && !schema_.labels_table.empty()) {
      if (s.fieldpath.size() == 1) {
        return Status::InvalidArgument(fmt::format(
            "filter {}: labels needs a key, as in labels.mykey or labels.\"example.com/key\"",
            Describe(s)));
      }
      std::string key = s.fieldpath[1];
      for (size_t i = 2; i < s.fieldpath.size(); ++i) key += "." + s.fieldpath[i];
      return CompileLabel(s, std::move(key));
    }
    return UnknownField(s);
  }

  Result<std::string> CompileColumn(const Selector& s, const FieldSchema::Column& column) {
    const std::string col(column.sql);
    switch (s.op) {
      case Op::kPresent:
        return column.nullable ? col + " IS NOT NULL" : True();
      case Op::kEqual:
      case Op::kNotEqual: {
        const bool eq = s.op == Op::kEqual;
        if (column.integer) {
          Result<int64_t> n = ParseInteger(s, column);
          if (!n.ok()) return n.status();
          // v is a number, never "", so an absent (NULL) value differs from it.
          if (column.nullable) return fmt::format("{} {} {}", col, eq ? Is() : IsNot(), Param(*n));
          return fmt::format("{} {} {}", col, eq ? "=" : "<>", Param(*n));
        }
        if (eq) {
          // IS: NULL (absent) is simply not equal, where = would give NULL.
          return fmt::format("{} {} {}", col, column.nullable ? Is() : "=", Param(s.value));
        }
        // Absent counts as "", so it matches != v unless v is "".
        return fmt::format("{} <> {}", column.nullable ? "COALESCE(" + col + ", '')" : col,
                           Param(s.value));
      }
      case Op::kMatches: {
        // Parse checked it already; a hand-built Filter may not have been.
        Status re = CheckRegex(s.value);
        if (!re.ok()) return re.WithContext(fmt::format("filter {}", Describe(s)));
        std::string subject = column.integer ? "CAST(" + col + " AS TEXT)" : col;
        if (column.nullable) subject = "COALESCE(" + subject + ", '')";  // absent = ""
        std::string match = Regexp(s, subject);
        // `^literal...` can only match values starting with the literal: a
        // range on the column lets SQLite seek its index instead of running
        // the regex on every row (ref~=^layer- over many ingests).
        const std::string prefix = AnchoredLiteralPrefix(s.value);
        if (!column.integer && !column.nullable && !prefix.empty()) {
          std::string range = fmt::format("{} >= {}", col, Param(prefix));
          if (auto upper = PrefixUpperBound(prefix)) {
            range += fmt::format(" AND {} < {}", col, Param(*upper));
          }
          return fmt::format("({} AND {})", range, match);
        }
        return match;
      }
    }
    return Status::Internal("unknown filter operator");
  }

  // Each form is `owner IN (subquery)` or `owner NOT IN (subquery)` with an
  // uncorrelated subquery on (key[, value]): SQLite runs it once through the
  // (key, value) index, instead of probing the labels of every row.
  Result<std::string> CompileLabel(const Selector& s, std::string key) {
    std::string index_condition;
    if (!schema_.labels_index_condition.empty() &&
        (schema_.label_key_indexed == nullptr || schema_.label_key_indexed(key))) {
      index_condition = fmt::format(" AND {}", schema_.labels_index_condition);
    }
    const std::string key_param = Param(std::move(key));
    const auto owners = [&](bool in, std::string_view extra) {
      return fmt::format("{} {} (SELECT {} FROM {} WHERE key = {}{}{})", schema_.owner_sql,
                         in ? "IN" : "NOT IN", schema_.labels_owner_column, schema_.labels_table,
                         key_param, index_condition, extra);
    };
    switch (s.op) {
      case Op::kPresent:
        return owners(true, "");
      case Op::kEqual:
        // == "" matches nothing, as no label has an empty value; the
        // subquery finds nothing, no special case needed.
        return owners(true, " AND value = " + Param(s.value));
      case Op::kNotEqual:
        // Absent is "", so != "" means present.
        if (s.value.empty()) return owners(true, "");
        return owners(false, " AND value = " + Param(s.value));
      case Op::kMatches: {
        // Absent is "": when re matches "", a row matches unless it has the
        // label with a value re rejects.
        Result<bool> matches_empty = RegexMatches(s.value, "");
        if (!matches_empty.ok()) {
          return matches_empty.status().WithContext(fmt::format("filter {}", Describe(s)));
        }
        if (*matches_empty) return owners(false, " AND NOT " + Regexp(s, "value"));
        return owners(true, " AND " + Regexp(s, "value"));
      }
    }
    return Status::Internal("unknown filter operator");
  }

  // regexp(pattern, subject, what): `what` names the filter in the error
  // that fails the statement when the pattern is too costly for a value
  // (see RegisterRegexpFunction).
  std::string Regexp(const Selector& s, std::string_view subject) {
    const std::string pattern = Param(s.value);
    return fmt::format("regexp({}, {}, {})", pattern, subject,
                       Param(fmt::format("filter {}", Describe(s))));
  }

  Result<int64_t> ParseInteger(const Selector& s, const FieldSchema::Column& column) const {
    int64_t n = 0;
    const char* begin = s.value.data();
    const char* end = begin + s.value.size();
    auto [ptr, ec] = std::from_chars(begin, end, n);
    if (s.value.empty() || ec != std::errc() || ptr != end) {
      return Status::InvalidArgument(
          fmt::format("filter {}: {} field {} takes a decimal integer, not \"{}\"", Describe(s),
                      schema_.what, column.name, Printable(s.value)));
    }
    return n;
  }

  Status UnknownField(const Selector& s) const {
    std::string known;
    for (const FieldSchema::Column& column : schema_.columns) {
      if (!known.empty()) known += ", ";
      known += column.name;
    }
    if (!schema_.labels_table.empty()) known += known.empty() ? "labels.<key>" : ", labels.<key>";
    // The whole path: `digest.x` is unknown although `digest` is not.
    std::string field = s.fieldpath.front();
    for (size_t i = 1; i < s.fieldpath.size(); ++i) field += "." + s.fieldpath[i];
    return Status::InvalidArgument(
        fmt::format("filter {}: unknown {} field \"{}\"; known fields: {}", Describe(s),
                    schema_.what, Printable(field), known));
  }

  // The dialect's spelling of true and of null-safe (in)equality.
  std::string True() const { return dialect_ == SqlDialect::kPostgres ? "TRUE" : "1"; }
  const char* Is() const {
    return dialect_ == SqlDialect::kPostgres ? "IS NOT DISTINCT FROM" : "IS";
  }
  const char* IsNot() const {
    return dialect_ == SqlDialect::kPostgres ? "IS DISTINCT FROM" : "IS NOT";
  }

  // Add a parameter and return its placeholder. Emplacing the alternative
  // directly (rather than moving a SqlValue) also keeps GCC 12 from a false
  // -Wmaybe-uninitialized on the variant's string.
  std::string Param(std::string v) {
    params_.emplace_back(std::in_place_type<std::string>, std::move(v));
    return Placeholder();
  }
  std::string Param(int64_t v) {
    params_.emplace_back(std::in_place_type<int64_t>, v);
    return Placeholder();
  }
  std::string Placeholder() const {
    return fmt::format("?{}", first_param_ + static_cast<int>(params_.size()) - 1);
  }

  const FieldSchema& schema_;
  const int first_param_;
  const SqlDialect dialect_;
  std::vector<SqlValue> params_;
};

}  // namespace

Result<SqlCondition> Compile(const Filter& filter, const FieldSchema& schema, int first_param,
                             SqlDialect dialect) {
  if (first_param < 1) {
    return Status::Internal(
        fmt::format("filter parameters must start at 1 or later, not {}", first_param));
  }
  return Compiler(schema, first_param, dialect).Run(filter);
}

}  // namespace contentstore::filter
