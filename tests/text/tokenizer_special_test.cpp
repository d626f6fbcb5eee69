// Special tokens (llama.cpp's rules): control tokens only with parse_special, user-defined tokens
// always, longest token first, lstrip/rstrip, the SentencePiece space after a special token, the
// end-of-generation set; and the vocabulary checks with their exact messages.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/special_tokens.h"
#include "anvil/text/tokenizer.h"

namespace anvil::text {
namespace {

using Ids = std::vector<TokenId>;

#define SP "\xE2\x96\x81"

// SentencePiece vocabulary with every byte token (3..258) so any text encodes.
TokenizerVocab spm_with_specials() {
  TokenizerVocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {TokenType::kUnknown, TokenType::kControl, TokenType::kControl};
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    v.tokens.push_back(std::string("<0x") + kHex[b >> 4] + kHex[b & 15] + ">");
    v.token_types.push_back(TokenType::kByte);
  }
  for (const char* t : {SP, "a", "b", SP "a", SP "b"}) {  // 259..263
    v.tokens.push_back(t);
    v.token_types.push_back(TokenType::kNormal);
  }
  v.tokens.push_back("<|im_start|>");  // 264
  v.token_types.push_back(TokenType::kControl);
  v.tokens.push_back("<tool>");  // 265
  v.token_types.push_back(TokenType::kUserDefined);
  v.tokens.push_back("<|im_end|>");  // 266: NORMAL in the file, made CONTROL by the EOG rules
  v.token_types.push_back(TokenType::kNormal);
  v.scores.assign(v.tokens.size(), 0.0f);
  v.scores[262] = v.scores[263] = 1.0f;
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

TEST(TokenizerSpecial, ControlTokensOnlyWhenParsingSpecials) {
  auto t = make(spm_with_specials());
  // After a special token SentencePiece starts a new text with the space prefix again ("▁b").
  EXPECT_EQ(t->encode("a<|im_start|>b", false, true), (Ids{262, 264, 263}));
  const Ids literal = t->encode("a<|im_start|>b", false, false);
  EXPECT_EQ(literal.size(), 14u);  // ▁a, the 12 characters of "<|im_start|>" (bytes and "a"), "b"
  EXPECT_EQ(literal.back(), 261);
  EXPECT_EQ(t->decode(literal, false), "a<|im_start|>b");
  EXPECT_EQ(t->decode(t->encode("a<|im_start|>b", false, true), true), "a<|im_start|> b");
}

TEST(TokenizerSpecial, UserDefinedTokensAlwaysSplitOut) {
  auto t = make(spm_with_specials());
  EXPECT_EQ(t->encode("a<tool>", false, false), (Ids{262, 265}));
  EXPECT_EQ(t->token_to_piece(265, false), "<tool>");  // user-defined tokens always render
}

TEST(TokenizerSpecial, EndOfGenerationAndControlOverride) {
  auto t = make(spm_with_specials());
  EXPECT_TRUE(t->is_eog(2));    // eos
  EXPECT_TRUE(t->is_eog(266));  // <|im_end|>
  EXPECT_TRUE(t->is_control(266));
  EXPECT_EQ(t->vocab().eot, 266);
  EXPECT_FALSE(t->is_eog(264));
  EXPECT_FALSE(t->is_eog(-1));
  EXPECT_EQ(t->token_to_piece(266, false), "");
  EXPECT_EQ(t->find_token("<|im_end|>"), 266);
  EXPECT_EQ(t->find_token("nope"), -1);
}

TEST(TokenizerSpecial, LlamaCppEndOfGenerationWorkarounds) {
  // gpt-oss: with <|return|> and <|call|>, <|end|> only separates messages. FIM pad ends too.
  TokenizerVocab v;
  v.model = "gpt2";
  v.pre = "gpt-2";
  v.tokens = {"a", "b", "<|end|>", "<|return|>", "<|call|>", "<|fim_pad|>"};
  v.merges = {"a b"};
  auto t = make(v);
  EXPECT_FALSE(t->is_eog(2));
  EXPECT_EQ(t->token_type(2), TokenType::kUserDefined);
  EXPECT_EQ(t->vocab().eot, -1);
  EXPECT_TRUE(t->is_eog(3));
  EXPECT_TRUE(t->is_eog(4));
  EXPECT_TRUE(t->is_eog(5));
  EXPECT_TRUE(t->is_control(5));
  EXPECT_FALSE(t->is_eog(0));
  // Without <|return|>/<|call|>, <|end|> is Phi-3's end of turn.
  v.tokens = {"a", "b", "<|end|>"};
  auto u = make(v);
  EXPECT_TRUE(u->is_eog(2));
  EXPECT_EQ(u->vocab().eot, 2);
}

TEST(TokenizerSpecial, LongestTokenFirstAcrossTheText) {
  // llama.cpp splits with each token in turn, longest first: in "xyzw" the 3-byte "yzw" is found
  // before the 2-byte "xy", although "xy" starts earlier.
  TokenizerVocab v;
  v.tokens = {"xy", "yzw", "x"};
  v.token_types = {TokenType::kControl, TokenType::kControl, TokenType::kNormal};
  const auto specials = collect_special_tokens(v);
  ASSERT_EQ(specials.size(), 2u);
  EXPECT_EQ(specials[0].id, 1);
  std::vector<TextFragment> f;
  split_special_tokens("xyzwxy", specials, true, f);
  ASSERT_EQ(f.size(), 3u);
  EXPECT_EQ(f[0].id, -1);
  EXPECT_EQ(f[0].end, 1u);
  EXPECT_EQ(f[1].id, 1);
  EXPECT_EQ(f[2].id, 0);
  split_special_tokens("xyzwxy", specials, false, f);
  ASSERT_EQ(f.size(), 1u);
  split_special_tokens("", specials, true, f);
  EXPECT_TRUE(f.empty());
}

TEST(TokenizerSpecial, StripsWhitespaceAroundMarkedTokens) {
  auto v = spm_with_specials();
  v.rstrip_tokens = {264};
  v.lstrip_tokens = {265};
  auto t = make(v);
  EXPECT_EQ(t->encode("<|im_start|>\n a", false, true), (Ids{264, 262}));
  EXPECT_EQ(t->encode("a \t<tool>", false, false), (Ids{262, 265}));
}

TEST(TokenizerVocabChecks, ExactMessages) {
  auto err = [](TokenizerVocab v) { return Tokenizer::create(std::move(v)).status().message(); };
  TokenizerVocab v;
  v.model = "llama";
  EXPECT_EQ(err(v), "tokenizer vocabulary is empty");
  v.tokens = {"a", "b", "c"};
  v.scores = {0, 0};
  EXPECT_EQ(err(v), "tokenizer has 2 scores for 3 tokens");
  v.scores.clear();
  v.token_types = {TokenType::kNormal};
  EXPECT_EQ(err(v), "tokenizer has 1 token types for 3 tokens");
  v.token_types = {TokenType::kNormal, TokenType::kNormal, static_cast<TokenType>(9)};
  EXPECT_EQ(err(v), "token 2 has type 9, expected 0..6");
  v.token_types.clear();
  v.tokens = {"a", "b", "a"};
  EXPECT_EQ(err(v), "duplicate token 'a' at ids 0 and 2");
  v.tokens = {"a", "b", "c"};
  v.bos = 3;
  EXPECT_EQ(err(v), "bos token id 3 is out of range (vocabulary of 3 tokens)");
  v.bos = -1;
  v.add_bos = true;
  EXPECT_EQ(err(v), "add_bos is set but there is no bos token");
  v.add_bos = false;
  v.model = "rwkv";
  EXPECT_EQ(err(v), "unknown tokenizer model 'rwkv': expected llama (SentencePiece), gpt2 (byte-level BPE), bert "
                    "(WordPiece) or t5 (SentencePiece unigram)");
  v.model = "bert";
  v.add_sep = true;
  EXPECT_EQ(err(v), "add_sep is set but there is no sep token");
}

}  // namespace
}  // namespace anvil::text
