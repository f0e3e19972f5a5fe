#include "filter/filter.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace contentstore::filter {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

using Path = std::vector<std::string>;

Selector Sel(Path path, Op op = Op::kPresent, std::string value = "") {
  return Selector{std::move(path), op, std::move(value)};
}

// Parses `text`, failing the test (and returning {}) on an error.
Conjunction MustParse(std::string_view text) {
  Result<Conjunction> r = Parse(text);
  EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  return r.ok() ? *r : Conjunction{};
}

// The error message of parsing `text`; "" (and a test failure) if it parses.
std::string ParseError(std::string_view text) {
  Result<Conjunction> r = Parse(text);
  EXPECT_FALSE(r.ok()) << "expected an error for: " << text;
  if (r.ok()) return "";
  EXPECT_TRUE(r.status().IsInvalidArgument()) << r.status().ToString();
  return r.status().message();
}

// --- The examples of containerd-content.md section 5.4.

TEST(Parse, DigestEquality) {
  const std::string d = "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
  EXPECT_EQ(MustParse("digest==" + d), (Conjunction{Sel({"digest"}, Op::kEqual, d)}));
}

TEST(Parse, QuotedLabelKeyPresence) {
  EXPECT_EQ(MustParse(R"(labels."containerd.io/gc.root")"),
            (Conjunction{Sel({"labels", "containerd.io/gc.root"})}));
}

TEST(Parse, QuotedLabelKeyEquality) {
  EXPECT_EQ(
      MustParse(R"(labels."containerd.io/gc.ref.content.l.0"==sha256:abc)"),
      (Conjunction{Sel({"labels", "containerd.io/gc.ref.content.l.0"}, Op::kEqual, "sha256:abc")}));
}

TEST(Parse, CommaIsAnd) {
  EXPECT_EQ(MustParse("labels.k1==v1,labels.k2"),
            (Conjunction{Sel({"labels", "k1"}, Op::kEqual, "v1"), Sel({"labels", "k2"})}));
}

TEST(ParseAll, SeveralStringsAreOr) {
  Result<Filter> f = ParseAll({"labels.a==1", "labels.b==2"});
  ASSERT_TRUE(f.ok()) << f.status().ToString();
  ASSERT_EQ(f->any.size(), 2u);
  EXPECT_EQ(f->any[0], (Conjunction{Sel({"labels", "a"}, Op::kEqual, "1")}));
  EXPECT_EQ(f->any[1], (Conjunction{Sel({"labels", "b"}, Op::kEqual, "2")}));
  EXPECT_FALSE(f->matches_all());
}

TEST(Parse, RegexInItsThreeSpellings) {
  EXPECT_EQ(MustParse("ref~=^layer-"), (Conjunction{Sel({"ref"}, Op::kMatches, "^layer-")}));
  EXPECT_EQ(MustParse("ref~=/^layer-sha256:[0-9a-f]+$/"),
            (Conjunction{Sel({"ref"}, Op::kMatches, "^layer-sha256:[0-9a-f]+$")}));
  EXPECT_EQ(MustParse(R"(ref~="^layer-")"), (Conjunction{Sel({"ref"}, Op::kMatches, "^layer-")}));
}

TEST(Parse, ValueStartingWithDotMustBeQuoted) {
  EXPECT_EQ(MustParse(R"(labels.a==".dot")"),
            (Conjunction{Sel({"labels", "a"}, Op::kEqual, ".dot")}));
  EXPECT_EQ(ParseError("labels.a==.dot"),
            "filters: parse error: [labels.a== >|.|< dot]: expected value or quoted");
}

TEST(Parse, UnquotedKeyWithSlashIsAnError) {
  EXPECT_EQ(ParseError("labels.containerd.io/gc.root"),
            "filters: parse error: [labels.containerd.io >|/|< gc.root]: "
            "quoted literal not terminated");
}

TEST(Parse, SlashQuotesOnlyAfterMatchOperator) {
  EXPECT_EQ(ParseError("ref==/x/"),
            "filters: parse error: [ref== >|/|< x/]: invalid quote encountered");
  EXPECT_EQ(ParseError("ref!=|x|"),
            "filters: parse error: [ref!= >|||< x|]: invalid quote encountered");
  EXPECT_EQ(ParseError("/x/==1"),
            "filters: parse error: [ >|/|< x/==1]: invalid quote encountered");
}

TEST(Parse, TrailingCommaIsAnError) {
  EXPECT_EQ(ParseError("name==foo,"),
            "filters: parse error: [name==foo,]: expected field or quoted");
}

