// WordPiece on a hand-made vocabulary: BERT normalization (lowercase, accents, punctuation, CJK),
// greedy longest match with llama.cpp's "▁" word starts, [UNK] words, [CLS]/[SEP] framing.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/tokenizer.h"
#include "anvil/text/wordpiece_tokenizer.h"

namespace anvil::text {
namespace {

using Ids = std::vector<TokenId>;

#define W "\xE2\x96\x81"  // the word-start mark

TokenizerVocab bert_vocab() {
  TokenizerVocab v;
  v.model = "bert";
  v.tokens = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", W "hello", W "world", W "un", "aff", "able", "a",
              W "!",   W ",",   W "\xE4\xB8\xAD" /* 中 */, W "cafe", W "$", W "\xF0\x9F\xA6\x99" /* 🦙 */};
  v.token_types = {TokenType::kControl, TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
  v.token_types.resize(v.tokens.size(), TokenType::kNormal);
  v.pad = 0;
  v.unk = 1;
  v.cls = v.bos = 2;
  v.sep = 3;
  v.add_bos = true;
  v.add_sep = true;
  v.add_space_prefix = false;
  v.clean_spaces = true;
  return v;
}

std::unique_ptr<Tokenizer> make(TokenizerVocab v) {
  auto t = Tokenizer::create(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(TokenizerWordPiece, NormalizesAndSplitsLikeBert) {
  auto t = make(bert_vocab());
  auto* wp = dynamic_cast<WordPieceTokenizer*>(t.get());
  ASSERT_NE(wp, nullptr);
  EXPECT_EQ(wp->words("Hello,WORLD!  Café\t中文 $5 a\xE2\x80\x8D" "b"),
            (std::vector<std::string>{"hello", ",", "world", "!", "cafe", "\xE4\xB8\xAD", "\xE6\x96\x87", "$", "5",
                                      "ab"}));
  // Non-ASCII symbols stay inside words; "İ" keeps the first code point of its NFD form, "I".
  EXPECT_EQ(wp->words("x\xF0\x9F\xA6\x99y \xC4\xB0"), (std::vector<std::string>{"x\xF0\x9F\xA6\x99y", "i"}));
}

TEST(TokenizerWordPiece, GreedyLongestMatchWithUnknownWords) {
  auto t = make(bert_vocab());
  EXPECT_EQ(t->encode("Hello, world! unaffable", false, false), (Ids{4, 11, 5, 10, 6, 7, 8}));
  // "unaffablex": "x" matches nothing, so the whole word is [UNK]; "中文": 文 is unknown.
  EXPECT_EQ(t->encode("unaffablex 中文", false, false), (Ids{1, 12, 1}));
  EXPECT_EQ(t->encode("Café", false, false), (Ids{13}));
  EXPECT_EQ(t->encode("", false, false), Ids{});
}

TEST(TokenizerWordPiece, FramesWithClsAndSep) {
  auto t = make(bert_vocab());
  EXPECT_EQ(t->encode("hello", true, false), (Ids{2, 4, 3}));
  EXPECT_EQ(t->encode("", true, false), (Ids{2, 3}));
  EXPECT_EQ(t->encode("[CLS] hello", false, true), (Ids{2, 4}));
}

TEST(TokenizerWordPiece, KeepsCaseAndAccentsWhenTold) {
  auto v = bert_vocab();
  v.lowercase = false;
  v.strip_accents = false;
  auto t = make(v);
  auto* wp = dynamic_cast<WordPieceTokenizer*>(t.get());
  EXPECT_EQ(wp->words("Café"), (std::vector<std::string>{"Café"}));
  v.lowercase = true;
  auto u = make(v);
  // Lowercase without accent stripping: U+0130 stays itself (its full lowercase is two code points).
  EXPECT_EQ(dynamic_cast<WordPieceTokenizer*>(u.get())->words("Café \xC4\xB0"),
            (std::vector<std::string>{"café", "\xC4\xB0"}));
}

TEST(TokenizerWordPiece, DecodesPieces) {
  auto t = make(bert_vocab());
  EXPECT_EQ(t->decode({2, 4, 11, 5, 10, 6, 7, 8, 3}, false), " hello, world! unaffable");
  EXPECT_EQ(t->decode({2, 4, 3}, true), "[CLS] hello[SEP]");
}

TEST(TokenizerWordPiece, ChineseCharacterRanges) {
  EXPECT_TRUE(is_bert_chinese_char(U'\u4E2D'));
  EXPECT_TRUE(is_bert_chinese_char(U'\U00020000'));
  EXPECT_FALSE(is_bert_chinese_char(U'\U0002B820'));  // Hugging Face's range starts at 2B920
  EXPECT_FALSE(is_bert_chinese_char(U'\u3042'));      // hiragana is not split out
}

}  // namespace
}  // namespace anvil::text
