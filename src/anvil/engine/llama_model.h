// A Llama-family decoder's weights bound in place to the memory-mapped GGUF file: every tensor
// is checked for presence, type and shape at load, and matrices stay in the mapping (no copies).
// Tensor names and shapes: docs/MODELS.md; the forward pass is llama_session.h.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/matmul.h"
#include "anvil/engine/model_config.h"

namespace anvil::engine {

// One transformer block. Matrices are [n_out, n_in] (MatrixView); vectors are f32.
struct LlamaLayerWeights {
  const float* attn_norm = nullptr;  // [n_embd]
  MatrixView wq;                     // [q_dim, n_embd]
  MatrixView wk;                     // [kv_dim, n_embd]
  MatrixView wv;                     // [kv_dim, n_embd]
  MatrixView wo;                     // [n_embd, q_dim]
  const float* bq = nullptr;         // [q_dim] (qwen2; null otherwise)
  const float* bk = nullptr;         // [kv_dim]
  const float* bv = nullptr;         // [kv_dim]
  const float* ffn_norm = nullptr;   // [n_embd]
  MatrixView w_gate;                 // [n_ff, n_embd]
  MatrixView w_up;                   // [n_ff, n_embd]
  MatrixView w_down;                 // [n_embd, n_ff]
};

class LlamaModel {
 public:
  // Maps `path` and binds the weights. Errors name the file and the tensor, e.g.
  // "m.gguf: blk.3.attn_k.weight: shape [896, 128], expected [896, 256]".
  static core::Result<std::unique_ptr<LlamaModel>> open(const std::filesystem::path& path);
  static core::Result<std::unique_ptr<LlamaModel>> from_file(std::unique_ptr<GgufFile> file);

  const LlamaConfig& config() const { return config_; }
  const GgufFile& file() const { return *file_; }

  const MatrixView& token_embd() const { return token_embd_; }  // [n_vocab, n_embd]
  const MatrixView& output() const { return output_; }          // [n_vocab, n_embd]
  bool tied_output() const { return tied_output_; }  // output.weight absent: output == token_embd
  const float* output_norm() const { return output_norm_; }     // [n_embd]
  // Llama 3.1-style per-frequency RoPE divisors (tensor rope_freqs.weight, [n_rot / 2]); null
  // when the file has none.
  const float* rope_freq_factors() const { return rope_freq_factors_; }
  const std::vector<LlamaLayerWeights>& layers() const { return layers_; }

  // Parameters (elements of every tensor the model uses; tied output counted once) and their
  // bytes in the file.
  int64_t n_params() const { return n_params_; }
  uint64_t weight_bytes() const { return weight_bytes_; }

 private:
  friend class LlamaModelBinder;
  LlamaModel() = default;
  std::unique_ptr<GgufFile> file_;
  LlamaConfig config_;
  MatrixView token_embd_;
  MatrixView output_;
  bool tied_output_ = false;
  const float* output_norm_ = nullptr;
  const float* rope_freq_factors_ = nullptr;
  std::vector<LlamaLayerWeights> layers_;
  // Vectors stored in the file as something other than f32 (e.g. an f16 norm), widened at load:
  // they are tiny next to the matrices, which are never copied.
  std::vector<std::vector<float>> widened_;
  int64_t n_params_ = 0;
  uint64_t weight_bytes_ = 0;
};

}  // namespace anvil::engine
