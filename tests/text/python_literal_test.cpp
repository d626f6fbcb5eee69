// The Python literal reader behind jieba's HMM files: values, escapes, and errors that name the
// file and line.
#include "anvil/text/python_literal.h"

#include <gtest/gtest.h>

namespace anvil::text {
namespace {

TEST(PythonLiteralTest, ParsesNestedDictsStringsAndNumbers) {
  const std::string src =
      "from __future__ import unicode_literals\n"
      "# a comment\n"
      "Q = 1\n"
      "P={'B': {'\\u4e2d': -3.14e+100, \"x\\\\'y\": 2, '\\U0001F600': 1_000},\n"
      "   'E': -0.5,}\n";
  auto v = parse_python_assignment(src, "P", "prob.py");
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  ASSERT_EQ(v->kind, PyValue::Kind::kDict);
  ASSERT_EQ(v->items.size(), 2u);
  const PyValue* b = v->find("B");
  ASSERT_NE(b, nullptr);
  ASSERT_EQ(b->items.size(), 3u);
  EXPECT_EQ(b->items[0].first, "中");
  EXPECT_EQ(b->items[0].second.number, -3.14e100);
  EXPECT_EQ(b->items[1].first, "x\\'y");
  EXPECT_EQ(b->items[2].first, "\U0001F600");
  EXPECT_EQ(b->items[2].second.number, 1000);
  EXPECT_EQ(v->find("E")->number, -0.5);
  EXPECT_EQ(v->find("M"), nullptr);
  // Python's shortest repr reads back to the same double.
  auto exact = parse_python_assignment("P=-3.6544978750449433\n", "P", "x.py");
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(exact->number, -3.6544978750449433);
}

TEST(PythonLiteralTest, FindsOnlyTheNamedTopLevelAssignment) {
  auto v = parse_python_assignment("PP = 1\nP == 2\nP = 3\n", "P", "x.py");
  ASSERT_TRUE(v.ok()) << v.status().to_string();
  EXPECT_EQ(v->number, 3);
  EXPECT_EQ(parse_python_assignment("Q = 1\n", "P", "x.py").status(),
            core::Status::corrupt("x.py: expected an assignment 'P=...' at the start of a line, found none"));
}

TEST(PythonLiteralTest, ErrorsNameFileLineAndWhatWasFound) {
  struct Case {
    std::string src, message;
  };
  const std::vector<Case> cases = {
      {"P={'a' 1}", "p.py:1: expected ':' after dict key, found '1'"},
      {"P={'a': 1\n 'b': 2}", "p.py:2: expected ',' or '}' in dict, found '''"},
      {"P={1: 2}", "p.py:1: expected a string dict key, found '1'"},
      {"P={'a': 'unterminated}\n", "p.py:1: unterminated string"},
      {"P={'a': '\\q'}", "p.py:1: unsupported string escape \\q"},
      {"P={'a': '\\u12'}", "p.py:1: expected 4 hex digits after \\u"},
      {"P={'a': 1.2.3e}", "p.py:1: expected a number, found '1.2.3e'"},
      {"P={'a': None}", "p.py:1: expected a dict, string or number, found 'N'"},
      {"P={'a':", "p.py:1: expected a value, found the end of the file"},
  };
  for (const auto& c : cases) {
    auto v = parse_python_assignment(c.src, "P", "p.py");
    EXPECT_EQ(v.status(), core::Status::corrupt(c.message)) << c.src;
  }
}

TEST(PythonLiteralTest, DeepNestingIsAnErrorNotACrash) {
  std::string src = "P=";
  for (int i = 0; i < 100; ++i) src += "{'a': ";
  auto v = parse_python_assignment(src, "P", "p.py");
  EXPECT_EQ(v.status(), core::Status::corrupt("p.py:1: nesting deeper than 16 levels"));
}

}  // namespace
}  // namespace anvil::text
