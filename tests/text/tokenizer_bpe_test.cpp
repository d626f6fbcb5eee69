// Byte-level BPE on hand-made vocabularies: merge ranks, stale pairs, ignore_merges, GPT-2's byte
// stand-ins, decoding and the merge-table errors.
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/bpe_tokenizer.h"
#include "anvil/text/tokenizer.h"
#include "anvil/text/utf8.h"
#include "anvil/text/vocab_tokenizer.h"

namespace anvil::text {
namespace {

using Ids = std::vector<TokenId>;

// Tokens: 0 <|endoftext|> (control), then the given ones (ids 1, 2, ...).
TokenizerVocab bpe_vocab(const std::vector<std::string>& tokens, const std::vector<std::string>& merges) {
  TokenizerVocab v;
  v.model = "gpt2";
  v.pre = "gpt-2";
  v.tokens = {"<|endoftext|>"};
  v.token_types = {TokenType::kControl};
  for (const auto& t : tokens) {
    v.tokens.push_back(t);
    v.token_types.push_back(TokenType::kNormal);
  }
  v.merges = merges;
  v.bos = v.eos = 0;
  v.add_space_prefix = false;
  return v;
}

const std::vector<std::string> kHelloTokens = {"h", "e", "l", "o", "\xC4\xA0" /* Ġ */, "w", "r", "d",
                                               "ll", "el", "he", "hell", "hello", "\xC4\xA0w", "or",
                                               "\xC4\xA0wor", "\xC4\xA0worl", "\xC4\xA0world"};

std::unique_ptr<Tokenizer> make(TokenizerVocab v) {
  auto t = Tokenizer::create(std::move(v));
  EXPECT_TRUE(t.ok()) << t.status().message();
  return std::move(t).value();
}

TEST(TokenizerBpe, MergesLowestRankFirst) {
  // "hello": l+l (rank 0) first, so e+l (rank 1) goes stale; then he, hell, hello.
  auto t = make(bpe_vocab(kHelloTokens, {"l l", "e l", "h e", "he ll", "hell o", "\xC4\xA0 w", "o r",
                                         "\xC4\xA0w or", "\xC4\xA0wor l", "\xC4\xA0worl d"}));
  EXPECT_EQ(t->encode("hello world", false, false), (Ids{13, 18}));
  EXPECT_EQ(t->decode({13, 18}, false), "hello world");
  // With e+l first, "ll" never forms and neither does "hello".
  auto u = make(bpe_vocab(kHelloTokens, {"e l", "l l", "h e", "he ll", "hell o"}));
  EXPECT_EQ(u->encode("hello", false, false), (Ids{1, 10, 3, 4}));  // h el l o
}

TEST(TokenizerBpe, IgnoreMergesTakesWholeTokens) {
  auto v = bpe_vocab(kHelloTokens, {"h e"});
  EXPECT_EQ(make(v)->encode("hello", false, false), (Ids{11, 3, 3, 4}));  // he l l o
  v.ignore_merges = true;
  EXPECT_EQ(make(v)->encode("hello", false, false), (Ids{13}));
}

TEST(TokenizerBpe, BytesWithoutTokensAreDropped) {
  // As in llama.cpp: a symbol that is not a token is spelled with the one-byte tokens of its GPT-2
  // characters' bytes; "ü" (C3 BC -> "Ã¼") has none.
  auto t = make(bpe_vocab(kHelloTokens, {"h e"}));
  EXPECT_EQ(t->encode("h\xC3\xBC", false, false), (Ids{1}));
}

TEST(TokenizerBpe, ByteStandInsRoundTrip) {
  for (int b = 0; b < 256; ++b) {
    const char32_t c = gpt2_byte_to_char(static_cast<uint8_t>(b));
    EXPECT_EQ(gpt2_char_to_byte(c), b);
  }
  EXPECT_EQ(gpt2_byte_to_char(' '), U'\u0120');  // Ġ
  EXPECT_EQ(gpt2_byte_to_char('\n'), U'\u010A');  // Ċ
  EXPECT_EQ(gpt2_byte_to_char('A'), U'A');
  EXPECT_EQ(gpt2_char_to_byte(U'\u4E00'), -1);
}

TEST(TokenizerBpe, FullByteVocabularyRoundTripsAnyText) {
  // 256 byte tokens and no merges beyond one: every input decodes back to itself.
  std::vector<std::string> tokens;
  for (int b = 0; b < 256; ++b) {
    std::string s;
    append_utf8(s, gpt2_byte_to_char(static_cast<uint8_t>(b)));
    tokens.push_back(s);
  }
  auto t = make(bpe_vocab(tokens, {"h e"}));
  for (std::string text : {"Hello, world!", " \t\n  x", "离心泵 🦙 é", "a\xFF" "b"}) {
    std::string expected = text;
    if (!is_valid_utf8(text)) expected = "a\xEF\xBF\xBD" "b";  // invalid bytes read as U+FFFD
    EXPECT_EQ(t->decode(t->encode(text, false, false), false), expected) << text;
  }
}

TEST(TokenizerBpe, SpecialTokensAndPolicy) {
  auto v = bpe_vocab(kHelloTokens, {"h e"});
  auto t = make(v);
  EXPECT_EQ(t->encode("he<|endoftext|>", false, true), (Ids{11, 0}));
  EXPECT_TRUE(t->is_eog(0));
  EXPECT_EQ(t->encode("he", true, false), (Ids{11}));  // add_bos is off for gpt2 unless the vocab says
  v.add_bos = true;
  EXPECT_EQ(make(v)->encode("he", true, false), (Ids{0, 11}));
}

TEST(TokenizerBpe, CleanUpSpacesAsLlamaCpp) {
  auto clean = [](std::string s) {
    clean_up_spaces(s);
    return s;
  };
  EXPECT_EQ(clean("Hello , world ! Is it ? Yes ."), "Hello, world! Is it? Yes.");
  EXPECT_EQ(clean("rock ' n roll"), "rock'n roll");
  EXPECT_EQ(clean("it 's I 'm we 're you 've I 'd I 'll don 't"), "it's I'm we're you've I 'd I 'll don 't");
  EXPECT_EQ(clean(" ,"), ",");
  EXPECT_EQ(clean(""), "");
}

TEST(TokenizerBpe, RejectsBadMerges) {
  auto err = [](TokenizerVocab v) { return Tokenizer::create(std::move(v)).status().message(); };
  EXPECT_EQ(err(bpe_vocab(kHelloTokens, {"h e", "he zz"})), "merge 1 'he zz': 'zz' is not a token");
  EXPECT_EQ(err(bpe_vocab(kHelloTokens, {"hello"})), "merge 0 'hello': expected two tokens separated by a space");
  EXPECT_EQ(err(bpe_vocab(kHelloTokens, {})), "BPE vocabulary has no merges (tokenizer.ggml.merges)");
  auto v = bpe_vocab(kHelloTokens, {"h e"});
  v.pre = "no-such-pre";
  EXPECT_EQ(Tokenizer::create(v).status().code(), core::StatusCode::kUnsupported);
  EXPECT_EQ(err(v).substr(0, 52), "unknown pre-tokenizer 'no-such-pre'; known: default,");
}

}  // namespace
}  // namespace anvil::text
