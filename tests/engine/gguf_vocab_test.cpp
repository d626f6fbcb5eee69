// Reading tokenizers from GGUF metadata: llama.cpp's defaults per model, overrides from the file,
// the Phi-3 rstrip rule, the unigram ("t5") vocabulary with its precompiled charsmap, and exact
// errors for missing keys, wrong types and bad counts.
#include <cstring>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"
#include "text/charsmap_builder.h"

namespace anvil::engine {
namespace {

using text::TokenId;
using text::TokenType;

// A metadata-only GGUF v3 file, built key by key.
class GgufBuilder {
 public:
  GgufBuilder& str(std::string_view key, std::string_view v) {
    head(key, 8);
    put_str(v);
    return *this;
  }
  GgufBuilder& u32(std::string_view key, uint32_t v) {
    head(key, 4);
    put(v, 4);
    return *this;
  }
  GgufBuilder& boolean(std::string_view key, bool v) {
    head(key, 7);
    put(v ? 1 : 0, 1);
    return *this;
  }
  GgufBuilder& strs(std::string_view key, const std::vector<std::string>& v) {
    head(key, 9);
    put(8, 4);
    put(v.size(), 8);
    for (const auto& s : v) put_str(s);
    return *this;
  }
  GgufBuilder& i32s(std::string_view key, const std::vector<int32_t>& v) {
    head(key, 9);
    put(5, 4);
    put(v.size(), 8);
    for (int32_t x : v) put(static_cast<uint32_t>(x), 4);
    return *this;
  }
  GgufBuilder& u8s(std::string_view key, std::string_view bytes) {
    head(key, 9);
    put(0, 4);
    put(bytes.size(), 8);
    body_.append(bytes);
    return *this;
  }
  GgufBuilder& f32s(std::string_view key, const std::vector<float>& v) {
    head(key, 9);
    put(6, 4);
    put(v.size(), 8);
    for (float x : v) {
      uint32_t bits;
      std::memcpy(&bits, &x, 4);
      put(bits, 4);
    }
    return *this;
  }
  std::unique_ptr<GgufFile> open() {
    std::string h = "GGUF";
    auto put_to = [&h](uint64_t v, int k) {
      for (int i = 0; i < k; ++i) h.push_back(static_cast<char>(v >> (8 * i)));
    };
    put_to(3, 4);
    put_to(0, 8);
    put_to(n_, 8);
    bytes_ = h + body_;
    auto f = GgufFile::parse({reinterpret_cast<const uint8_t*>(bytes_.data()), bytes_.size()}, "m.gguf");
    EXPECT_TRUE(f.ok()) << f.status().message();
    return std::move(f).value();
  }

 private:
  void head(std::string_view key, uint32_t type) {
    put_str(key);
    put(type, 4);
    ++n_;
  }
  void put(uint64_t v, int k) {
    for (int i = 0; i < k; ++i) body_.push_back(static_cast<char>(v >> (8 * i)));
  }
  void put_str(std::string_view s) {
    put(s.size(), 8);
    body_.append(s);
  }
  std::string body_, bytes_;
  uint64_t n_ = 0;
};

GgufBuilder spm_file() {
  GgufBuilder b;
  b.str("tokenizer.ggml.model", "llama")
      .strs("tokenizer.ggml.tokens", {"<unk>", "<s>", "</s>", "\xE2\x96\x81" "a", "<|end|>"})
      .f32s("tokenizer.ggml.scores", {0, 0, 0, -1, 0})
      .i32s("tokenizer.ggml.token_type", {2, 3, 3, 1, 3});
  return b;
}

std::string error_of(GgufBuilder& b) {
  auto f = b.open();
  return read_tokenizer_vocab(*f).status().message();
}

TEST(GgufVocab, SentencePieceDefaults) {
  auto b = spm_file();
  auto f = b.open();
  auto v = read_tokenizer_vocab(*f);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->model, "llama");
  EXPECT_EQ(v->bos, 1);
  EXPECT_EQ(v->eos, 2);
  EXPECT_EQ(v->unk, 0);
  EXPECT_TRUE(v->add_bos);
  EXPECT_FALSE(v->add_eos);
  EXPECT_TRUE(v->add_space_prefix);
  EXPECT_EQ(v->token_types[3], TokenType::kNormal);
  auto t = load_tokenizer(*f);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->encode("a", true, false), (std::vector<TokenId>{1, 3}));
  EXPECT_TRUE((*t)->is_eog(4));
}

