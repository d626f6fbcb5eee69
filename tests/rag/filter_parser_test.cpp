// The text form of filters: golden parses (input -> canonical text) and golden errors (input ->
// exact message).
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/rag/filter.h"

namespace anvil::rag {
namespace {

struct Golden {
  const char* input;
  const char* expected;  // canonical form, or the exact error message
};

class FilterParseGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(FilterParseGolden, Canonical) {
  const Golden& g = GetParam();
  core::Result<Filter> f = Filter::parse(g.input);
  ASSERT_TRUE(f.ok()) << g.input << "\n" << f.status().to_string();
  EXPECT_EQ(f->to_string(), g.expected) << g.input;
  // The canonical form parses back to the same tree.
  core::Result<Filter> again = Filter::parse(f->to_string());
  ASSERT_TRUE(again.ok()) << again.status().to_string();
  EXPECT_EQ(again->root(), f->root());
  EXPECT_EQ(again->fields(), f->fields());
}

INSTANTIATE_TEST_SUITE_P(
    Filters, FilterParseGolden,
    ::testing::Values(
        Golden{"type = \"csv\"", "type = \"csv\""},
        Golden{"type == 'csv'", "type = \"csv\""},
        Golden{"rating != 3", "rating != 3"},
        Golden{"rating<4", "rating < 4"},
        Golden{"rating<=4.5", "rating <= 4.5"},
        Golden{"rating >4", "rating > 4"},
        Golden{"rating>= -2", "rating >= -2"},
        Golden{"x = 1e3", "x = 1000.0"},
        Golden{"x = 2.50", "x = 2.5"},
        Golden{"x = +7", "x = 7"},
        Golden{"x = -0.25", "x = -0.25"},
        Golden{"x = .5", "x = 0.5"},
        Golden{"x = 99999999999999999999", "x = 1e+20"},
        Golden{"flag = true and other = FALSE", "flag = true and other = false"},
        Golden{"brand in [\"Acme\", '小米']", "brand in [\"Acme\", \"小米\"]"},
        Golden{"brand not in []", "brand not in []"},
        Golden{"brand NOT IN ['a',1,2.5,true,2024-01-01]",
               "brand not in [\"a\", 1, 2.5, true, 2024-01-01T00:00:00Z]"},
        Golden{"equipment exists", "equipment exists"},
        Golden{"not equipment exists", "not equipment exists"},
        Golden{"timestamp >= 2024-01-01", "timestamp >= 2024-01-01T00:00:00Z"},
        Golden{"t < 2024-02-01T00:00:00Z", "t < 2024-02-01T00:00:00Z"},
        Golden{"t < 2024-02-01T08:00:00+08:00", "t < 2024-02-01T00:00:00Z"},
        Golden{"t < 2024-02-01T08:00", "t < 2024-02-01T08:00:00Z"},
        Golden{"t = 2024-02-29T23:59:59.1234567Z", "t = 2024-02-29T23:59:59.123456Z"},
        Golden{"product.brand = 'x'", "product.brand = \"x\""},
        Golden{"品牌 = \"小米\"", "品牌 = \"小米\""},
        Golden{"`my field` = 1", "`my field` = 1"},
        Golden{"`and` = 1", "`and` = 1"},
        Golden{"`a``b` = 1", "`a``b` = 1"},
        Golden{"content-type = 'text/html'", "content-type = \"text/html\""},
        Golden{"s = 'it\\'s'", "s = \"it's\""},
        Golden{"s = \"say \\\"hi\\\"\\n\\ttab\\\\\"", "s = \"say \\\"hi\\\"\\n\\ttab\\\\\""},
        Golden{"s = '\\u5c0f\\u7c73 \\ud83d\\ude00 \\/'", "s = \"小米 😀 /\""},
        // Precedence: not > and > or; chains are n-ary.
        Golden{"a = 1 or b = 2 and c = 3", "a = 1 or (b = 2 and c = 3)"},
        Golden{"(a = 1 or b = 2) and c = 3", "(a = 1 or b = 2) and c = 3"},
        Golden{"a = 1 and b = 2 and c = 3 or d = 4", "(a = 1 and b = 2 and c = 3) or d = 4"},
        Golden{"not a = 1 and b = 2", "not a = 1 and b = 2"},
        Golden{"not (a = 1 and b = 2)", "not (a = 1 and b = 2)"},
        Golden{"not not a = 1", "not not a = 1"},
        Golden{"((a = 1))", "a = 1"},
        Golden{"a = 1 AND b = 2 Or c = 3", "(a = 1 and b = 2) or c = 3"},
        Golden{"type = \"csv\" and (rating >= 4 or brand in [\"Acme\", \"小米\"]) and not equipment = "
               "'P-200' and timestamp >= 2024-01-01 and timestamp < 2024-02-01T00:00:00Z",
               "type = \"csv\" and (rating >= 4 or brand in [\"Acme\", \"小米\"]) and not equipment = "
               "\"P-200\" and timestamp >= 2024-01-01T00:00:00Z and timestamp < 2024-02-01T00:00:00Z"}));

class FilterParseErrorGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(FilterParseErrorGolden, ExactMessage) {
  const Golden& g = GetParam();
  core::Result<Filter> f = Filter::parse(g.input);
  ASSERT_FALSE(f.ok()) << g.input << " parsed as " << f->to_string();
  EXPECT_EQ(f.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.status().message(), g.expected) << g.input;
}

INSTANTIATE_TEST_SUITE_P(
    Filters, FilterParseErrorGolden,
    ::testing::Values(
        Golden{"", "filter: expected a field name at column 1, found end of input"},
        Golden{"   ", "filter: expected a field name at column 4, found end of input"},
        Golden{"price_usd >= ", "filter: expected a value after '>=' at column 14, found end of input"},
        Golden{"rating >= and", "filter: expected a value after '>=' at column 11, found 'and'"},
        Golden{"rating = foo", "filter: expected a value after '=' at column 10, found 'foo'"},
        Golden{"rating > true",
               "filter: expected a number, string or date after '>' at column 10, found 'true' "
               "(booleans have no order)"},
        Golden{"= 3", "filter: expected a field name at column 1, found '='"},
        Golden{"and = 3", "filter: expected a field name at column 1, found 'and'"},
        Golden{"rating 3",
               "filter: expected an operator (= == != < <= > >= in, not in, exists) after field "
               "'rating' at column 8, found number 3"},
        Golden{"rating", "filter: expected an operator (= == != < <= > >= in, not in, exists) after "
                         "field 'rating' at column 7, found end of input"},
        Golden{"a = 1 b = 2", "filter: expected 'and', 'or' or end of input at column 7, found 'b'"},
        Golden{"a = 1)", "filter: expected 'and', 'or' or end of input at column 6, found ')'"},
        Golden{"(a = 1", "filter: expected ')' at column 7, found end of input"},
        Golden{"(a = 1 or", "filter: expected a field name at column 10, found end of input"},
        Golden{"a = 1 and not", "filter: expected a field name at column 14, found end of input"},
        Golden{"a in 'x'", "filter: expected '[' after 'in' at column 6, found string 'x'"},
        Golden{"a not 'x'", "filter: expected 'in' after 'not' at column 7, found string 'x'"},
        Golden{"a not in ['x' 'y']", "filter: expected ',' or ']' at column 15, found string 'y'"},
        Golden{"a in ['x',]", "filter: expected a value after ',' at column 11, found ']'"},
        Golden{"a in [", "filter: expected a value after '[' at column 7, found end of input"},
        Golden{"a in ['x'", "filter: expected ',' or ']' at column 10, found end of input"},
        Golden{"a = 'abc", "filter: unterminated string starting at column 5, expected \"'\""},
        Golden{"a = \"abc", "filter: unterminated string starting at column 5, expected '\"'"},
        Golden{"a = 'ab\\", "filter: unterminated string starting at column 5, expected \"'\""},
        Golden{"a = 'a\\qb'",
               "filter: invalid escape '\\q' at column 7: expected one of \\\" \\' \\\\ \\/ \\n \\t "
               "\\r \\b \\f \\uXXXX"},
        Golden{"a = '\\u12'",
               "filter: invalid \\u escape at column 6: expected 4 hex digits naming a character "
               "(surrogates in pairs)"},
        Golden{"a = '\\ud83d'",
               "filter: invalid \\u escape at column 6: expected 4 hex digits naming a character "
               "(surrogates in pairs)"},
        Golden{"a = 2024-13-01",
               "filter: invalid date '2024-13-01' at column 5: expected an ISO 8601 date or "
               "datetime such as 2024-01-31 or 2024-01-31T08:00:00Z"},
        Golden{"a = 2023-02-29",
               "filter: invalid date '2023-02-29' at column 5: expected an ISO 8601 date or "
               "datetime such as 2024-01-31 or 2024-01-31T08:00:00Z"},
        Golden{"a = 2024-01-01T25:00Z",
               "filter: invalid date '2024-01-01T25:00Z' at column 5: expected an ISO 8601 date or "
               "datetime such as 2024-01-31 or 2024-01-31T08:00:00Z"},
        Golden{"a = 5kg", "filter: invalid number '5kg' at column 5"},
        Golden{"a = 1.2.3", "filter: invalid number '1.2.3' at column 5"},
        Golden{"a ! 3", "filter: expected '!=' at column 3, found '!'"},
        Golden{"a = 1 && b = 2", "filter: unexpected character '&' at column 7"},
        Golden{"品牌 ＝ '小米'", "filter: expected an operator (= == != < <= > >= in, not in, exists) "
                            "after field '品牌' at column 4, found '＝'"},
        Golden{"小米 = 1 @", "filter: unexpected character '@' at column 8"},
        Golden{"a. = 1", "filter: expected a field name segment after '.' at column 3, found ' '"},
        Golden{"`` = 1", "filter: empty field name at column 1"},
        Golden{"`abc = 1", "filter: unterminated field name starting at column 1, expected '`'"}));

TEST(FilterParse, NestingIsBounded) {
  std::string deep;
  for (int k = 0; k < 100; ++k) deep += "(";
  deep += "a = 1";
  for (int k = 0; k < 100; ++k) deep += ")";
  core::Result<Filter> f = Filter::parse(deep);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().message(), "filter: nesting deeper than 64 levels at column 65");
  std::string nots;
  for (int k = 0; k < 30; ++k) nots += "not ";
  EXPECT_TRUE(Filter::parse(nots + "a = 1").ok());
}

TEST(FilterParse, FieldsAreNumberedInOrderOfFirstUse) {
  const Filter f = *Filter::parse("b = 1 or a = 2 or b = 3");
  EXPECT_EQ(f.fields(), (std::vector<std::string>{"b", "a"}));
  ASSERT_EQ(f.root().op, FilterOp::kOr);
  ASSERT_EQ(f.root().children.size(), 3u);
  EXPECT_EQ(f.root().children[2].field, 0u);
  EXPECT_EQ(f.root().children[1].values.front(), FilterLiteral::integer(2));
  EXPECT_TRUE(Filter().is_trivial());
  EXPECT_EQ(Filter().to_string(), "");
}

TEST(FilterParse, RandomInputNeverCrashesAndErrorsAreWellFormed) {
  // Token soup: every result is either a filter whose canonical form parses back identically, or
  // an invalid-argument error that starts with "filter: ".
  const std::vector<std::string> pieces = {
      "a", "b.c", "`x y`", "品牌", "=", "==", "!=", "<", "<=", ">", ">=", "in", "not", "and", "or",
      "exists", "(", ")", "[", "]", ",", "'s'", "\"小米\"", "'\\u00e9'", "1", "-2.5", "1e3",
      "true", "false", "2024-01-01", "2024-01-01T08:00:00+08:00", "'", "\\", "@", "!", " "};
  std::mt19937 rng(99);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) text += pieces[rng() % pieces.size()] + (rng() % 3 ? " " : "");
    core::Result<Filter> f = Filter::parse(text);
    if (!f.ok()) {
      ASSERT_EQ(f.status().code(), core::StatusCode::kInvalidArgument) << text;
      ASSERT_EQ(f.status().message().rfind("filter: ", 0), 0u) << text;
      continue;
    }
    core::Result<Filter> again = Filter::parse(f->to_string());
    ASSERT_TRUE(again.ok()) << text << " -> " << f->to_string();
    ASSERT_EQ(again->root(), f->root()) << text;
  }
}

}  // namespace
}  // namespace anvil::rag
