// Hyperparameters of a Llama-family decoder (arch "llama" — which Mistral files use too — and
// "qwen2") read from GGUF metadata, with the defaults llama.cpp applies. The keys and their
// meaning are listed in docs/MODELS.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::engine {

class GgufFile;

// Which dimensions of a head RoPE rotates together (llama.cpp's rope types).
enum class RopeType {
  kNormal,  // pairs (2i, 2i+1): arch llama
  kNeox,    // pairs (i, i + n_rot/2): arch qwen2
};

struct LlamaConfig {
  std::string arch;        // "llama" or "qwen2"
  int64_t n_ctx_train = 0; // {A}.context_length: the context the model was trained with
  int64_t n_embd = 0;      // residual stream width
  int64_t n_layer = 0;
  int64_t n_ff = 0;        // SwiGLU hidden width
  int64_t n_head = 0;
  int64_t n_head_kv = 0;   // < n_head: grouped-query attention
  int64_t head_dim = 0;    // {A}.attention.key_length, else n_embd / n_head
  int64_t n_rot = 0;       // dimensions of each head RoPE rotates (even, <= head_dim)
  int64_t n_vocab = 0;
  float rms_eps = 1e-5f;
  float rope_freq_base = 10000.0f;
  // Positions are multiplied by this before RoPE: 1 / rope.scaling.factor for linear scaling.
  float rope_freq_scale = 1.0f;
  RopeType rope_type = RopeType::kNormal;
  bool qkv_bias = false;   // qwen2 carries biases on Q, K and V

  int64_t q_dim() const { return n_head * head_dim; }     // width of Q (and of attention output)
  int64_t kv_dim() const { return n_head_kv * head_dim; } // width of K and V (one cache row)
};

// Reads and checks the hyperparameters. Errors name the file and key, e.g.
// "m.gguf: missing metadata 'llama.block_count'" or
// "m.gguf: architecture 'gpt2' is not a Llama-family decoder (expected llama or qwen2)".
core::Result<LlamaConfig> load_llama_config(const GgufFile& file);

// Whether `arch` (general.architecture) is one load_llama_config accepts.
bool is_llama_family(std::string_view arch);

}  // namespace anvil::engine
