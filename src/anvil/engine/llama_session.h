// The forward pass of a Llama-family decoder for one sequence: a KV cache plus scratch buffers,
// evaluating batches of tokens at consecutive positions (prefill: one matmul per weight for the
// whole batch; decode: a batch of one). Layout and threading: docs/ENGINE.md.
#pragma once

#include <array>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/ggml_type.h"
#include "anvil/engine/kv_cache.h"
#include "anvil/engine/llama_model.h"
#include "anvil/engine/ops.h"

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

struct LlamaSessionOptions {
  int64_t n_ctx = 0;       // positions the cache holds; 0 = the model's training context
  int64_t n_batch = 512;   // most tokens per forward pass: longer inputs are split
  GgmlType kv_type = GgmlType::kF16;  // kF32 or kF16
  bool profile = false;    // accumulate time per operator (profile())
};

enum class LogitsFor {
  kLast,  // [n_vocab] of the last token (generation)
  kAll,   // [n_tokens, n_vocab] of every token (parity tests, perplexity)
};

// Seconds spent per operator since the session was created (options.profile only).
struct LlamaProfile {
  enum Op { kEmbed, kNorm, kQkv, kRope, kAttention, kWo, kGateUp, kSilu, kDown, kOutput, kOther, kCount };
  static std::string_view name(int op);
  std::array<double, kCount> seconds{};
};

class LlamaSession {
 public:
  // The model and pool must outlive the session; pool may be null (one thread).
  static core::Result<std::unique_ptr<LlamaSession>> create(const LlamaModel& model,
                                                            const LlamaSessionOptions& options,
                                                            core::ThreadPool* pool);

  // Evaluates `tokens` at positions n_past() .. n_past() + size - 1, stores their keys and values
  // in the cache, and writes the logits asked for to *logits (resized; may be null). Fails
  // without changing anything when the tokens do not fit in the context or an id is not in the
  // vocabulary.
  core::Status eval(std::span<const int32_t> tokens, LogitsFor which, std::vector<float>* logits);

  int64_t n_past() const { return n_past_; }
  int64_t n_ctx() const { return cache_->n_ctx(); }
  int64_t n_batch() const { return n_batch_; }
  // Forgets positions >= n (n <= n_past()): the next eval continues at position n.
  void truncate(int64_t n);
  void reset() { truncate(0); }

  const LlamaModel& model() const { return model_; }
  const KvCache& kv_cache() const { return *cache_; }
  const LlamaProfile& profile() const { return profile_; }

 private:
  LlamaSession(const LlamaModel& model, core::ThreadPool* pool) : model_(model), pool_(pool) {}
  // One batch of n <= n_batch tokens at positions n_past_ ..; logits rows as `which` says.
  void forward(const int32_t* ids, int64_t n, LogitsFor which, float* logits);
  void reserve_rows(int64_t n);  // scratch for batches of n tokens

  const LlamaModel& model_;
  core::ThreadPool* pool_;
  std::unique_ptr<KvCache> cache_;
  RopeParams rope_;
  int64_t n_batch_ = 0;
  int64_t n_past_ = 0;
  bool profiling_ = false;
  LlamaProfile profile_;
  // Scratch, [scratch_rows_, width] each, grown up to n_batch as batches need.
  int64_t scratch_rows_ = 0;
  std::vector<float> x_;     // residual stream, n_embd
  std::vector<float> h_;     // normed input / matmul output, n_embd
  std::vector<float> q_;     // q_dim
  std::vector<float> k_;     // kv_dim
  std::vector<float> v_;     // kv_dim
  std::vector<float> att_;   // q_dim
  std::vector<float> gate_;  // n_ff
  std::vector<float> up_;    // n_ff
  std::vector<float> rope_cs_;  // [n_batch, n_rot / 2, 2]
};

}  // namespace anvil::engine