TEST(Parse, OnlyThreeOperators) {
  EXPECT_EQ(ParseError("ref=x"),
            R"(filters: parse error: [ref >|=|< x]: unsupported operator "=")");
  EXPECT_EQ(ParseError("ref>=x"),
            R"(filters: parse error: [ref >|>|< =x]: expected an operator ("=="|"!="|"~="))");
  EXPECT_THAT(ParseError("ref===x"), HasSubstr(R"(unsupported operator "===")"));
  EXPECT_THAT(ParseError("ref==!x"), HasSubstr(R"(unsupported operator "==!")"));
  EXPECT_THAT(ParseError("ref!x"), HasSubstr(R"(unsupported operator "!")"));
  EXPECT_THAT(ParseError("ref~x"), HasSubstr(R"(unsupported operator "~")"));
}

TEST(Parse, SingleQuotesAreOrdinaryCharacters) {
  EXPECT_EQ(MustParse("ref=='abc'"), (Conjunction{Sel({"ref"}, Op::kEqual, "'abc'")}));
}

// Deliberately unlike containerd, which accepts it and never matches.
TEST(Parse, RegexThatDoesNotCompileIsAnError) {
  const std::string msg = ParseError("ref~=[");
  EXPECT_THAT(msg, StartsWith("filters: parse error: [ref~= >|[|< ]: invalid regular expression"));
  EXPECT_THAT(msg, HasSubstr("missing terminating ]"));
  // Syntax errors anywhere in the string take precedence, as in containerd.
  EXPECT_THAT(ParseError("ref~=[,a=b"), HasSubstr(R"(unsupported operator "=")"));
  // The position points at the value even after other selectors.
  EXPECT_THAT(ParseError("a,ref~=/(/"), StartsWith("filters: parse error: [a,ref~= >|/|< (/]"));
}

// --- Operators, fields and values.

TEST(Parse, EveryOperator) {
  EXPECT_EQ(MustParse("name"), (Conjunction{Sel({"name"})}));
  EXPECT_EQ(MustParse("name==x"), (Conjunction{Sel({"name"}, Op::kEqual, "x")}));
  EXPECT_EQ(MustParse("name!=x"), (Conjunction{Sel({"name"}, Op::kNotEqual, "x")}));
  EXPECT_EQ(MustParse("name~=x"), (Conjunction{Sel({"name"}, Op::kMatches, "x")}));
}

TEST(Parse, FieldpathsOfBareAndQuotedFields) {
  EXPECT_EQ(MustParse("a.b.c==d.e"), (Conjunction{Sel({"a", "b", "c"}, Op::kEqual, "d.e")}));
  EXPECT_EQ(MustParse("0_x.Y9"), (Conjunction{Sel({"0_x", "Y9"})}));  // leading digits are fine
  EXPECT_EQ(MustParse(R"("a b"."c,d".e)"), (Conjunction{Sel({"a b", "c,d", "e"})}));
  EXPECT_EQ(MustParse(R"("".x)"), (Conjunction{Sel({"", "x"})}));
  EXPECT_EQ(ParseError("a..b"), "filters: parse error: [a. >|.|< b]: expected field or quoted");
  EXPECT_EQ(ParseError(".a"), "filters: parse error: [ >|.|< a]: expected field or quoted");
  EXPECT_EQ(ParseError("==a"), "filters: parse error: [ >|=|< =a]: expected field or quoted");
  EXPECT_EQ(ParseError("a-b"),
            R"(filters: parse error: [a >|-|< b]: expected an operator ("=="|"!="|"~="))");
}

TEST(Parse, BareValuesTakeMostPunctuation) {
  EXPECT_EQ(MustParse("a==x.y:z/w@v+1=2!~|\"'"),
            (Conjunction{Sel({"a"}, Op::kEqual, "x.y:z/w@v+1=2!~|\"'")}));
  EXPECT_EQ(MustParse("a==é-ü"), (Conjunction{Sel({"a"}, Op::kEqual, "é-ü")}));
  // The first character decides: these start a quote, an operator, a separator.
  EXPECT_THAT(ParseError("a==\"x"), HasSubstr("quoted literal not terminated"));
  EXPECT_THAT(ParseError("a==!x"), HasSubstr("unsupported operator"));
  EXPECT_THAT(ParseError("a==,x"), HasSubstr("expected value or quoted"));
  EXPECT_EQ(ParseError("a=="), "filters: parse error: [a==]: expected value or quoted");
}

