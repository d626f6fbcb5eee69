// Test helper: builds small arch "bert" GGUF files in memory (random weights, seeded; embedding
// model or reranker), with knobs to break them (drop a tensor or key, change a shape or type) for
// the loader's golden errors, and optionally the real bge WordPiece vocabulary from the shared
// data so the Embedder and Reranker can tokenize.
#pragma once

#include <cmath>
#include <filesystem>
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
#include "testing/temp_dir.h"

namespace anvil::testing {

struct TinyBertSpec {
  std::string arch = "bert";
  int64_t n_embd = 32;
  int64_t n_layer = 2;
  int64_t n_ff = 64;
  int64_t n_head = 4;
  int64_t n_vocab = 50;  // ignored when with_bge_vocab (the vocabulary's size is used)
  int64_t n_ctx = 24;
  int64_t n_types = 2;   // 0: no token_types.weight
  int pooling = 1;       // bert.pooling_type; -1: key absent
  bool rank_head = false;  // cls.weight/bias + cls.output.weight/bias
  engine::GgmlType matrix_type = engine::GgmlType::kF32;
  bool with_bge_vocab = false;  // copy tokenizer.* from ggml-vocab-bert-bge.gguf
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

inline std::filesystem::path bge_vocab_path() {
  return shared_dir() / "data" / "tokenizer" / "ggml-vocab-bert-bge.gguf";
}

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
  std::unique_ptr<engine::GgufFile> vocab;
  if (s.with_bge_vocab) {
    auto f = engine::GgufFile::open(bge_vocab_path());
    if (!f.ok()) throw std::runtime_error(f.status().to_string());
    vocab = std::move(f).value();
    for (const auto& kv : vocab->metadata()) {
      if (kv.key.starts_with("tokenizer.")) w.set_value(kv.key, kv.value);
    }
    n_vocab = static_cast<int64_t>(vocab->find("tokenizer.ggml.tokens")->array_size());
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
