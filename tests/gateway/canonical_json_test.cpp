#include "anvil/gateway/canonical_json.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

namespace anvil::gateway {
namespace {

std::string canon(std::string_view json) { return canonical_json(boost::json::parse(json)); }

TEST(CanonicalJsonTest, Golden) {
  EXPECT_EQ(canon(R"({ "b": [3, 2.50, {"z":null,"a":true}], "a": "x\"y\u00e9" })"),
            R"({"a":"x\"yé","b":[3,2.5,{"a":true,"z":null}]})");
  EXPECT_EQ(canon("[1.0, 1e0, 1, -0.0, 0.7, 1e300, 18446744073709551615, -9007199254740993]"),
            "[1,1,1,0,0.7,1e+300,18446744073709551615,-9007199254740993]");
  // 2^53 and beyond: the shortest round-trip form, which fmt writes without exponent up to 16 digits.
  EXPECT_EQ(canon("9007199254740992.0"), "9007199254740992");
  EXPECT_EQ(canon("1e17"), "1e+17");
}

TEST(CanonicalJsonTest, SameMeaningSameText) {
  EXPECT_EQ(canon(R"({"temperature":1.0,"messages":[{"role":"user","content":"hi"}]})"),
            canon(R"({"messages":[{"content":"hi","role":"user"}],"temperature":1})"));
  EXPECT_NE(canon(R"({"a":[1,2]})"), canon(R"({"a":[2,1]})"));  // order of arrays matters
  EXPECT_NE(canon(R"({"a":"1"})"), canon(R"({"a":1})"));
}

TEST(CanonicalJsonTest, ExcludesTopLevelMembersOnly) {
  boost::json::object body = boost::json::parse(R"({"user":"u1","x":{"user":"kept"}})").as_object();
  EXPECT_EQ(canonical_json(body, {"user"}), R"({"x":{"user":"kept"}})");
}

}  // namespace
}  // namespace anvil::gateway