TEST(GgufVocab, MetadataOverridesDefaults) {
  auto b = spm_file();
  b.u32("tokenizer.ggml.bos_token_id", 4)
      .boolean("tokenizer.ggml.add_bos_token", false)
      .boolean("tokenizer.ggml.add_eos_token", true)
      .u32("tokenizer.ggml.eos_token_id", 99)  // out of range: llama.cpp keeps the default
      .str("general.name", "Phi-3 mini");
  auto f = b.open();
  auto v = read_tokenizer_vocab(*f);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_EQ(v->bos, 4);
  EXPECT_EQ(v->eos, 2);
  EXPECT_FALSE(v->add_bos);
  EXPECT_TRUE(v->add_eos);
  EXPECT_EQ(v->rstrip_tokens, (std::vector<TokenId>{2, 4}));  // </s> and <|end|>, not <unk> or <s>
}

TEST(GgufVocab, BpeAndBertDefaults) {
  GgufBuilder b;
  b.str("tokenizer.ggml.model", "gpt2")
      .str("tokenizer.ggml.pre", "llama-bpe")
      .strs("tokenizer.ggml.tokens", {"a", "b", "ab"})
      .strs("tokenizer.ggml.merges", {"a b"})
      .u32("tokenizer.ggml.bos_token_id", 2);
  auto f = b.open();
  auto v = read_tokenizer_vocab(*f);
  ASSERT_TRUE(v.ok()) << v.status().message();
  EXPECT_TRUE(v->ignore_merges);
  EXPECT_TRUE(v->add_bos);
  EXPECT_FALSE(v->add_space_prefix);
  EXPECT_TRUE(v->clean_spaces);
  EXPECT_EQ(v->eos, -1);  // the default id 11 does not exist in three tokens

  GgufBuilder c;
  c.str("tokenizer.ggml.model", "bert").strs("tokenizer.ggml.tokens", {"[PAD]", "[UNK]", "[CLS]", "[SEP]"})
      .u32("tokenizer.ggml.unknown_token_id", 1)
      .u32("tokenizer.ggml.cls_token_id", 2)
      .u32("tokenizer.ggml.seperator_token_id", 3);
  auto g = c.open();
  auto w = read_tokenizer_vocab(*g);
  ASSERT_TRUE(w.ok()) << w.status().message();
  EXPECT_EQ(w->cls, 2);
  EXPECT_EQ(w->sep, 3);
  EXPECT_EQ(w->bos, 2);  // the default 101 is out of range: [CLS] stands in
  EXPECT_TRUE(w->add_sep);
}

// XLM-R as llama.cpp's converter writes it: <s> <pad> </s> <unk>, then pieces with scores.
GgufBuilder t5_file() {
  GgufBuilder b;
  b.str("tokenizer.ggml.model", "t5")
      .strs("tokenizer.ggml.tokens", {"<s>", "<pad>", "</s>", "<unk>", "\xE2\x96\x81", "\xE2\x96\x81" "ab", "a", "b"})
      .f32s("tokenizer.ggml.scores", {0, 0, 0, 0, -3, -2, -2, -2})
      .i32s("tokenizer.ggml.token_type", {3, 3, 3, 2, 1, 1, 1, 1})
      .u32("tokenizer.ggml.bos_token_id", 0)
      .u32("tokenizer.ggml.eos_token_id", 2)
      .u32("tokenizer.ggml.unknown_token_id", 3)
      .u32("tokenizer.ggml.padding_token_id", 1);
  return b;
}

TEST(GgufVocab, UnigramDefaultsAndCharsmap) {
  auto bare = t5_file();
  auto f = bare.open();
  auto v = read_tokenizer_vocab(*f);
  ASSERT_TRUE(v.ok()) << v.status().message();
  // llama.cpp's defaults for t5: EOS added, no BOS, no space prefix, no charsmap.
  EXPECT_FALSE(v->add_bos);
  EXPECT_TRUE(v->add_eos);
  EXPECT_FALSE(v->add_space_prefix);
  EXPECT_TRUE(v->precompiled_charsmap.empty());
  auto t = load_tokenizer(*f);
  ASSERT_TRUE(t.ok()) << t.status().message();
  EXPECT_EQ((*t)->encode("ab", true, false), (std::vector<TokenId>{6, 7, 2}));

  // As XLM-R files say: BOS and EOS, the space prefix, merged whitespace, a charsmap ("A" -> "a").
  auto b = t5_file();
  b.boolean("tokenizer.ggml.add_bos_token", true)
      .boolean("tokenizer.ggml.add_space_prefix", true)
      .boolean("tokenizer.ggml.remove_extra_whitespaces", true)
      .u8s("tokenizer.ggml.precompiled_charsmap", testing::build_charsmap({{"A", "a"}}));
  auto g = b.open();
  auto u = load_tokenizer(*g);
  ASSERT_TRUE(u.ok()) << u.status().message();
  EXPECT_EQ((*u)->encode("  Ab ", true, false), (std::vector<TokenId>{0, 5, 2}));  // <s> ▁ab </s>
  EXPECT_EQ((*u)->decode({0, 5, 2}, false), "ab");
}