TEST(Parse, QuotedValues) {
  EXPECT_EQ(MustParse(R"(a=="")"), (Conjunction{Sel({"a"}, Op::kEqual, "")}));
  EXPECT_EQ(MustParse(R"(a=="x y,z")"), (Conjunction{Sel({"a"}, Op::kEqual, "x y,z")}));
  EXPECT_EQ(MustParse(R"(a=="it's")"), (Conjunction{Sel({"a"}, Op::kEqual, "it's")}));
}

TEST(Parse, GoStringEscapes) {
  Conjunction c = MustParse(R"("k\a\b\f\n\r\t\v\\\""=="\x41\101\u00e9\U0001F600\x00\377\xff")");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].fieldpath, Path{"k\a\b\f\n\r\t\v\\\""});
  EXPECT_EQ(c[0].value, std::string("AA\xC3\xA9\xF0\x9F\x98\x80") + '\0' + "\xff\xff");
  // Go writes a surrogate as U+FFFD.
  EXPECT_EQ(MustParse(R"(a=="\uD800")")[0].value, "\xEF\xBF\xBD");
}

TEST(Parse, BadEscapes) {
  EXPECT_EQ(ParseError(R"(a=="\q")"),
            R"(filters: parse error: [a== >|"|< \q"]: illegal escape sequence)");
  EXPECT_EQ(ParseError(R"(a=="\x4")"),
            R"(filters: parse error: [a== >|"|< \x4"]: illegal numeric escape sequence)");
  EXPECT_EQ(ParseError(R"(a=="\777")"),
            R"(filters: parse error: [a== >|"|< \777"]: unquoting failed: quote syntax error)");
  EXPECT_THAT(ParseError(R"(a=="\U00110000")"), HasSubstr("unquoting failed"));
  // Escaped quotes other than the literal's own are not escapes.
  EXPECT_THAT(ParseError(R"(a=="\/")"), HasSubstr("illegal escape sequence"));
  EXPECT_THAT(ParseError(R"(a=="\'")"), HasSubstr("illegal escape sequence"));
  EXPECT_THAT(ParseError("a==\"x\ny\""), HasSubstr("quoted literal not terminated"));
  EXPECT_EQ(ParseError("\"a"), "filters: parse error: [ >|\"|< a]: quoted literal not terminated");
}

TEST(Parse, SlashAndPipeQuotedRegexes) {
  EXPECT_EQ(MustParse(R"(ref~=/a\/b/)")[0].value, "a/b");
  EXPECT_EQ(MustParse(R"(ref~=|a\|b|)")[0].value, "a|b");
  EXPECT_EQ(MustParse("ref~=/a|b/")[0].value, "a|b");
  EXPECT_EQ(MustParse("ref~=|a/b|")[0].value, "a/b");
  // Inside a literal, backslashes are Go escapes first: \d must be doubled,
  // or the regex left bare.
  EXPECT_THAT(ParseError(R"(ref~=/\d+/)"), HasSubstr("illegal escape sequence"));
  EXPECT_EQ(MustParse(R"(ref~=/\\d+/)")[0].value, "\\d+");
  EXPECT_EQ(MustParse(R"(ref~=\d+)")[0].value, "\\d+");
}

TEST(Parse, Whitespace) {
  EXPECT_EQ(MustParse(" digest == sha256:abc"),
            (Conjunction{Sel({"digest"}, Op::kEqual, "sha256:abc")}));
  EXPECT_EQ(MustParse("\ta\n==\nb"), (Conjunction{Sel({"a"}, Op::kEqual, "b")}));
  EXPECT_EQ(MustParse("a, b"), (Conjunction{Sel({"a"}, Op::kPresent), Sel({"b"})}));
  EXPECT_EQ(MustParse("a. b"), (Conjunction{Sel({"a", "b"})}));
  // Not after a selector, though.
  EXPECT_EQ(ParseError("digest==sha256:abc "),
            "filters: parse error: [digest==sha256:abc >| |< ]: unexpected input:  ");
  EXPECT_EQ(ParseError("ref==a b"), "filters: parse error: [ref==a >| |< b]: unexpected input:  ");
  EXPECT_EQ(ParseError("a ,b"),
            R"(filters: parse error: [a  >|,|< b]: expected an operator ("=="|"!="|"~="))");
  EXPECT_THAT(ParseError("a==b\n"), HasSubstr("unexpected input"));
  EXPECT_EQ(ParseError("   "), "filters: parse error: [   ]: expected field or quoted");
}

TEST(Parse, NulAndInvalidUtf8AreErrors) {
  EXPECT_THAT(ParseError(std::string_view("a==b\0", 5)), HasSubstr("unexpected input"));
  EXPECT_THAT(ParseError(std::string_view("a\0", 2)), HasSubstr("unexpected null"));
  EXPECT_THAT(ParseError(std::string_view("a==\"\0\"", 6)), HasSubstr("unexpected null"));
  EXPECT_THAT(ParseError("a==\"\xff\""), HasSubstr("rune error"));
  EXPECT_THAT(ParseError("\xc3"), HasSubstr("rune error"));
  EXPECT_THAT(ParseError("a==x\xed\xa0\x80"), HasSubstr("unexpected input"));  // a surrogate
  // Like Go, a literal U+FFFD cannot be told from a decoding error.
  EXPECT_THAT(ParseError("a==\"\xef\xbf\xbd\""), HasSubstr("rune error"));
  // Control and format characters end a bare value.
  EXPECT_THAT(ParseError("a==x\x01"), HasSubstr("unexpected input"));
  EXPECT_THAT(ParseError("a==x\xe2\x80\x8by"), HasSubstr("unexpected input"));  // U+200B
}

TEST(Parse, ErrorMarksWholeCharacters) {
  EXPECT_EQ(ParseError("a==x\xc2\xa0"),  // NO-BREAK SPACE after a value
            "filters: parse error: [a==x >|\xc2\xa0|< ]: unexpected input: \xc2\xa0");
}

TEST(Parse, ErrorsContainTheInput) {
  for (const char* bad : {"labels.x=y", "a==b c", "lables.\"x", "a~=(", "x,,y"}) {
    Result<Conjunction> r = Parse(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_TRUE(r.status().IsInvalidArgument());
    std::string without_marker = r.status().message();
    for (const char* m : {" >|", "|< "}) {
      const size_t at = without_marker.find(m);
      if (at != std::string::npos) without_marker.erase(at, 3);
    }
    EXPECT_THAT(without_marker, HasSubstr(bad)) << r.status().message();
  }
}

TEST(Parse, SeveralSelectors) {
  EXPECT_EQ(MustParse(R"(a,b==1,c!="2",d~=/3/,labels."x.y"==z)"),
            (Conjunction{Sel({"a"}), Sel({"b"}, Op::kEqual, "1"), Sel({"c"}, Op::kNotEqual, "2"),
                         Sel({"d"}, Op::kMatches, "3"), Sel({"labels", "x.y"}, Op::kEqual, "z")}));
}

TEST(Parse, EmptyStringMatchesAll) { EXPECT_EQ(MustParse(""), Conjunction{}); }

TEST(ParseAll, MatchesAll) {
  Result<Filter> none = ParseAll({});
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->any.empty());
  EXPECT_TRUE(none->matches_all());

  Result<Filter> with_empty = ParseAll({"labels.a", ""});
  ASSERT_TRUE(with_empty.ok());
  EXPECT_EQ(with_empty->any.size(), 2u);
  EXPECT_TRUE(with_empty->matches_all());

  Result<Filter> one = ParseAll({"labels.a"});
  ASSERT_TRUE(one.ok());
  EXPECT_FALSE(one->matches_all());
}

TEST(ParseAll, AnyBadStringIsAnError) {
  Result<Filter> f = ParseAll({"labels.a", "labels.b=1"});
  ASSERT_FALSE(f.ok());
  EXPECT_TRUE(f.status().IsInvalidArgument());
  EXPECT_THAT(f.status().message(), HasSubstr("labels.b"));
}

TEST(ToString, QuotesOnlyWhereNeeded) {
  EXPECT_EQ(ToString(Sel({"labels", "containerd.io/gc.root"})),
            R"(labels."containerd.io/gc.root")");
  EXPECT_EQ(ToString(Sel({"digest"}, Op::kEqual, "sha256:abc")), "digest==sha256:abc");
  EXPECT_EQ(ToString(Sel({"a"}, Op::kNotEqual, "x y")), R"(a!="x y")");
  EXPECT_EQ(ToString(Sel({"a"}, Op::kNotEqual, "")), R"(a!="")");
  EXPECT_EQ(ToString(Sel({"ref"}, Op::kMatches, "^a\\d")), R"(ref~=^a\d)");
  EXPECT_EQ(ToString(Sel({"a"}, Op::kEqual, ".x")), R"(a==".x")");
  EXPECT_EQ(ToString(Sel({"a"}, Op::kEqual, "q\"\\\n\x01")), R"(a=="q\"\\\n\x01")");
}

TEST(ToString, ParsesBackToTheSameSelector) {
  const std::vector<Selector> selectors = {
      Sel({"labels", "containerd.io/gc.ref.content.l.0"}, Op::kEqual, "sha256:abc"),
      Sel({"a b", ""}, Op::kNotEqual, ",=!~\"'|/."),
      Sel({"x"}, Op::kMatches, "^(a|b)\\.c$"),
      Sel({"x"}, Op::kEqual, std::string("\0\xff\xef\xbf\xbd\xc3\xa9\t", 8)),
      Sel({"é"}, Op::kEqual, "é"),
  };
  for (const Selector& s : selectors) {
    const std::string text = ToString(s);
    Result<Conjunction> back = Parse(text);
    ASSERT_TRUE(back.ok()) << text << ": " << back.status().ToString();
    EXPECT_EQ(*back, Conjunction{s}) << text;
  }
}

}  // namespace
}  // namespace contentstore::filter
