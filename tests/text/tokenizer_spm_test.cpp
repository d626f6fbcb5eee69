// SentencePiece BPE on hand-made vocabularies: merge order by score, leftmost tie-breaking, byte
// fallback, unknown characters, the space prefix, BOS/EOS policy and decoding.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/tokenizer.h"

namespace anvil::text {
namespace {

using Ids = std::vector<TokenId>;

// 0 <unk>, 1 <s>, 2 </s>, 3 <0x0A>, 4 <0xC3>, 5 <0xA9>, then normal pieces with their scores.
TokenizerVocab spm_vocab(const std::vector<std::pair<std::string, float>>& pieces) {
  TokenizerVocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>", "<0x0A>", "<0xC3>", "<0xA9>"};
  v.scores = {0, 0, 0, 0, 0, 0};
  v.token_types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl,
                   TokenType::kByte,    TokenType::kByte,    TokenType::kByte};
  for (const auto& [text, score] : pieces) {
    v.tokens.push_back(text);
    v.scores.push_back(score);
    v.token_types.push_back(TokenType::kNormal);
  }
  v.unk = 0;
  v.bos = 1;
  v.eos = 2;
  v.add_bos = true;
  return v;
}

std::unique_ptr<Tokenizer> make(TokenizerVocab v) {
  auto t = Tokenizer::create(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

// Ids of the normal pieces: 6, 7, ... in the order given.
constexpr TokenId kFirst = 6;

TEST(TokenizerSpm, MergesHighestScoreFirst) {
  // ▁ a b c: "ab" (-1) beats "▁a" (-2); then "▁ab" (-3) beats "abc" (-4).
  auto t = make(spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"b", -10}, {"c", -10},
                           {"\xE2\x96\x81" "a", -2}, {"ab", -1}, {"\xE2\x96\x81" "ab", -3}, {"abc", -4}}));
  EXPECT_EQ(t->encode("abc", false, false), (Ids{kFirst + 6, kFirst + 3}));  // ▁ab c

  // The other way round: "▁a" first, then "▁ab"; "abc" can no longer form.
  auto u = make(spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"b", -10}, {"c", -10},
                           {"\xE2\x96\x81" "a", -1}, {"ab", -2}, {"\xE2\x96\x81" "ab", -5}, {"bc", -3}}));
  EXPECT_EQ(u->encode("abc", false, false), (Ids{kFirst + 4, kFirst + 7}));  // ▁a bc
}

TEST(TokenizerSpm, EqualScoresMergeLeftmostFirst) {
  auto t = make(spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"aa", -1}}));
  // "▁aaaaa": pairs a-a tie; leftmost first gives aa aa a, not a aa aa.
  EXPECT_EQ(t->encode("aaaaa", false, false), (Ids{kFirst, kFirst + 2, kFirst + 2, kFirst + 1}));
}

TEST(TokenizerSpm, SpacePrefixAndEscapedSpaces) {
  auto v = spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"\xE2\x96\x81" "a", -1}, {"\xE2\x96\x81\xE2\x96\x81", -2}});
  auto t = make(v);
  EXPECT_EQ(t->encode("a", false, false), (Ids{kFirst + 2}));
  EXPECT_EQ(t->encode(" a", false, false), (Ids{kFirst, kFirst + 2}));  // ▁▁a: "▁a" outscores "▁▁"
  EXPECT_EQ(t->encode("", false, false), Ids{});
  v.add_space_prefix = false;
  auto u = make(v);
  EXPECT_EQ(u->encode("a", false, false), (Ids{kFirst + 1}));
  EXPECT_EQ(u->encode("a a", false, false), (Ids{kFirst + 1, kFirst + 2}));
}

TEST(TokenizerSpm, UnknownCharactersFallBackToBytesThenUnk) {
  auto t = make(spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}}));
  // "é" is C3 A9: both bytes have <0xXX> tokens. "z" has neither a piece nor a byte token.
  EXPECT_EQ(t->encode("a\xC3\xA9z\n", false, false), (Ids{kFirst, kFirst + 1, 4, 5, 0, 3}));
}

TEST(TokenizerSpm, BosEosFollowTheVocabularyPolicy) {
  auto v = spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"\xE2\x96\x81" "a", -1}});
  EXPECT_EQ(make(v)->encode("a", true, false), (Ids{1, kFirst + 2}));
  v.add_eos = true;
  EXPECT_EQ(make(v)->encode("a", true, false), (Ids{1, kFirst + 2, 2}));
  v.add_bos = false;
  EXPECT_EQ(make(v)->encode("a", true, false), (Ids{kFirst + 2, 2}));
  EXPECT_EQ(make(v)->encode("", true, false), (Ids{2}));
}

TEST(TokenizerSpm, DecodeUndoesTheSpacePrefix) {
  auto t = make(spm_vocab({{"\xE2\x96\x81", -10}, {"a", -10}, {"b", -10}, {"\xE2\x96\x81" "a", -1}}));
  const std::string text = "a ba\xC3\xA9\n";
  const Ids ids = t->encode(text, false, false);
  EXPECT_EQ(t->decode(ids, false), text);
  Ids with_bos = t->encode(text, true, false);
  ASSERT_EQ(with_bos.front(), 1);
  EXPECT_EQ(t->decode(with_bos, false), text);
  EXPECT_EQ(t->decode(with_bos, true), "<s> " + text);
  EXPECT_EQ(t->token_to_piece(kFirst + 3, false), " a");
  EXPECT_EQ(t->token_to_piece(4, false), "\xC3");
  EXPECT_EQ(t->token_to_piece(1, false), "");
  EXPECT_EQ(t->token_to_piece(1, true), "<s>");
  EXPECT_EQ(t->token_to_piece(999, true), "");
}

}  // namespace
}  // namespace anvil::text