TEST(GgufVocab, UnigramErrors) {
  auto b = t5_file();
  b.u8s("tokenizer.ggml.precompiled_charsmap", std::string("\x10\x00\x00\x00" "abc", 7));
  auto f = b.open();
  EXPECT_EQ(load_tokenizer(*f).status().message(),
            "m.gguf: precompiled charsmap: the trie holds 16 bytes but only 3 follow the size field");

  auto c = t5_file();
  c.i32s("tokenizer.ggml.precompiled_charsmap", {1, 2});
  EXPECT_EQ(error_of(c), "m.gguf: metadata 'tokenizer.ggml.precompiled_charsmap' is an array of int32, expected an "
                         "array of bytes (uint8)");
}

TEST(GgufVocab, ExactErrors) {
  GgufBuilder none;
  none.str("general.name", "x");
  EXPECT_EQ(error_of(none), "m.gguf: metadata 'tokenizer.ggml.model' is missing");

  GgufBuilder no_tokens;
  no_tokens.str("tokenizer.ggml.model", "llama");
  EXPECT_EQ(error_of(no_tokens), "m.gguf: metadata 'tokenizer.ggml.tokens' is missing");

  GgufBuilder unknown_model;
  unknown_model.str("tokenizer.ggml.model", "rwkv");
  EXPECT_EQ(error_of(unknown_model),
            "m.gguf: tokenizer.ggml.model is 'rwkv', expected llama (SentencePiece), gpt2 (byte-level BPE), "
            "bert (WordPiece) or t5 (SentencePiece unigram)");

  GgufBuilder wrong_type;
  wrong_type.u32("tokenizer.ggml.model", 1);
  EXPECT_EQ(error_of(wrong_type), "m.gguf: metadata 'tokenizer.ggml.model' is a uint32, expected a string");

  GgufBuilder short_scores;
  short_scores.str("tokenizer.ggml.model", "llama").strs("tokenizer.ggml.tokens", {"a", "b"})
      .f32s("tokenizer.ggml.scores", {0});
  EXPECT_EQ(error_of(short_scores), "m.gguf: metadata 'tokenizer.ggml.scores' has 1 entries for 2 tokens");

  GgufBuilder short_types;
  short_types.str("tokenizer.ggml.model", "llama").strs("tokenizer.ggml.tokens", {"a", "b"})
      .i32s("tokenizer.ggml.token_type", {1});
  EXPECT_EQ(error_of(short_types), "m.gguf: metadata 'tokenizer.ggml.token_type' has 1 entries for 2 tokens");

  GgufBuilder no_merges;
  no_merges.str("tokenizer.ggml.model", "gpt2").strs("tokenizer.ggml.tokens", {"a"});
  EXPECT_EQ(error_of(no_merges), "m.gguf: metadata 'tokenizer.ggml.merges' is missing");

  GgufBuilder bad_merge;
  bad_merge.str("tokenizer.ggml.model", "gpt2").str("tokenizer.ggml.pre", "gpt-2")
      .strs("tokenizer.ggml.tokens", {"a", "b"}).strs("tokenizer.ggml.merges", {"a c"});
  auto f = bad_merge.open();
  EXPECT_EQ(load_tokenizer(*f).status().message(), "m.gguf: merge 0 'a c': 'c' is not a token");

  GgufBuilder no_bos;
  no_bos.str("tokenizer.ggml.model", "gpt2").str("tokenizer.ggml.pre", "gpt-2")
      .strs("tokenizer.ggml.tokens", {"a", "b"}).strs("tokenizer.ggml.merges", {"a b"})
      .boolean("tokenizer.ggml.add_bos_token", true);
  EXPECT_EQ(error_of(no_bos), "m.gguf: tokenizer.ggml.add_bos_token is true, but tokenizer.ggml.bos_token_id is not set");
}

}  // namespace
}  // namespace anvil::engine
