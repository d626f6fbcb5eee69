// The BPE pre-tokenizers split text as llama.cpp does: unmatched text stays a piece, expressions
// apply in sequence, '$' and lookaheads see only the current piece, U+0085 counts as whitespace.
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/bpe_pretokenizer.h"

namespace anvil::text {
namespace {

using Pieces = std::vector<std::string>;

Pieces split(std::string_view pre, std::string_view text) {
  auto p = BpePretokenizer::create(pre);
  EXPECT_TRUE(p.ok()) << p.status().message();
  std::vector<std::string_view> views;
  p->split(text, views);
  return Pieces(views.begin(), views.end());
}

TEST(BpePretokenizer, Gpt2) {
  EXPECT_EQ(split("gpt-2", "Hello world's  end\n"), (Pieces{"Hello", " world", "'s", " ", " end", "\n"}));
  EXPECT_EQ(split("gpt-2", "x 2024!! "), (Pieces{"x", " 2024", "!!", " "}));
  EXPECT_EQ(split("gpt-2", ""), Pieces{});
}

TEST(BpePretokenizer, Llama3GroupsDigitsByThree) {
  EXPECT_EQ(split("llama-bpe", "Hello 1234567 ab\n\n x"),
            (Pieces{"Hello", " ", "123", "456", "7", " ab", "\n\n", " x"}));
  EXPECT_EQ(split("llama-bpe", "I'M here"), (Pieces{"I", "'M", " here"}));
}

TEST(BpePretokenizer, Qwen2SplitsEveryDigit) {
  EXPECT_EQ(split("qwen2", "ab 123"), (Pieces{"ab", " ", "1", "2", "3"}));
}

TEST(BpePretokenizer, SequencesOfExpressions) {
  // deepseek-coder: newlines first, then letters, punctuation, CJK and single digits.
  EXPECT_EQ(split("deepseek-coder", "a1 b.\n中文"), (Pieces{"a", "1", " b", ".", "\n", "中文"}));
  // starcoder: digits one by one, then GPT-2's expression on what is left.
  EXPECT_EQ(split("starcoder", "v12 x"), (Pieces{"v", "1", "2", " x"}));
  // falcon: punctuation runs first; the last expression cuts "123" out of " 1234".
  EXPECT_EQ(split("falcon", "a,b 1234"), (Pieces{"a", ",", "b", " ", "123", "4"}));
}

TEST(BpePretokenizer, NextLineIsWhitespace) {
  // With U+0085 as whitespace, " \u0085b" is " ", "\u0085", "b" (not " \u0085" as punctuation).
  EXPECT_EQ(split("gpt-2", " \xC2\x85" "b"), (Pieces{" ", "\xC2\x85", "b"}));
}

TEST(BpePretokenizer, DollarMatchesOnlyAtThePieceEnd) {
  // Not before a final newline, as PCRE2 would by default (std::regex's '$' does not either).
  auto p = BpePretokenizer::from_patterns({"b$"});
  ASSERT_TRUE(p.ok());
  std::vector<std::string_view> v;
  p->split("ab\n", v);
  EXPECT_EQ(Pieces(v.begin(), v.end()), (Pieces{"ab\n"}));
  p->split("ab", v);
  EXPECT_EQ(Pieces(v.begin(), v.end()), (Pieces{"a", "b"}));
}

TEST(BpePretokenizer, Errors) {
  auto bad = BpePretokenizer::from_patterns({"(unclosed"});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "pre-tokenizer expression '(unclosed' does not compile at offset 9: missing closing parenthesis");
  EXPECT_FALSE(BpePretokenizer::create("nope").ok());
  for (std::string_view name : BpePretokenizer::known_names()) {
    EXPECT_TRUE(BpePretokenizer::create(name).ok()) << name;
  }
}

}  // namespace
}  // namespace anvil::text
