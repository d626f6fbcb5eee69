// The flat lookup tables behind the tokenizers: text -> id and BPE pair -> merge.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/token_index.h"

namespace anvil::text {
namespace {

TEST(TokenizerIndex, FindsEveryTokenAndNothingElse) {
  StringTable tokens = {"a", "", "b", "\xE2\x96\x81hello", "ab"};
  for (int i = 0; i < 5000; ++i) tokens.push_back("t" + std::to_string(i));
  TokenIndex index;
  EXPECT_FALSE(index.build(tokens).has_value());
  for (size_t i = 0; i < tokens.size(); ++i) {
    if (!tokens[i].empty()) {
      EXPECT_EQ(index.find(tokens[i]), static_cast<TokenId>(i)) << tokens[i];
    }
  }
  EXPECT_EQ(index.find(""), -1);
  EXPECT_EQ(index.find("abc"), -1);
  EXPECT_EQ(index.find("t5000"), -1);
  EXPECT_EQ(TokenIndex().find("a"), -1);
}

TEST(TokenizerIndex, TheFirstOfEqualTextsWinsAndTheFirstDuplicateIsReported) {
  const StringTable tokens = {"", "x", "y", "", "x", "y"};
  TokenIndex index;
  const auto dup = index.build(tokens);
  ASSERT_TRUE(dup.has_value());
  EXPECT_EQ(dup->first, 1);  // empty texts are not tokens to compare
  EXPECT_EQ(dup->second, 4);
  EXPECT_EQ(index.find("x"), 1);
  EXPECT_EQ(index.find("y"), 2);
}

TEST(TokenizerIndex, MergeTableKeepsTheFirstMergeOfAPair) {
  MergeTable merges(3);
  merges.insert(1, 2, {0, 7});
  merges.insert(1, 2, {5, 9});
  merges.insert(2, 1, {1, -1});
  ASSERT_NE(merges.find(1, 2), nullptr);
  EXPECT_EQ(merges.find(1, 2)->rank, 0);
  EXPECT_EQ(merges.find(1, 2)->result, 7);
  EXPECT_EQ(merges.find(2, 1)->result, -1);
  EXPECT_EQ(merges.find(2, 2), nullptr);
  MergeTable many(10000);
  for (int i = 0; i < 10000; ++i) many.insert(i, i + 1, {i, i});
  for (int i = 0; i < 10000; ++i) ASSERT_EQ(many.find(i, i + 1)->rank, i);
  EXPECT_EQ(many.find(10000, 10001), nullptr);
}

}  // namespace
}  // namespace anvil::text
