// Test helper shared by the synthetic GGUF model builders (llama_test_model.h, bert_test_model.h):
// the knobs every tiny model has (shape, matrix type, seed, breakage), a writer that draws seeded
// random tensors and applies the breakage, and the tokenizer.ggml.* keys of a small vocabulary.
#pragma once

#include <cmath>
#include <cstdint>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_writer.h"
#include "anvil/engine/quants.h"

namespace anvil::testing {

// What every tiny model spec holds; each builder's spec derives from it and sets its own defaults
// (arch, vocabulary and context sizes, seed) in its constructor.
struct TinyModelSpec {
  std::string arch;
  int64_t n_embd = 32;
  int64_t n_layer = 2;
  int64_t n_ff = 64;
  int64_t n_head = 4;
  int64_t n_vocab = 0;
  int64_t n_ctx = 0;
  engine::GgmlType matrix_type = engine::GgmlType::kF32;
  uint32_t seed = 0;
  // Breakage, for the loaders' golden errors (empty: an intact model).
  std::string drop_tensor;           // left out of the file
  std::string reshape_tensor;        // stored with shape reshape_to
  std::vector<int64_t> reshape_to;
  std::string retype_tensor;         // stored as retype_to (zeros where it cannot be quantized)
  engine::GgmlType retype_to = engine::GgmlType::kF32;
  std::string drop_key;              // a hyper-parameter, without the "{arch}." prefix
};

// A small vocabulary as tokenizer.ggml.* keys.
struct TinyVocab {
  std::string model;                  // tokenizer.ggml.model: "bert", "llama", "t5", ...
  std::vector<std::string> tokens;
  std::vector<int32_t> types;         // llama_token_type per token: 1 normal, 2 unknown, 3 control, ...
  std::vector<float> scores;          // empty: no tokenizer.ggml.scores
  // tokenizer.ggml.{role}_token_id, in this order: {"padding", 0}, {"seperator", 3} (sic), ...
  std::vector<std::pair<std::string, uint32_t>> special_ids;
};

// Builds one model: hyper-parameters, then tensors in file order, then the bytes. The random values
// are drawn from one generator seeded with spec.seed, tensor after tensor, so a dropped tensor
// draws nothing and every other tensor keeps its values.
class TinyModelWriter {
 public:
  // `prefix` is the hyper-parameters' key prefix ("llama", "qwen2", "bert").
  TinyModelWriter(const TinyModelSpec& spec, std::string prefix)
      : spec_(spec), prefix_(std::move(prefix)), rng_(spec.seed) {
    w_.set_string("general.architecture", spec.arch);
  }

  engine::GgufWriter& gguf() { return w_; }

  // "{prefix}.{key}".
  void set_u32(const std::string& key, int64_t v) { w_.set_uint32(prefix_ + "." + key, static_cast<uint32_t>(v)); }
  void set_f32(const std::string& key, double v) { w_.set_float32(prefix_ + "." + key, static_cast<float>(v)); }

  // The hyper-parameters every family has, from the spec.
  void set_shape() {
    set_u32("context_length", spec_.n_ctx);
    set_u32("embedding_length", spec_.n_embd);
    set_u32("block_count", spec_.n_layer);
    set_u32("feed_forward_length", spec_.n_ff);
    set_u32("attention.head_count", spec_.n_head);
  }

  void set_vocab(const TinyVocab& v) {
    w_.set_string("tokenizer.ggml.model", v.model);
    w_.set_string_array("tokenizer.ggml.tokens", v.tokens);
    w_.set_int32_array("tokenizer.ggml.token_type", v.types);
    if (!v.scores.empty()) w_.set_float32_array("tokenizer.ggml.scores", v.scores);
    for (const auto& [role, id] : v.special_ids) w_.set_uint32("tokenizer.ggml." + role + "_token_id", id);
  }

  // A tensor of normal(mean, std) values, `ne` innermost first, quantized row by row to `type`
  // (after the spec's breakage: dropped, reshaped or retyped).
  void add(const std::string& name, std::vector<int64_t> ne, float mean, float std, engine::GgmlType type) {
    if (name == spec_.drop_tensor) return;
    if (name == spec_.reshape_tensor) ne = spec_.reshape_to;
    if (name == spec_.retype_tensor) type = spec_.retype_to;
    int64_t count = 1;
    for (int64_t n : ne) count *= n;
    std::normal_distribution<float> dist(mean, std);
    std::vector<float> values(static_cast<size_t>(count));
    for (float& x : values) x = dist(rng_);
    const int64_t rows = count / ne[0];
    std::vector<uint8_t> bytes(engine::ggml_row_size(type, ne[0]) * static_cast<size_t>(rows));
    if (engine::can_quantize(type)) {
      size_t off = 0;
      for (int64_t r = 0; r < rows; ++r) {
        off += engine::quantize_row(type, values.data() + r * ne[0], bytes.data() + off, ne[0]);
      }
    }  // else: zeros, for types the loader must refuse anyway
    auto st = w_.add_tensor(name, type, ne, bytes);
    if (!st.ok()) throw std::runtime_error(st.to_string());
  }
  // A weight matrix [n_out rows of n_in] of the spec's matrix type, std 1/sqrt(n_in) so that
  // activations keep their scale.
  void add_matrix(const std::string& name, int64_t n_in, int64_t n_out) {
    add(name, {n_in, n_out}, 0.0f, 1.0f / std::sqrt(static_cast<float>(n_in)), spec_.matrix_type);
  }
  // A norm weight (around 1) or a bias (around 0): [n] f32.
  void add_norm(const std::string& name, int64_t n) { add(name, {n}, 1.0f, 0.1f, engine::GgmlType::kF32); }
  void add_bias(const std::string& name, int64_t n) { add(name, {n}, 0.0f, 0.1f, engine::GgmlType::kF32); }

  // The file's bytes, with the spec's drop_key removed.
  std::string finish() {
    if (!spec_.drop_key.empty()) w_.remove(prefix_ + "." + spec_.drop_key);
    auto bytes = w_.write_to_string();
    if (!bytes.ok()) throw std::runtime_error(bytes.status().to_string());
    return std::move(bytes).value();
  }

 private:
  const TinyModelSpec& spec_;
  std::string prefix_;
  std::mt19937 rng_;
  engine::GgufWriter w_;
};

// Parses GGUF bytes in place: the file maps `bytes`, which must outlive it.
inline core::Result<std::unique_ptr<engine::GgufFile>> parse_tiny_model(const std::string& bytes,
                                                                        std::string name = "tiny.gguf") {
  return engine::GgufFile::parse({reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size()},
                                 std::move(name));
}

}  // namespace anvil::testing
