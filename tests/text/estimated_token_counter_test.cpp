#include "anvil/text/estimated_token_counter.h"

#include <string>

#include <gtest/gtest.h>

namespace anvil::text {
namespace {

TEST(EstimatedTokenCounter, RulesByCharacterClass) {
  const EstimatedTokenCounter c;
  EXPECT_EQ(c.count(""), 0u);
  EXPECT_EQ(c.count(" "), 0u);
  EXPECT_EQ(c.count("pump"), 1u);
  EXPECT_EQ(c.count("the pump"), 2u);
  EXPECT_EQ(c.count("maintenance"), 2u);  // 11 letters: 10 + 3*3 = 19 tenths
  EXPECT_EQ(c.count("abcdefgh"), 1u);     // 8 letters: one token
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("abcdefghi"), 13u);
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("123"), 13u);     // one group of three digits
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("1234"), 23u);    // two groups
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("..."), 20u);     // 10 + 5 + 5
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("\n\n"), 10u);    // one line-break run
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("a  b"), 30u);    // two spaces cost a token
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("🔧"), 20u);
}

TEST(EstimatedTokenCounter, ChineseIsAboutOneTokenPerCharacter) {
  const EstimatedTokenCounter c;
  EXPECT_EQ(c.count("空压机"), 3u);
  EXPECT_EQ(c.count("空压机的排气温度过高，怎么办？"), 15u);  // 13 characters + 2 punctuation
  EXPECT_EQ(c.count("日本語のテキスト"), 8u);
  EXPECT_EQ(c.count("한국어"), 3u);
}

TEST(EstimatedTokenCounter, MixedText) {
  const EstimatedTokenCounter c;
  // "P" 1 + "-" 1 + "200" 1.3 + " " 0 + 离心泵 3 = 6.3 -> 7
  EXPECT_EQ(c.count("P-200 离心泵"), 7u);
  // Non-ASCII letters weigh two: "café" has weight 5 -> one token.
  EXPECT_EQ(c.count("café"), 1u);
  EXPECT_EQ(EstimatedTokenCounter::count_tenths("ünïcödé"), 10u + 3u * (11u - 8u));
}

TEST(EstimatedTokenCounter, IsAdditiveAtWhitespaceBoundaries) {
  // The chunker sums the counts of pieces that end in whitespace; that sum must not undercount.
  const EstimatedTokenCounter c;
  const std::string a = "Replace the mechanical seal every 8,000 hours. ";
  const std::string b = "每运行8000小时更换一次机械密封。\n\n";
  const std::string d = "Check alignment.";
  EXPECT_EQ(EstimatedTokenCounter::count_tenths(a + b + d),
            EstimatedTokenCounter::count_tenths(a) + EstimatedTokenCounter::count_tenths(b) +
                EstimatedTokenCounter::count_tenths(d));
  EXPECT_LE(c.count(a + b + d), c.count(a) + c.count(b) + c.count(d));
}

TEST(EstimatedTokenCounter, TypicalEnglishProseIsAboutFourAndAHalfBytesPerToken) {
  // Calibrated against cl100k/o200k on SciFact (docs/CHUNKING.md); this sentence has 19 such
  // tokens in cl100k_base.
  const EstimatedTokenCounter c;
  const std::string s =
      "Alterations of the architecture of cerebral white matter in the developing human brain can "
      "affect cortical development.";
  EXPECT_GE(c.count(s), 19u);
  EXPECT_LE(c.count(s), 26u);
}

TEST(EstimatedTokenCounter, InvalidUtf8DoesNotCrash) {
  const EstimatedTokenCounter c;
  EXPECT_GT(c.count("abc\xFF\xFE def"), 0u);
}

}  // namespace
}  // namespace anvil::text
