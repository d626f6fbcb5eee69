// Test helper: builds small Llama-family GGUF files in memory (random weights, seeded), with
// knobs to break them (drop a tensor or key, change a shape) for the loader's golden errors.
#pragma once

#include <cmath>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_writer.h"
#include "anvil/engine/llama_model.h"
#include "anvil/engine/quants.h"

namespace anvil::testing {

struct TinyLlamaSpec {
  std::string arch = "llama";
  int64_t n_embd = 32;
  int64_t n_layer = 2;
  int64_t n_ff = 64;
  int64_t n_head = 4;
  int64_t n_head_kv = 2;
  int64_t n_vocab = 40;
  int64_t n_ctx = 64;
  bool tied = false;
  engine::GgmlType matrix_type = engine::GgmlType::kF32;
  double rope_base = 10000.0;
  std::string rope_scaling;  // "" (absent), "none", "linear", ...
  double rope_factor = 1.0;
  uint32_t seed = 7;
  bool rope_freqs = false;  // add Llama 3.1's rope_freqs.weight ([head_dim / 2] divisors)
  // Breakage.
  std::string drop_tensor;
  std::string reshape_tensor;
  std::vector<int64_t> reshape_to;
  std::string drop_key;  // without the "{arch}." prefix
};

// The GGUF bytes of a model following `spec`.
inline std::string build_tiny_llama(const TinyLlamaSpec& s) {
  using engine::GgmlType;
  engine::GgufWriter w;
  const std::string& a = s.arch;
  w.set_string("general.architecture", a);
  w.set_uint32(a + ".context_length", static_cast<uint32_t>(s.n_ctx));
  w.set_uint32(a + ".embedding_length", static_cast<uint32_t>(s.n_embd));
  w.set_uint32(a + ".block_count", static_cast<uint32_t>(s.n_layer));
  w.set_uint32(a + ".feed_forward_length", static_cast<uint32_t>(s.n_ff));
  w.set_uint32(a + ".attention.head_count", static_cast<uint32_t>(s.n_head));
  w.set_uint32(a + ".attention.head_count_kv", static_cast<uint32_t>(s.n_head_kv));
  w.set_float32(a + ".attention.layer_norm_rms_epsilon", 1e-5f);
  w.set_float32(a + ".rope.freq_base", static_cast<float>(s.rope_base));
  w.set_uint32(a + ".vocab_size", static_cast<uint32_t>(s.n_vocab));
  if (!s.rope_scaling.empty()) {
    w.set_string(a + ".rope.scaling.type", s.rope_scaling);
    w.set_float32(a + ".rope.scaling.factor", static_cast<float>(s.rope_factor));
  }
  if (!s.drop_key.empty()) w.remove(a + "." + s.drop_key);

  std::mt19937 rng(s.seed);
  auto add = [&](const std::string& name, std::vector<int64_t> ne, float mean, float std,
                 GgmlType type) {
    if (name == s.drop_tensor) return;
    if (name == s.reshape_tensor) ne = s.reshape_to;
    int64_t count = 1;
    for (int64_t n : ne) count *= n;
    std::normal_distribution<float> dist(mean, std);
    std::vector<float> values(static_cast<size_t>(count));
    for (float& v : values) v = dist(rng);
    std::vector<uint8_t> bytes(engine::ggml_row_size(type, ne[0]) * static_cast<size_t>(count / ne[0]));
    size_t off = 0;
    for (int64_t r = 0; r < count / ne[0]; ++r) {
      off += engine::quantize_row(type, values.data() + r * ne[0], bytes.data() + off, ne[0]);
    }
    auto st = w.add_tensor(name, type, ne, bytes);
    if (!st.ok()) throw std::runtime_error(st.to_string());
  };
  const int64_t hd = s.n_embd / s.n_head;
  const int64_t q_dim = s.n_head * hd, kv_dim = s.n_head_kv * hd;
  const GgmlType mt = s.matrix_type;
  auto mat = [&](const std::string& name, int64_t n_in, int64_t n_out) {
    add(name, {n_in, n_out}, 0.0f, 1.0f / std::sqrt(static_cast<float>(n_in)), mt);
  };
  add("token_embd.weight", {s.n_embd, s.n_vocab}, 0.0f, 1.0f, mt);
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    add(p + "attn_norm.weight", {s.n_embd}, 1.0f, 0.1f, GgmlType::kF32);
    mat(p + "attn_q.weight", s.n_embd, q_dim);
    mat(p + "attn_k.weight", s.n_embd, kv_dim);
    mat(p + "attn_v.weight", s.n_embd, kv_dim);
    if (a == "qwen2") {
      add(p + "attn_q.bias", {q_dim}, 0.0f, 0.1f, GgmlType::kF32);
      add(p + "attn_k.bias", {kv_dim}, 0.0f, 0.1f, GgmlType::kF32);
      add(p + "attn_v.bias", {kv_dim}, 0.0f, 0.1f, GgmlType::kF32);
    }
    mat(p + "attn_output.weight", q_dim, s.n_embd);
    add(p + "ffn_norm.weight", {s.n_embd}, 1.0f, 0.1f, GgmlType::kF32);
    mat(p + "ffn_gate.weight", s.n_embd, s.n_ff);
    mat(p + "ffn_up.weight", s.n_embd, s.n_ff);
    mat(p + "ffn_down.weight", s.n_ff, s.n_embd);
  }
  add("output_norm.weight", {s.n_embd}, 1.0f, 0.1f, GgmlType::kF32);
  if (!s.tied) mat("output.weight", s.n_embd, s.n_vocab);
  // Last, so that the other tensors draw the same values with or without it.
  if (s.rope_freqs) add("rope_freqs.weight", {hd / 2}, 4.0f, 1.0f, GgmlType::kF32);
  auto bytes = w.write_to_string();
  if (!bytes.ok()) throw std::runtime_error(bytes.status().to_string());
  return std::move(bytes).value();
}

// A model and the bytes it maps (which must outlive it): held together, never moved.
struct TinyLlama {
  std::string bytes;
  core::Status status;  // why `model` is null
  std::unique_ptr<engine::LlamaModel> model;
  bool ok() const { return model != nullptr; }
  engine::LlamaModel& operator*() const { return *model; }
};

inline std::unique_ptr<TinyLlama> tiny_llama(const TinyLlamaSpec& spec = {},
                                             std::string name = "tiny.gguf") {
  auto t = std::make_unique<TinyLlama>();
  t->bytes = build_tiny_llama(spec);
  auto file = engine::GgufFile::parse(
      {reinterpret_cast<const uint8_t*>(t->bytes.data()), t->bytes.size()}, std::move(name));
  if (!file.ok()) {
    t->status = file.status();
    return t;
  }
  auto model = engine::LlamaModel::from_file(std::move(file).value());
  if (model.ok()) {
    t->model = std::move(model).value();
  } else {
    t->status = model.status();
  }
  return t;
}

}  // namespace anvil::testing
