#include "anvil/app/snippet.h"

#include <gtest/gtest.h>

#include "anvil/text/utf8.h"

namespace anvil::app {
namespace {

std::vector<std::string> terms(const rag::Analyzer& a, std::string_view q) {
  std::vector<std::string> out;
  a.analyze(q, out);
  return out;
}

TEST(SnippetTest, StartsAtTheSentenceWithTheMostQueryTerms) {
  auto en = rag::make_analyzer("en");
  ASSERT_TRUE(en.ok());
  std::string text = "The pump is blue.\n\nReplace the mechanical seal every 8000 hours. Check the bearings.";
  EXPECT_EQ(make_snippet(text, terms(**en, "seal replacement"), **en),
            "…Replace the mechanical seal every 8000 hours. Check the bearings.");
}

TEST(SnippetTest, NeverLongerThanTheBudgetEvenForLongChineseSentences) {
  auto zh = rag::make_analyzer("zh");
  ASSERT_TRUE(zh.ok());
  std::string sentence;
  for (int i = 0; i < 30; ++i) sentence += "压缩机排气温度过高时应检查冷却器";
  std::string text = "第一句。" + sentence + "。第三句。";
  auto q = terms(**zh, "排气温度");
  for (size_t budget : {2u, 10u, 50u, 200u}) {
    std::string s = make_snippet(text, q, **zh, budget);
    EXPECT_LE(text::count_code_points(s), budget) << s;
    EXPECT_TRUE(text::is_valid_utf8(s));
  }
}

TEST(SnippetTest, ChineseSentencesAreJoinedWithoutSpaces) {
  auto zh = rag::make_analyzer("zh");
  ASSERT_TRUE(zh.ok());
  EXPECT_EQ(make_snippet("检查密封。更换轴承。", terms(**zh, "密封"), **zh), "检查密封。更换轴承。");
}

}  // namespace
}  // namespace anvil::app
