// A hand-made SentencePiece vocabulary for the tiny random decoders of the generation tests:
// <unk> <s> </s>, the 256 byte tokens, then a dozen words (ASCII, accented, Chinese); and the
// greedy options those tests decode with.
#pragma once

#include <cstdint>
#include <cstdio>

#include "anvil/engine/generator.h"
#include "anvil/text/tokenizer.h"
#include "engine/test_model_writer.h"

namespace anvil::testing {

inline constexpr int64_t kTinySpmVocabSize = 3 + 256 + 12;

inline text::TokenizerVocab tiny_spm_vocab(int32_t eos = 2) {
  text::TokenizerVocab v;
  v.model = "llama";
  v.tokens = {"<unk>", "<s>", "</s>"};
  v.token_types = {text::TokenType::kUnknown, text::TokenType::kControl, text::TokenType::kControl};
  for (int b = 0; b < 256; ++b) {
    char name[8];
    std::snprintf(name, sizeof name, "<0x%02X>", b);
    v.tokens.push_back(name);
    v.token_types.push_back(text::TokenType::kByte);
  }
  for (const char* w : {"▁the", "▁cat", "▁sat", "▁on", "▁mat", "ing", "!", "é", "▁日本", "▁dog", "s", "."}) {
    v.tokens.push_back(w);
    v.token_types.push_back(text::TokenType::kNormal);
  }
  v.scores.assign(v.tokens.size(), 0.0f);
  for (size_t i = 259; i < v.tokens.size(); ++i) v.scores[i] = -static_cast<float>(i - 259);
  v.unk = 0;
  v.bos = 1;
  v.eos = eos;
  v.add_bos = true;
  return v;
}

// The same vocabulary as the tokenizer.ggml.* keys of a tiny model file.
inline TinyVocab tiny_spm_vocab_keys() {
  const text::TokenizerVocab v = tiny_spm_vocab();
  TinyVocab keys;
  keys.model = "llama";
  for (const auto& t : v.tokens) keys.tokens.emplace_back(t);
  for (text::TokenType t : v.token_types) keys.types.push_back(static_cast<int32_t>(t));
  keys.scores = v.scores;
  keys.special_ids = {{"unknown", 0}, {"bos", 1}, {"eos", 2}};
  return keys;
}

// Greedy decoding without penalties, up to `max_tokens` (0: up to the context): the options whose
// output the generation tests can predict from the logits alone.
inline engine::GenerateOptions greedy(int64_t max_tokens) {
  engine::GenerateOptions o;
  o.sampling.temperature = 0;
  o.sampling.repeat_penalty = 1.0f;
  o.max_tokens = max_tokens;
  return o;
}

}  // namespace anvil::testing
