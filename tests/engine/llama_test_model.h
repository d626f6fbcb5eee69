// Test helper: builds small Llama-family GGUF files in memory (random weights, seeded), with
// knobs to break them (drop a tensor or key, change a shape) for the loader's golden errors.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "anvil/engine/llama_model.h"
#include "engine/test_model_writer.h"

namespace anvil::testing {

struct TinyLlamaSpec : TinyModelSpec {
  TinyLlamaSpec() {
    arch = "llama";  // or "qwen2": q/k/v biases
    n_vocab = 40;
    n_ctx = 64;
    seed = 7;
  }
  int64_t n_head_kv = 2;
  bool tied = false;
  double rope_base = 10000.0;
  std::string rope_scaling;  // "" (absent), "none", "linear", ...
  double rope_factor = 1.0;
  bool rope_freqs = false;  // add Llama 3.1's rope_freqs.weight ([head_dim / 2] divisors)
  std::optional<TinyVocab> vocab;  // tokenizer.ggml.* keys (none by default)
  std::string chat_template;       // tokenizer.chat_template, if not empty
};

// The GGUF bytes of a model following `spec`.
inline std::string build_tiny_llama(const TinyLlamaSpec& s) {
  TinyModelWriter w(s, s.arch);
  w.set_shape();
  w.set_u32("attention.head_count_kv", s.n_head_kv);
  w.set_f32("attention.layer_norm_rms_epsilon", 1e-5);
  w.set_f32("rope.freq_base", s.rope_base);
  w.set_u32("vocab_size", s.n_vocab);
  if (s.vocab) w.set_vocab(*s.vocab);
  if (!s.chat_template.empty()) w.gguf().set_string("tokenizer.chat_template", s.chat_template);
  if (!s.rope_scaling.empty()) {
    w.gguf().set_string(s.arch + ".rope.scaling.type", s.rope_scaling);
    w.set_f32("rope.scaling.factor", s.rope_factor);
  }
  const int64_t hd = s.n_embd / s.n_head;
  const int64_t q_dim = s.n_head * hd, kv_dim = s.n_head_kv * hd;
  w.add("token_embd.weight", {s.n_embd, s.n_vocab}, 0.0f, 1.0f, s.matrix_type);
  for (int64_t i = 0; i < s.n_layer; ++i) {
    const std::string p = "blk." + std::to_string(i) + ".";
    w.add_norm(p + "attn_norm.weight", s.n_embd);
    w.add_matrix(p + "attn_q.weight", s.n_embd, q_dim);
    w.add_matrix(p + "attn_k.weight", s.n_embd, kv_dim);
    w.add_matrix(p + "attn_v.weight", s.n_embd, kv_dim);
    if (s.arch == "qwen2") {
      w.add_bias(p + "attn_q.bias", q_dim);
      w.add_bias(p + "attn_k.bias", kv_dim);
      w.add_bias(p + "attn_v.bias", kv_dim);
    }
    w.add_matrix(p + "attn_output.weight", q_dim, s.n_embd);
    w.add_norm(p + "ffn_norm.weight", s.n_embd);
    w.add_matrix(p + "ffn_gate.weight", s.n_embd, s.n_ff);
    w.add_matrix(p + "ffn_up.weight", s.n_embd, s.n_ff);
    w.add_matrix(p + "ffn_down.weight", s.n_ff, s.n_embd);
  }
  w.add_norm("output_norm.weight", s.n_embd);
  if (!s.tied) w.add_matrix("output.weight", s.n_embd, s.n_vocab);
  // Last, so that the other tensors draw the same values with or without it.
  if (s.rope_freqs) w.add("rope_freqs.weight", {hd / 2}, 4.0f, 1.0f, engine::GgmlType::kF32);
  return w.finish();
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
  auto file = parse_tiny_model(t->bytes, std::move(name));
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
