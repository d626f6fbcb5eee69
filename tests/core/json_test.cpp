#include "anvil/core/json.h"

#include <gtest/gtest.h>

namespace anvil::core {
namespace {

namespace json = boost::json;

std::string parse_error(std::string_view text) {
  Result<json::value> r = parse_json(text);
  EXPECT_FALSE(r.ok()) << text;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  return r.status().message();
}

json::object object_of(std::string_view text) {
  Result<json::value> r = parse_json(text);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() && r->is_object() ? r->get_object() : json::object();
}

TEST(JsonTest, ParsesDocuments) {
  Result<json::value> r = parse_json(R"({"name": "说明书", "pages": 3, "tags": ["a", "b"]})");
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->at("name").as_string(), "说明书");
  EXPECT_EQ(r->at("pages").as_int64(), 3);
  EXPECT_EQ(r->at("tags").as_array().size(), 2u);
  EXPECT_TRUE(parse_json("  42\n").ok());
  EXPECT_TRUE(parse_json("null").ok());
}

TEST(JsonTest, ParseErrorsGiveLineAndColumn) {
  EXPECT_EQ(parse_error("{\"a\": 1,}"), "invalid JSON at line 1, column 9: syntax error");
  EXPECT_EQ(parse_error("{\n  \"a\": tru\n}"), "invalid JSON at line 2, column 8: syntax error");
  EXPECT_EQ(parse_error("[1, 2"), "invalid JSON at line 1, column 6: incomplete JSON");
  EXPECT_EQ(parse_error(""), "invalid JSON at line 1, column 1: incomplete JSON");
  EXPECT_EQ(parse_error("{\"a\": 1} x"),
            "invalid JSON at line 1, column 10: unexpected text after the JSON value");
  EXPECT_EQ(parse_error("1 2"), "invalid JSON at line 1, column 3: unexpected text after the JSON value");
}

TEST(JsonTest, ColumnsCountCharactersNotBytes) {
  // Each Chinese character is 3 bytes in UTF-8 but one column in an editor.
  EXPECT_EQ(parse_error("{\"标题\": x}"), "invalid JSON at line 1, column 8: syntax error");
}

TEST(JsonTest, DescribesValues) {
  EXPECT_EQ(describe_json(json::value(nullptr)), "null");
  EXPECT_EQ(describe_json(json::value(true)), "boolean true");
  EXPECT_EQ(describe_json(json::value(3)), "number 3");
  EXPECT_EQ(describe_json(json::value(2.5)), "number 2.5");
  EXPECT_EQ(describe_json(json::value("five")), "string \"five\"");
  EXPECT_EQ(describe_json(json::value("say \"hi\"")), "string \"say \\\"hi\\\"\"");
  EXPECT_EQ(describe_json(json::object()), "object");
  EXPECT_EQ(describe_json(json::array()), "an empty array");
  EXPECT_EQ(describe_json(json::array{1}), "an array of 1 element");
  EXPECT_EQ(describe_json(json::array{1, "x", nullptr}), "an array of 3 elements");
  EXPECT_EQ(describe_json(json::value(std::string(50, 'a'))),
            "string \"" + std::string(40, 'a') + "...\"");
  // Cut by characters, never inside a UTF-8 sequence.
  std::string chinese;
  for (int i = 0; i < 45; ++i) chinese += "好";
  std::string forty;
  for (int i = 0; i < 40; ++i) forty += "好";
  EXPECT_EQ(describe_json(json::value(chinese)), "string \"" + forty + "...\"");
}

TEST(JsonTest, TypedFieldAccessors) {
  json::object o = object_of(
      R"({"title": "手册", "rating": 4, "score": 0.5, "big": 3.0, "ok": true,
          "meta": {"k": 1}, "tags": ["x"], "nothing": null})");
  EXPECT_EQ(*get_string(o, "title"), "手册");
  EXPECT_EQ(*get_int(o, "rating"), 4);
  EXPECT_EQ(*get_int(o, "big"), 3);
  EXPECT_DOUBLE_EQ(*get_double(o, "score"), 0.5);
  EXPECT_DOUBLE_EQ(*get_double(o, "rating"), 4.0);
  EXPECT_TRUE(*get_bool(o, "ok"));
  EXPECT_EQ((*get_object(o, "meta"))->size(), 1u);
  EXPECT_EQ((*get_array(o, "tags"))->size(), 1u);
}

TEST(JsonTest, TypedFieldErrorsNameFieldExpectedAndFound) {
  json::object o = object_of(
      R"({"rating": "five", "count": 2.5, "flag": 1, "meta": [], "tags": {}, "name": null,
          "huge": 18446744073709551615})");
  EXPECT_EQ(get_double(o, "rating").status().message(),
            "field 'rating': expected a number, found string \"five\"");
  EXPECT_EQ(get_int(o, "count").status().message(),
            "field 'count': expected an integer, found number 2.5");
  EXPECT_EQ(get_int(o, "huge").status().message(),
            "field 'huge': expected an integer that fits in 64 bits, found number "
            "18446744073709551615");
  EXPECT_EQ(get_bool(o, "flag").status().message(),
            "field 'flag': expected a boolean, found number 1");
  EXPECT_EQ(get_object(o, "meta").status().message(),
            "field 'meta': expected an object, found an empty array");
  EXPECT_EQ(get_array(o, "tags").status().message(),
            "field 'tags': expected an array, found object");
  EXPECT_EQ(get_string(o, "name").status().message(),
            "field 'name': expected a string, found null");
  EXPECT_EQ(get_string(o, "missing").status().message(),
            "missing field 'missing' (expected a string)");
  EXPECT_EQ(get_string(o, "missing").status().code(), StatusCode::kInvalidArgument);
}

TEST(JsonTest, OptionalFields) {
  json::object o = object_of(R"({"a": "x", "n": null, "bad": 3})");
  EXPECT_EQ(**get_optional_string(o, "a"), "x");
  EXPECT_FALSE(get_optional_string(o, "n")->has_value());
  EXPECT_FALSE(get_optional_string(o, "absent")->has_value());
  EXPECT_FALSE(get_optional_int(o, "absent")->has_value());
  EXPECT_FALSE(get_optional_double(o, "absent")->has_value());
  EXPECT_FALSE(get_optional_bool(o, "absent")->has_value());
  EXPECT_EQ(**get_optional_int(o, "bad"), 3);
  EXPECT_EQ(get_optional_string(o, "bad").status().message(),
            "field 'bad': expected a string, found number 3");
  EXPECT_EQ(get_optional_bool(o, "a").status().message(),
            "field 'a': expected a boolean, found string \"x\"");
}

TEST(JsonTest, ValueConversionsUseTheCallersName) {
  json::value v = json::array{"a", 5};
  const json::array& a = v.get_array();
  EXPECT_EQ(*as_string(a[0], "element 1 of 'tags'"), "a");
  EXPECT_EQ(as_string(a[1], "element 2 of 'tags'").status().message(),
            "element 2 of 'tags': expected a string, found number 5");
}

}  // namespace
}  // namespace anvil::core
