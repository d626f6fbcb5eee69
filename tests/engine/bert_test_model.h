// Test helper: builds small arch "bert" GGUF files in memory (random weights, seeded; embedding
// model or reranker), with knobs to break them (drop a tensor or key, change a shape or type) for
// the loader's golden errors, and optionally a small WordPiece vocabulary (tokenizer.ggml.*, in
// llama.cpp's form: "\u2581" marks a word start) so that the Embedder and Reranker can tokenize.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anvil/engine/bert_model.h"
#include "engine/test_model_writer.h"

namespace anvil::testing {

struct TinyBertSpec : TinyModelSpec {
  TinyBertSpec() {
    arch = "bert";  // hyper-parameters are written under "bert." whatever the arch says
    n_vocab = 50;   // ignored when with_vocab (the vocabulary's size is used)
    n_ctx = 24;
    seed = 11;
  }
  int64_t n_types = 2;     // 0: no token_types.weight
  int pooling = 1;         // bert.pooling_type; -1: key absent
  bool rank_head = false;  // cls.weight/bias + cls.output.weight/bias
  bool with_vocab = false;  // write tiny_wordpiece_vocab() (n_vocab ignored)
  std::optional<bool> causal;
};

constexpr int32_t kTinyCls = 2;
constexpr int32_t kTinySep = 3;

// [PAD] [UNK] [CLS] [SEP] [MASK] (control tokens), then whole words ("\u2581" + word) and a few
// continuation pieces: "cats" -> ▁cat s, "unknownword" -> [UNK].
inline std::vector<std::string> tiny_wordpiece_tokens() {
  std::vector<std::string> t = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "s", "ing", "ed"};
  for (const char* w : {"the", "a", "cat", "dog", "sat", "on", "mat", "hello", "world", "what",
                        "is", "pump", "seal", "leak", "fix", "how", "to", "replace", "bearing",
                        "noise", ".", ",", "?", "!"}) {
    t.push_back(std::string("\xE2\x96\x81") + w);
  }
  return t;
}

inline TinyVocab tiny_wordpiece_vocab() {
  TinyVocab v;
  v.model = "bert";
  v.tokens = tiny_wordpiece_tokens();
  v.types.assign(v.tokens.size(), 1);
  for (int i = 0; i < 5; ++i) v.types[static_cast<size_t>(i)] = 3;  // control
  v.special_ids = {{"padding", 0}, {"unknown", 1}, {"cls", kTinyCls}, {"seperator", kTinySep}, {"mask", 4}};
  return v;
}

// The GGUF bytes of a model following `spec`.
inline std::string build_tiny_bert(const TinyBertSpec& s) {
  using engine::GgmlType;
  TinyModelWriter w(s, "bert");
  w.gguf().set_string("general.name", "tiny-bert");
  w.set_shape();
  w.set_f32("attention.layer_norm_epsilon", 1e-12);
  if (s.pooling >= 0) w.set_u32("pooling_type", s.pooling);
  if (s.causal) w.gguf().set_bool("bert.attention.causal", *s.causal);

  int64_t n_vocab = s.n_vocab;
  if (s.with_vocab) {
    const TinyVocab vocab = tiny_wordpiece_vocab();
    n_vocab = static_cast<int64_t>(vocab.tokens.size());
    w.set_vocab(vocab);
  }

  const int64_t E = s.n_embd;
  w.add("token_embd.weight", {E, n_vocab}, 0.0f, 0.5f, s.matrix_type);
  if (s.n_types > 0) w.add("token_types.weight", {E, s.n_types}, 0.0f, 0.5f, GgmlType::kF32);
  w.add("position_embd.weight", {E, s.n_ctx}, 0.0f, 0.5f, GgmlType::kF32);
  w.add_norm("token_embd_norm.weight", E);
  w.add_bias("token_embd_norm.bias", E);
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    for (const char* name : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      w.add_matrix(p + name + ".weight", E, E);
      w.add_bias(p + name + ".bias", E);
    }
    w.add_norm(p + "attn_output_norm.weight", E);
    w.add_bias(p + "attn_output_norm.bias", E);
    w.add_matrix(p + "ffn_up.weight", E, s.n_ff);
    w.add_bias(p + "ffn_up.bias", s.n_ff);
    w.add_matrix(p + "ffn_down.weight", s.n_ff, E);
    w.add_bias(p + "ffn_down.bias", E);
    w.add_norm(p + "layer_output_norm.weight", E);
    w.add_bias(p + "layer_output_norm.bias", E);
  }
  if (s.rank_head) {
    w.add_matrix("cls.weight", E, E);
    w.add_bias("cls.bias", E);
    w.add_matrix("cls.output.weight", E, 1);
    w.add_bias("cls.output.bias", 1);
  }
  return w.finish();
}

// Holds the bytes that a loaded model maps: keep it alive as long as the model.
struct TinyBert {
  std::string bytes;
  core::Result<std::unique_ptr<engine::GgufFile>> file(std::string name = "tiny.gguf") const {
    return parse_tiny_model(bytes, std::move(name));
  }
  core::Result<std::unique_ptr<engine::BertModel>> load(std::string name = "tiny.gguf") const {
    auto f = file(std::move(name));
    if (!f.ok()) return f.status();
    return engine::BertModel::from_file(std::move(f).value());
  }
};

inline TinyBert tiny_bert(const TinyBertSpec& spec = {}) { return TinyBert{build_tiny_bert(spec)}; }

}  // namespace anvil::testing
