// SentencePiece unigram (UGM, tokenizer model "t5") on a hand-made XLM-R-shaped vocabulary: the
// Viterbi picks the highest total score (segmentations worked out by hand below), unknown code
// points become one <unk> per run, whitespace handling with and without remove_extra_whitespaces,
// the precompiled charsmap (longest rule wins, deletions, rejection of malformed blobs), CJK and
// emoji, empty input, BOS/EOS policy and decoding.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/precompiled_charsmap.h"
#include "anvil/text/tokenizer.h"
#include "anvil/text/ugm_tokenizer.h"
#include "text/charsmap_builder.h"

namespace anvil::text {
namespace {

using Ids = std::vector<TokenId>;

#define SP "\xE2\x96\x81"  // U+2581, "▁"

// XLM-R's special tokens first (<s> <pad> </s> <unk>), then pieces with log-probability scores.
enum : TokenId {
  kBos = 0, kPad, kEos, kUnk,
  kSp,       // ▁        -2
  kSpThe,    // ▁the     -3
  kSpCat,    // ▁cat     -4
  kSpCa,     // ▁ca      -5
  kT,        // t        -3.5
  kS,        // s        -3
  kSpCats,   // ▁cats    -9   (▁cat + s = -7 wins)
  kA,        // a        -4
  kC,        // c        -4
  kSpC,      // ▁c       -4.5
  kZhong,    // 中       -5
  kWen,      // 文       -5
  kZhongWen, // 中文     -6   (beats 中 + 文 = -10)
  kSpZhong,  // ▁中      -5.5
  kGrin,     // 😀       -8
  kBang,     // !        -3
  kUser,     // <sep-user> user-defined (score ignored: 0)
  kPadded,   // [PAD21]  unused, -10000
};

TokenizerVocab ugm_vocab() {
  TokenizerVocab v;
  v.model = "t5";
  auto add = [&v](std::string text, float score, TokenType type) {
    v.tokens.push_back(std::move(text));
    v.scores.push_back(score);
    v.token_types.push_back(type);
  };
  add("<s>", 0, TokenType::kControl);
  add("<pad>", 0, TokenType::kControl);
  add("</s>", 0, TokenType::kControl);
  add("<unk>", 0, TokenType::kUnknown);
  const std::pair<const char*, float> normal[] = {
      {SP, -2},          {SP "the", -3},     {SP "cat", -4},         {SP "ca", -5},
      {"t", -3.5f},      {"s", -3},          {SP "cats", -9},        {"a", -4},
      {"c", -4},         {SP "c", -4.5f},    {"\xE4\xB8\xAD", -5},   {"\xE6\x96\x87", -5},
      {"\xE4\xB8\xAD\xE6\x96\x87", -6},      {SP "\xE4\xB8\xAD", -5.5f},
      {"\xF0\x9F\x98\x80", -8},              {"!", -3}};
  for (const auto& [text, score] : normal) add(text, score, TokenType::kNormal);
  add("<sep-user>", -100, TokenType::kUserDefined);
  add("[PAD21]", -10000, TokenType::kUnused);
  v.bos = kBos, v.pad = kPad, v.eos = kEos, v.unk = kUnk;
  v.add_bos = true, v.add_eos = true;
  v.add_space_prefix = true;
  v.remove_extra_whitespaces = true;
  return v;
}

std::unique_ptr<Tokenizer> make(TokenizerVocab v) {
  auto t = Tokenizer::create(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

std::string normalized(const Tokenizer& t, std::string_view text) {
  return dynamic_cast<const UgmTokenizer&>(t).normalize(text);
}

TEST(TokenizerUgm, PicksTheHighestTotalScore) {
  auto t = make(ugm_vocab());
  EXPECT_EQ(t->encode("the cat", false, false), (Ids{kSpThe, kSpCat}));  // -7
  // ▁cat s (-7) beats ▁cats (-9) and ▁ca t s (-11.5).
  EXPECT_EQ(t->encode("cats", false, false), (Ids{kSpCat, kS}));
  // Without the leading space, "cat" has only c a t (-11.5).
  auto v = ugm_vocab();
  v.add_space_prefix = false;
  v.remove_extra_whitespaces = false;
  EXPECT_EQ(make(v)->encode("cat", false, false), (Ids{kC, kA, kT}));
}

TEST(TokenizerUgm, ChineseAndEmoji) {
  auto t = make(ugm_vocab());
  // ▁ 中文 (-8) beats ▁中 文 (-10.5) and ▁ 中 文 (-12).
  EXPECT_EQ(t->encode("中文", false, false), (Ids{kSp, kZhongWen}));
  // ▁中 alone (-5.5) beats ▁ 中 (-7).
  EXPECT_EQ(t->encode("中", false, false), (Ids{kSpZhong}));
  EXPECT_EQ(t->encode("😀!", false, false), (Ids{kSp, kGrin, kBang}));
  EXPECT_EQ(t->decode({kSp, kGrin, kBang}, false), "😀!");
}

TEST(TokenizerUgm, UnknownCodePointsMergeIntoOneUnk) {
  auto t = make(ugm_vocab());
  // x y z have no token: each scores min normal score (-9) - 10; the run becomes one <unk>.
  EXPECT_EQ(t->encode("xyz", false, false), (Ids{kSp, kUnk}));
  // 😺 (4 bytes, no token) between known pieces: one <unk> for the whole code point.
  EXPECT_EQ(t->encode("a😺a", false, false), (Ids{kSp, kA, kUnk, kA}));
  // A newline is not a space without a charsmap rule: unknown.
  EXPECT_EQ(t->encode("the\ncat", false, false), (Ids{kSpThe, kUnk, kC, kA, kT}));
}

TEST(TokenizerUgm, WhitespaceRunsWithAndWithoutMerging) {
  auto t = make(ugm_vocab());
  EXPECT_EQ(normalized(*t, "  the   cat  "), SP "the" SP "cat");
  EXPECT_EQ(t->encode("  the   cat  ", false, false), (Ids{kSpThe, kSpCat}));
  EXPECT_EQ(t->encode("   ", false, false), Ids{});

  auto v = ugm_vocab();
  v.remove_extra_whitespaces = false;
  auto u = make(v);
  // Every space is a ▁; the prefix goes before the first word (after leading spaces).
  EXPECT_EQ(normalized(*u, "the   cat "), SP "the" SP SP SP "cat" SP);
  EXPECT_EQ(u->encode("the   cat", false, false), (Ids{kSpThe, kSp, kSp, kSpCat}));
  EXPECT_EQ(normalized(*u, "  the"), SP SP SP "the");
  EXPECT_EQ(u->encode("  the", false, false), (Ids{kSp, kSp, kSpThe}));
}

TEST(TokenizerUgm, EmptyInputAndSpecialTokens) {
  auto t = make(ugm_vocab());
  EXPECT_EQ(t->encode("", false, false), Ids{});
  EXPECT_EQ(t->encode("", true, false), (Ids{kBos, kEos}));
  EXPECT_EQ(t->encode("the cat", true, false), (Ids{kBos, kSpThe, kSpCat, kEos}));
  // Control texts are parsed only when asked; each fragment gets its own prefix space.
  EXPECT_EQ(t->encode("the</s>cat", false, true), (Ids{kSpThe, kEos, kSpCat}));
  // User-defined tokens split out always, and the Viterbi never sees them.
  EXPECT_EQ(t->encode("the<sep-user>cat", false, false), (Ids{kSpThe, kUser, kSpCat}));
}

TEST(TokenizerUgm, UnusedTokensTakePartButLose) {
  auto t = make(ugm_vocab());
  // "[PAD21]" is a piece of score -10000: the letters around unknowns cost less.
  const Ids ids = t->encode("[PAD21]", false, false);
  EXPECT_EQ(ids, (Ids{kSp, kUnk}));
  auto v = ugm_vocab();
  v.scores[kPadded] = 0;  // as likely as can be: now the piece wins
  EXPECT_EQ(make(v)->encode("[PAD21]", false, false), (Ids{kSp, kPadded}));
}

TEST(TokenizerUgm, DecodesBackToText) {
  auto t = make(ugm_vocab());
  const std::string text = "the cat 中文 😀!";
  const Ids ids = t->encode(text, true, false);
  EXPECT_EQ(t->decode(ids, false), text);
  EXPECT_EQ(t->decode(ids, true), "<s> the cat 中文 😀!</s>");
  EXPECT_EQ(t->token_to_piece(kSpCat, false), " cat");
  EXPECT_EQ(t->token_to_piece(kUnk, false), "");
  EXPECT_EQ(t->token_to_piece(kUnk, true), "<unk>");
  EXPECT_EQ(t->token_to_piece(kPadded, true), "");  // unused tokens render as nothing
}

TEST(TokenizerUgm, CharsmapRulesNormalizeTheText) {
  auto v = ugm_vocab();
  v.precompiled_charsmap = testing::build_charsmap({
      {"\n", " "},                          // control whitespace to a space
      {"x", "c"},                           // a one-byte rule ...
      {"xy", "ca"},                         // ... and a longer one sharing its prefix
      {"\xEF\xBC\xA1", "a"},                // U+FF21 FULLWIDTH A -> a
      {"\xE2\x80\x8B", ""},                 // U+200B ZERO WIDTH SPACE is deleted
      {"\xEF\xAC\x81", "fi"},               // U+FB01 LATIN SMALL LIGATURE FI
  });
  auto t = make(v);
  EXPECT_EQ(normalized(*t, "the\ncat"), SP "the" SP "cat");
  EXPECT_EQ(t->encode("the\ncat", false, false), (Ids{kSpThe, kSpCat}));
  EXPECT_EQ(normalized(*t, "xyt"), SP "cat");  // the longest rule wins
  EXPECT_EQ(t->encode("xyt", false, false), (Ids{kSpCat}));
  // "x" alone: ▁c t (-8) beats ▁ c t (-9.5).
  EXPECT_EQ(t->encode("xt", false, false), (Ids{kSpC, kT}));
  EXPECT_EQ(normalized(*t, "c\xEF\xBC\xA1t"), SP "cat");
  EXPECT_EQ(normalized(*t, "ca\xE2\x80\x8Bt"), SP "cat");
  EXPECT_EQ(normalized(*t, "\xEF\xAC\x81"), SP "fi");
  // Text no rule matches passes through; an ill-formed byte becomes U+FFFD.
  EXPECT_EQ(normalized(*t, "\xE4\xB8\xAD"), SP "\xE4\xB8\xAD");
  EXPECT_EQ(normalized(*t, "a\xFF"), SP "a\xEF\xBF\xBD");
}

TEST(PrecompiledCharsmap, ParsesRulesAndFindsTheLongest) {
  auto map = PrecompiledCharsmap::parse(testing::build_charsmap({{"ab", "X"}, {"a", "Y"}, {"abc", ""}}));
  ASSERT_TRUE(map.ok()) << map.status().message();
  EXPECT_EQ(map->n_rules(), 3u);
  EXPECT_EQ(map->longest_prefix("abd").replacement, "X");
  EXPECT_EQ(map->longest_prefix("abd").consumed, 2u);
  EXPECT_EQ(map->longest_prefix("abc").consumed, 3u);
  EXPECT_EQ(map->longest_prefix("abc").replacement, "");
  EXPECT_EQ(map->longest_prefix("a").replacement, "Y");
  EXPECT_EQ(map->longest_prefix("b").consumed, 0u);
  EXPECT_EQ(map->longest_prefix("").consumed, 0u);
  auto empty = PrecompiledCharsmap::parse("");
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
  EXPECT_EQ(empty->longest_prefix("abc").consumed, 0u);
}

std::string message_of(std::string_view blob) {
  auto map = PrecompiledCharsmap::parse(blob);
  return map.ok() ? "ok" : map.status().message();
}

TEST(PrecompiledCharsmap, RejectsMalformedBlobs) {
  const std::string good = testing::build_charsmap({{"ab", "X"}, {"a", "Y"}});
  ASSERT_EQ(message_of(good), "ok");
  EXPECT_EQ(message_of(std::string("\x08\x00", 2)),
            "precompiled charsmap: 2 bytes, expected at least the 4-byte trie size");
  EXPECT_EQ(message_of(std::string("\x06\x00\x00\x00xxxxxxxx", 12)),
            "precompiled charsmap: the trie size is 6 bytes, expected a positive multiple of 4");
  EXPECT_EQ(message_of(std::string("\x00\x04\x00\x00xxxxxxxx", 12)),
            "precompiled charsmap: the trie holds 1024 bytes but only 8 follow the size field");
  // The strings must end with NUL (else a lookup could run off the end).
  EXPECT_EQ(message_of(good.substr(0, good.size() - 1)),
            "precompiled charsmap: the replacement strings (3 bytes) do not end with a NUL byte");
  // A rule pointing past the strings: cut the strings short (keeping a final NUL).
  const size_t trie_end = 4 + (static_cast<uint8_t>(good[0]) | static_cast<uint8_t>(good[1]) << 8);
  std::string short_strings = good.substr(0, trie_end) + std::string("\0", 1);
  EXPECT_NE(message_of(short_strings).find("past the 1 bytes of strings"), std::string::npos)
      << message_of(short_strings);
  // A leaf that is not a value unit: clear bit 31 of every value unit.
  std::string no_values = good;
  for (size_t i = 4; i + 4 <= trie_end; i += 4) no_values[i + 3] = static_cast<char>(no_values[i + 3] & 0x7F);
  EXPECT_NE(message_of(no_values).find("which holds no value"), std::string::npos) << message_of(no_values);
  // The tokenizer refuses such a vocabulary with the parser's message.
  auto v = ugm_vocab();
  v.precompiled_charsmap = no_values;
  auto t = Tokenizer::create(v);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("precompiled charsmap"), std::string::npos);
}

TEST(TokenizerUgm, NeedsAnUnknownToken) {
  auto v = ugm_vocab();
  v.unk = -1;
  auto t = Tokenizer::create(v);
  ASSERT_FALSE(t.ok());
  EXPECT_NE(t.status().message().find("no unknown token"), std::string::npos) << t.status().message();
}

}  // namespace
}  // namespace anvil::text
