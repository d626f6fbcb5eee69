// Test helper: builds small arch "bert" GGUF files in memory (random weights, seeded; embedding
// model or reranker), with knobs to break them (drop a tensor or key, change a shape or type) for
// the loader's golden errors, and optionally a small WordPiece vocabulary (tokenizer.ggml.*, in
// llama.cpp's form: "\u2581" marks a word start) so that the Embedder and Reranker can tokenize.
#pragma once

#include <cmath>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#include "anvil/engine/bert_model.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_writer.h"
#include "anvil/engine/quants.h"

namespace anvil::testing {

struct TinyBertSpec {
  std::string arch = "bert";
  int64_t n_embd = 32;
  int64_t n_layer = 2;
  int64_t n_ff = 64;
  int64_t n_head = 4;
  int64_t n_vocab = 50;  // ignored when with_vocab (the vocabulary's size is used)
  int64_t n_ctx = 24;
  int64_t n_types = 2;   // 0: no token_types.weight
  int pooling = 1;       // bert.pooling_type; -1: key absent
  bool rank_head = false;  // cls.weight/bias + cls.output.weight/bias
  engine::GgmlType matrix_type = engine::GgmlType::kF32;
  bool with_vocab = false;  // write tiny_wordpiece_tokens() as the vocabulary (n_vocab ignored)
  uint32_t seed = 11;
  // Breakage.
  std::string drop_tensor;
  std::string reshape_tensor;
  std::vector<int64_t> reshape_to;
  std::string retype_tensor;  // stored as retype_to instead
  engine::GgmlType retype_to = engine::GgmlType::kF32;
  std::string drop_key;  // without the "bert." prefix
  std::optional<bool> causal;
};

// [PAD] [UNK] [CLS] [SEP] [MASK], then whole words ("\u2581" + word) and a few continuation
// pieces: "cats" -> ▁cat s, "unknownword" -> [UNK].
inline std::vector<std::string> tiny_wordpiece_tokens() {
  std::vector<std::string> t = {"[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "s", "ing", "ed"};
  for (const char* w : {"the", "a", "cat", "dog", "sat", "on", "mat", "hello", "world", "what",
                        "is", "pump", "seal", "leak", "fix", "how", "to", "replace", "bearing",
                        "noise", ".", ",", "?", "!"}) {
    t.push_back(std::string("\xE2\x96\x81") + w);
  }
  return t;
}
constexpr int32_t kTinyCls = 2;
constexpr int32_t kTinySep = 3;

// The GGUF bytes of a model following `spec`.
inline std::string build_tiny_bert(const TinyBertSpec& s) {
  using engine::GgmlType;
  engine::GgufWriter w;
  w.set_string("general.architecture", s.arch);
  w.set_string("general.name", "tiny-bert");
  w.set_uint32("bert.context_length", static_cast<uint32_t>(s.n_ctx));
  w.set_uint32("bert.embedding_length", static_cast<uint32_t>(s.n_embd));
  w.set_uint32("bert.block_count", static_cast<uint32_t>(s.n_layer));
  w.set_uint32("bert.feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.set_uint32("bert.attention.head_count", static_cast<uint32_t>(s.n_head));
  w.set_float32("bert.attention.layer_norm_epsilon", 1e-12f);
  if (s.pooling >= 0) w.set_uint32("bert.pooling_type", static_cast<uint32_t>(s.pooling));
  if (s.causal) w.set_bool("bert.attention.causal", *s.causal);
  if (!s.drop_key.empty()) w.remove("bert." + s.drop_key);

  int64_t n_vocab = s.n_vocab;
  if (s.with_vocab) {
    const std::vector<std::string> tokens = tiny_wordpiece_tokens();
    n_vocab = static_cast<int64_t>(tokens.size());
    std::vector<int32_t> types(tokens.size(), 1);
    for (int i = 0; i < 5; ++i) types[static_cast<size_t>(i)] = 3;  // control
    w.set_string("tokenizer.ggml.model", "bert");
    w.set_string_array("tokenizer.ggml.tokens", tokens);
    w.set_int32_array("tokenizer.ggml.token_type", types);
    w.set_uint32("tokenizer.ggml.padding_token_id", 0);
    w.set_uint32("tokenizer.ggml.unknown_token_id", 1);
    w.set_uint32("tokenizer.ggml.cls_token_id", kTinyCls);
    w.set_uint32("tokenizer.ggml.seperator_token_id", kTinySep);
    w.set_uint32("tokenizer.ggml.mask_token_id", 4);
  }

  std::mt19937 rng(s.seed);
  auto add = [&](const std::string& name, std::vector<int64_t> ne, float mean, float std,
                 GgmlType type) {
    if (name == s.drop_tensor) return;
    if (name == s.reshape_tensor) ne = s.reshape_to;
    if (name == s.retype_tensor) type = s.retype_to;
    int64_t count = 1;
    for (int64_t n : ne) count *= n;
    std::normal_distribution<float> dist(mean, std);
    std::vector<float> values(static_cast<size_t>(count));
    for (float& v : values) v = dist(rng);
    const int64_t rows = count / ne[0];
    std::vector<uint8_t> bytes(engine::ggml_row_size(type, ne[0]) * static_cast<size_t>(rows));
    if (engine::can_quantize(type)) {
      size_t off = 0;
      for (int64_t r = 0; r < rows; ++r) {
        off += engine::quantize_row(type, values.data() + r * ne[0], bytes.data() + off, ne[0]);
      }
    }  // else: zeros, for types the loader must refuse anyway
    auto st = w.add_tensor(name, type, ne, bytes);
    if (!st.ok()) throw std::runtime_error(st.to_string());
  };
  const GgmlType mt = s.matrix_type;
  const GgmlType f32 = GgmlType::kF32;
  auto mat = [&](const std::string& name, int64_t n_in, int64_t n_out) {
    add(name, {n_in, n_out}, 0.0f, 1.0f / std::sqrt(static_cast<float>(n_in)), mt);
  };
  const int64_t E = s.n_embd;
  add("token_embd.weight", {E, n_vocab}, 0.0f, 0.5f, mt);
  if (s.n_types > 0) add("token_types.weight", {E, s.n_types}, 0.0f, 0.5f, f32);
  add("position_embd.weight", {E, s.n_ctx}, 0.0f, 0.5f, f32);
  add("token_embd_norm.weight", {E}, 1.0f, 0.1f, f32);
  add("token_embd_norm.bias", {E}, 0.0f, 0.1f, f32);
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    for (const char* name : {"attn_q", "attn_k", "attn_v", "attn_output"}) {
      mat(p + name + ".weight", E, E);
      add(p + name + ".bias", {E}, 0.0f, 0.1f, f32);
    }
    add(p + "attn_output_norm.weight", {E}, 1.0f, 0.1f, f32);
    add(p + "attn_output_norm.bias", {E}, 0.0f, 0.1f, f32);
    mat(p + "ffn_up.weight", E, s.n_ff);
    add(p + "ffn_up.bias", {s.n_ff}, 0.0f, 0.1f, f32);
    mat(p + "ffn_down.weight", s.n_ff, E);
    add(p + "ffn_down.bias", {E}, 0.0f, 0.1f, f32);
    add(p + "layer_output_norm.weight", {E}, 1.0f, 0.1f, f32);
    add(p + "layer_output_norm.bias", {E}, 0.0f, 0.1f, f32);
  }
  if (s.rank_head) {
    mat("cls.weight", E, E);
    add("cls.bias", {E}, 0.0f, 0.1f, f32);
    mat("cls.output.weight", E, 1);
    add("cls.output.bias", {1}, 0.0f, 0.1f, f32);
  }
  auto bytes = w.write_to_string();
  if (!bytes.ok()) throw std::runtime_error(bytes.status().to_string());
  return std::move(bytes).value();
}

// Holds the bytes that a loaded model maps: keep it alive as long as the model.
struct TinyBert {
  std::string bytes;
  core::Result<std::unique_ptr<engine::GgufFile>> file(std::string name = "tiny.gguf") const {
    return engine::GgufFile::parse(
        {reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()}, std::move(name));
  }
  core::Result<std::unique_ptr<engine::BertModel>> load(std::string name = "tiny.gguf") const {
    auto f = file(std::move(name));
    if (!f.ok()) return f.status();
    return engine::BertModel::from_file(std::move(f).value());
  }
};

inline TinyBert tiny_bert(const TinyBertSpec& spec = {}) { return TinyBert{build_tiny_bert(spec)}; }

}  // namespace anvil::testing
