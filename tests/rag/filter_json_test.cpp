// The JSON form of filters (HTTP API): golden parses (JSON -> canonical text) and golden errors
// (JSON -> exact message naming the JSON path).
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "anvil/rag/filter.h"

namespace anvil::rag {
namespace {

struct Golden {
  const char* json;
  const char* expected;  // canonical text form, or the exact error message
};

class FilterJsonGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(FilterJsonGolden, Canonical) {
  const Golden& g = GetParam();
  core::Result<Filter> f = Filter::parse_json(g.json);
  ASSERT_TRUE(f.ok()) << g.json << "\n" << f.status().to_string();
  EXPECT_EQ(f->to_string(), g.expected) << g.json;
  if (!f->is_trivial()) {
    // The text form of a JSON filter parses to the same tree.
    core::Result<Filter> text = Filter::parse(f->to_string());
    ASSERT_TRUE(text.ok()) << text.status().to_string();
    EXPECT_EQ(text->root(), f->root());
  }
}

INSTANTIATE_TEST_SUITE_P(
    Filters, FilterJsonGolden,
    ::testing::Values(
        Golden{R"({})", ""},
        Golden{R"({"type":"csv"})", "type = \"csv\""},
        Golden{R"({"type":"csv","rating":4})", "type = \"csv\" and rating = 4"},
        Golden{R"({"in_stock":true})", "in_stock = true"},
        Golden{R"({"price":9.5})", "price = 9.5"},
        Golden{R"({"n":18446744073709551615})", "n = 18446744073709551616.0"},
        Golden{R"({"rating":{"$eq":4}})", "rating = 4"},
        Golden{R"({"rating":{"$ne":4}})", "rating != 4"},
        Golden{R"({"rating":{"$gt":4}})", "rating > 4"},
        Golden{R"({"rating":{"$gte":4}})", "rating >= 4"},
        Golden{R"({"rating":{"$lt":4}})", "rating < 4"},
        Golden{R"({"rating":{"$lte":4}})", "rating <= 4"},
        Golden{R"({"rating":{"$gte":2,"$lt":4}})", "rating >= 2 and rating < 4"},
        Golden{R"({"brand":{"$in":["Acme","小米"]}})", "brand in [\"Acme\", \"小米\"]"},
        Golden{R"({"brand":{"$nin":[]}})", "brand not in []"},
        Golden{R"({"equipment":{"$exists":true}})", "equipment exists"},
        Golden{R"({"equipment":{"$exists":false}})", "not equipment exists"},
        Golden{R"({"timestamp":{"$gte":{"$date":"2024-01-01"}}})", "timestamp >= 2024-01-01T00:00:00Z"},
        Golden{R"({"timestamp":{"$date":"2024-01-01T08:00:00+08:00"}})", "timestamp = 2024-01-01T00:00:00Z"},
        Golden{R"({"t":{"$in":[{"$date":"2024-01-01"},"x"]}})", "t in [2024-01-01T00:00:00Z, \"x\"]"},
        Golden{R"({"product.brand":"x"})", "product.brand = \"x\""},
        Golden{R"({"my field":"x"})", "`my field` = \"x\""},
        Golden{R"({"$and":[{"brand":{"$in":["Acme"]}},{"rating":{"$gte":4}}]})",
               "brand in [\"Acme\"] and rating >= 4"},
        Golden{R"({"$or":[{"a":1},{"b":2}],"c":3})", "(a = 1 or b = 2) and c = 3"},
        Golden{R"({"$not":{"a":1}})", "not a = 1"},
        Golden{R"({"$not":{"a":1,"b":2}})", "not (a = 1 and b = 2)"},
        Golden{R"({"$and":[{"$or":[{"a":1},{"$not":{"b":{"$lt":2}}}]}]})", "a = 1 or not b < 2"}));

class FilterJsonErrorGolden : public ::testing::TestWithParam<Golden> {};

TEST_P(FilterJsonErrorGolden, ExactMessage) {
  const Golden& g = GetParam();
  core::Result<Filter> f = Filter::parse_json(g.json);
  ASSERT_FALSE(f.ok()) << g.json << " parsed as " << f->to_string();
  EXPECT_EQ(f.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(f.status().message(), g.expected) << g.json;
}

INSTANTIATE_TEST_SUITE_P(
    Filters, FilterJsonErrorGolden,
    ::testing::Values(
        Golden{R"([1,2])", "filter: expected a JSON object at $, found an array"},
        Golden{R"("type")", "filter: expected a JSON object at $, found string \"type\""},
        Golden{R"({"$and":3})", "filter: expected a non-empty array of filters for '$and' at $.$and, found number 3"},
        Golden{R"({"$or":[]})", "filter: expected a non-empty array of filters for '$or' at $.$or, found []"},
        Golden{R"({"$and":[{"a":1},"b"]})", "filter: expected a JSON object at $.$and[1], found string \"b\""},
        Golden{R"({"$not":[{"a":1}]})", "filter: expected a JSON object at $.$not, found an array"},
        Golden{R"({"$nor":[{"a":1}]})", "filter: expected '$and', '$or', '$not' or a field name at $, found '$nor'"},
        Golden{R"({"":1})", "filter: expected '$and', '$or', '$not' or a field name at $, found ''"},
        Golden{R"({"a":null})", "filter: expected a string, number, boolean or {\"$date\": ...} for '$eq' at $.a, found null"},
        Golden{R"({"a":[1,2]})", "filter: expected a value or an object of operators for field 'a' at $.a, found an array (use $in to match any of several values)"},
        Golden{R"({"a":{}})", "filter: expected at least one operator for field 'a' at $.a, found {}"},
        Golden{R"({"a":{"$regex":"x"}})", "filter: expected one of $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists at $.a, found '$regex'"},
        Golden{R"({"a":{"b":1}})", "filter: expected one of $eq, $ne, $gt, $gte, $lt, $lte, $in, $nin, $exists at $.a, found 'b'"},
        Golden{R"({"a":{"$gt":true}})", "filter: expected a number, string or {\"$date\": ...} for '$gt' at $.a.$gt, found true (booleans have no order)"},
        Golden{R"({"a":{"$lte":[1]}})", "filter: expected a string, number, boolean or {\"$date\": ...} for '$lte' at $.a.$lte, found an array"},
        Golden{R"({"a":{"$in":"x"}})", "filter: expected an array of values for '$in' at $.a.$in, found string \"x\""},
        Golden{R"({"a":{"$nin":[1,{"b":2}]}})", "filter: expected a string, number, boolean or {\"$date\": ...} for '$nin' at $.a.$nin[1], found an object"},
        Golden{R"({"a":{"$exists":1}})", "filter: expected true or false for '$exists' at $.a.$exists, found number 1"},
        Golden{R"({"a":{"$gte":{"$date":"2024-13-01"}}})", "filter: expected an ISO 8601 date or datetime string for '$date' at $.a.$gte.$date, found string \"2024-13-01\""},
        Golden{R"({"a":{"$date":5}})", "filter: expected an ISO 8601 date or datetime string for '$date' at $.a.$date, found number 5"},
        Golden{R"({"a":1)", "filter: invalid JSON at byte 6: incomplete JSON"},
        Golden{R"({"a":1} x)", "filter: invalid JSON at byte 8: extra data"},
        Golden{R"({"a":tru})", "filter: invalid JSON at byte 5: syntax error"}));

TEST(FilterJson, AcceptsAParsedValue) {
  const boost::json::value v = boost::json::parse(R"({"type": "csv"})");
  core::Result<Filter> f = Filter::from_json(v);
  ASSERT_TRUE(f.ok());
  EXPECT_EQ(f->to_string(), "type = \"csv\"");
  EXPECT_TRUE(Filter::from_json(boost::json::object{})->is_trivial());
}

TEST(FilterJson, NestingIsBounded) {
  std::string deep;
  for (int k = 0; k < 30; ++k) deep += R"({"$not":)";
  deep += R"({"a":1})";
  for (int k = 0; k < 30; ++k) deep += "}";
  EXPECT_TRUE(Filter::parse_json(deep).ok());
  // Deeper than Boost.JSON's own limit (32) fails as invalid JSON, before our parser runs.
  std::string deeper;
  for (int k = 0; k < 70; ++k) deeper += R"({"$not":)";
  deeper += R"({"a":1})";
  for (int k = 0; k < 70; ++k) deeper += "}";
  core::Result<Filter> f = Filter::parse_json(deeper);
  ASSERT_FALSE(f.ok());
  EXPECT_EQ(f.status().code(), core::StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace anvil::rag
