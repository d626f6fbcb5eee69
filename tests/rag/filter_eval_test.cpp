// Filter evaluation semantics against JSON metadata (the BM25 index applies the same evaluator to
// its stored metadata; bm25_index_test checks that path): every operator, arrays, missing
// fields, mismatched types, ISO 8601 instants, nested objects. Plus the ISO 8601 parser.
#include <string>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "anvil/rag/filter.h"
#include "anvil/rag/filter_time.h"

namespace anvil::rag {
namespace {

const boost::json::object& meta() {
  static const boost::json::object m = boost::json::parse(R"({
    "type": "csv",
    "brand": "小米",
    "rating": 4,
    "price": 9.5,
    "big": 18446744073709551615,
    "in_stock": true,
    "tags": ["urgent", "seal", 7],
    "empty": [],
    "nothing": null,
    "timestamp": "2024-01-15T08:00:00+08:00",
    "day": "2024-01-15",
    "not_a_time": "yesterday",
    "product": {"specs": {"mass": 120}},
    "a.b": "dotted key"
  })").as_object();
  return m;
}

// Evaluates the text filter `text` against meta().
bool eval(const std::string& text) {
  core::Result<Filter> f = Filter::parse(text);
  EXPECT_TRUE(f.ok()) << text << ": " << f.status().to_string();
  return f.ok() && f->matches(meta());
}

TEST(FilterEval, Equality) {
  EXPECT_TRUE(eval("type = 'csv'"));
  EXPECT_FALSE(eval("type = 'CSV'"));  // byte-wise, case-sensitive
  EXPECT_TRUE(eval("brand = '小米'"));
  EXPECT_TRUE(eval("rating = 4"));
  EXPECT_TRUE(eval("rating = 4.0"));  // numbers compare by value, int or float
  EXPECT_TRUE(eval("price = 9.5"));
  EXPECT_TRUE(eval("in_stock = true"));
  EXPECT_FALSE(eval("in_stock = false"));
  EXPECT_TRUE(eval("big > 1e19"));
}

TEST(FilterEval, MismatchedTypesAreFalseEvenNegated) {
  EXPECT_FALSE(eval("rating = '4'"));
  EXPECT_FALSE(eval("rating != '4'"));
  EXPECT_FALSE(eval("type = 1"));
  EXPECT_FALSE(eval("type != 1"));
  EXPECT_FALSE(eval("in_stock = 1"));
  EXPECT_FALSE(eval("type < 5"));
  EXPECT_FALSE(eval("rating in ['4', true]"));
  EXPECT_FALSE(eval("rating not in ['4', true]"));
  // `not` is plain negation, so it turns a false comparison into true.
  EXPECT_TRUE(eval("not rating = '4'"));
}

TEST(FilterEval, Ordering) {
  EXPECT_TRUE(eval("rating > 3"));
  EXPECT_FALSE(eval("rating > 4"));
  EXPECT_TRUE(eval("rating >= 4"));
  EXPECT_TRUE(eval("rating < 4.5"));
  EXPECT_TRUE(eval("rating <= 4"));
  EXPECT_FALSE(eval("rating < 4"));
  EXPECT_TRUE(eval("price > 9"));
  EXPECT_TRUE(eval("price < 10"));
  // Strings order by UTF-8 bytes, which is code point order.
  EXPECT_TRUE(eval("type > 'abc'"));
  EXPECT_TRUE(eval("type < 'd'"));
  EXPECT_TRUE(eval("brand > 'z'"));  // 小 (U+5C0F) sorts after ASCII
}

TEST(FilterEval, NotEqual) {
  EXPECT_TRUE(eval("type != 'pdf'"));
  EXPECT_FALSE(eval("type != 'csv'"));
  EXPECT_TRUE(eval("rating != 5"));
  EXPECT_FALSE(eval("rating != 4"));
}

TEST(FilterEval, InAndNotIn) {
  EXPECT_TRUE(eval("brand in ['Acme', '小米']"));
  EXPECT_FALSE(eval("brand in ['Acme', 'Globex']"));
  EXPECT_TRUE(eval("rating in [1, 4]"));
  EXPECT_FALSE(eval("rating in []"));
  EXPECT_TRUE(eval("brand not in ['Acme', 'Globex']"));
  EXPECT_FALSE(eval("brand not in ['Acme', '小米']"));
  EXPECT_FALSE(eval("brand not in []"));  // nothing comparable: false, like a mismatched type
}

TEST(FilterEval, ArraysMatchWhenAnyElementDoes) {
  EXPECT_TRUE(eval("tags = 'seal'"));
  EXPECT_TRUE(eval("tags = 7"));
  EXPECT_FALSE(eval("tags = 'pump'"));
  EXPECT_TRUE(eval("tags > 6"));
  EXPECT_TRUE(eval("tags in ['pump', 'urgent']"));
  // != and not in: some element is comparable and none is equal.
  EXPECT_FALSE(eval("tags != 'seal'"));
  EXPECT_TRUE(eval("tags != 'pump'"));
  EXPECT_TRUE(eval("tags not in ['pump', 8]"));
  EXPECT_FALSE(eval("tags not in ['pump', 7]"));
  EXPECT_FALSE(eval("tags != true"));  // no boolean element to compare with
  EXPECT_FALSE(eval("empty = 1"));
  EXPECT_FALSE(eval("empty != 1"));
  EXPECT_TRUE(eval("empty exists"));
}

TEST(FilterEval, MissingAndNullFields) {
  for (const char* field : {"absent", "nothing"}) {
    const std::string f = field;
    EXPECT_FALSE(eval(f + " = 1"));
    EXPECT_FALSE(eval(f + " != 1"));
    EXPECT_FALSE(eval(f + " < 1"));
    EXPECT_FALSE(eval(f + " in [1]"));
    EXPECT_FALSE(eval(f + " not in [1]"));
    EXPECT_FALSE(eval(f + " exists"));
    EXPECT_TRUE(eval("not " + f + " exists"));
    EXPECT_TRUE(eval("not " + f + " = 1"));
  }
  EXPECT_TRUE(eval("type exists"));
  EXPECT_FALSE(eval("product exists"));  // an object is not a filterable value
}

TEST(FilterEval, DatesCompareAsInstants) {
  // "2024-01-15T08:00:00+08:00" is 2024-01-15T00:00:00Z.
  EXPECT_TRUE(eval("timestamp = 2024-01-15"));
  EXPECT_TRUE(eval("timestamp = 2024-01-15T00:00:00Z"));
  EXPECT_TRUE(eval("timestamp >= 2024-01-01 and timestamp < 2024-02-01T00:00:00Z"));
  EXPECT_FALSE(eval("timestamp > 2024-01-15T00:00:00Z"));
  EXPECT_TRUE(eval("timestamp < 2024-01-15T00:00:01Z"));
  EXPECT_TRUE(eval("timestamp < 2024-01-15T08:00:00.5+08:00"));
  EXPECT_TRUE(eval("day = 2024-01-15"));
  EXPECT_TRUE(eval("day < 2024-01-15T00:00:00.000001Z"));
  // A string that is not a timestamp does not compare with a date, either way.
  EXPECT_FALSE(eval("not_a_time < 2030-01-01"));
  EXPECT_FALSE(eval("not_a_time != 2030-01-01"));
  EXPECT_FALSE(eval("rating < 2030-01-01"));
  // Compared with a string literal, a timestamp string is just a string.
  EXPECT_TRUE(eval("day = '2024-01-15'"));
  EXPECT_FALSE(eval("timestamp = '2024-01-15T00:00:00Z'"));
}

TEST(FilterEval, DottedNamesFindKeysAndNestedObjects) {
  EXPECT_TRUE(eval("product.specs.mass = 120"));
  EXPECT_FALSE(eval("product.specs.weight exists"));
  EXPECT_FALSE(eval("product.specs exists"));
  EXPECT_TRUE(eval("`a.b` = 'dotted key'"));
  EXPECT_TRUE(eval("a.b = 'dotted key'"));  // the literal key wins over a path
}

TEST(FilterEval, BooleanOperators) {
  EXPECT_TRUE(eval("type = 'csv' and rating = 4"));
  EXPECT_FALSE(eval("type = 'csv' and rating = 5"));
  EXPECT_TRUE(eval("type = 'pdf' or rating = 4"));
  EXPECT_FALSE(eval("type = 'pdf' or rating = 5"));
  EXPECT_TRUE(eval("not type = 'pdf'"));
  EXPECT_TRUE(eval("type = 'pdf' or rating = 5 or tags = 'seal'"));
  EXPECT_TRUE(eval("type = \"csv\" and (rating >= 4 or brand in [\"Acme\", \"小米\"]) and not "
                   "equipment = 'P-200' and timestamp >= 2024-01-01 and timestamp < "
                   "2024-02-01T00:00:00Z"));
  EXPECT_TRUE(Filter().matches(meta()));
  EXPECT_TRUE(Filter().matches(boost::json::object{}));
}

TEST(FilterEval, JsonFormEvaluatesAlike) {
  auto eval_json = [](const char* json) {
    core::Result<Filter> f = Filter::parse_json(json);
    EXPECT_TRUE(f.ok()) << json << ": " << f.status().to_string();
    return f.ok() && f->matches(meta());
  };
  EXPECT_TRUE(eval_json(R"({"type":"csv"})"));
  EXPECT_TRUE(eval_json(R"({"$and":[{"brand":{"$in":["Acme","小米"]}},{"rating":{"$gte":4}}]})"));
  EXPECT_FALSE(eval_json(R"({"rating":{"$gt":2,"$lt":4}})"));
  EXPECT_TRUE(eval_json(R"({"timestamp":{"$lt":{"$date":"2024-01-15T00:00:01Z"}}})"));
  EXPECT_TRUE(eval_json(R"({"absent":{"$exists":false}})"));
  EXPECT_TRUE(eval_json(R"({"$not":{"tags":{"$nin":["seal"]}}})"));
  EXPECT_TRUE(eval_json(R"({"$or":[{"type":"pdf"},{"tags":"urgent"}]})"));
}

TEST(Iso8601, ParsesDatesAndDatetimes) {
  constexpr int64_t kDay = 86400000000LL;
  EXPECT_EQ(parse_iso8601_micros("1970-01-01"), 0);
  EXPECT_EQ(parse_iso8601_micros("1970-01-02"), kDay);
  EXPECT_EQ(parse_iso8601_micros("1969-12-31T23:59:59Z"), -1000000);
  EXPECT_EQ(parse_iso8601_micros("2000-03-01T00:00:00Z"), (10957 + 60) * kDay);
  EXPECT_EQ(parse_iso8601_micros("2024-01-15T08:00:00+08:00"), parse_iso8601_micros("2024-01-15"));
  EXPECT_EQ(parse_iso8601_micros("2024-01-15T08:00:00+0800"), parse_iso8601_micros("2024-01-15"));
  EXPECT_EQ(parse_iso8601_micros("2024-01-14T19:00-05"), parse_iso8601_micros("2024-01-15"));
  EXPECT_EQ(parse_iso8601_micros("2024-01-15 00:00:00"), parse_iso8601_micros("2024-01-15"));
  EXPECT_EQ(*parse_iso8601_micros("2024-01-15T00:00:00.25Z") - *parse_iso8601_micros("2024-01-15"), 250000);
  EXPECT_EQ(*parse_iso8601_micros("2024-01-15T00:00:00,000001Z") - *parse_iso8601_micros("2024-01-15"), 1);
  EXPECT_TRUE(parse_iso8601_micros("2024-02-29"));
  EXPECT_TRUE(parse_iso8601_micros("2000-02-29"));
  for (const char* bad : {"", "2024", "2024-1-01", "2024-01-1", "2023-02-29", "1900-02-29",
                          "2024-00-10", "2024-04-31", "2024-01-01T24:00", "2024-01-01T12",
                          "2024-01-01T12:60", "2024-01-01T12:00:61", "2024-01-01T12:00:00.",
                          "2024-01-01T12:00:00Zjunk", "2024-01-01X", "2024-01-01T12:00+25:00",
                          "yesterday"}) {
    EXPECT_FALSE(parse_iso8601_micros(bad)) << bad;
  }
  EXPECT_EQ(core::format_timestamp_micros(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(core::format_timestamp_micros(-1), "1969-12-31T23:59:59.999999Z");
  EXPECT_EQ(core::format_timestamp_micros(*parse_iso8601_micros("2024-02-29T13:14:15.5Z")),
            "2024-02-29T13:14:15.500000Z");
}

}  // namespace
}  // namespace anvil::rag
