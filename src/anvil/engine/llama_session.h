// One sequence of a Llama-family decoder: its KV cache and position, evaluating batches of tokens
// at consecutive positions (prefill: one matmul per weight for the whole batch; decode: a batch
// of one) through LlamaForward. Layout and threading: docs/ENGINE.md.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/ggml_type.h"
#include "anvil/engine/kv_cache.h"
#include "anvil/engine/llama_forward.h"
#include "anvil/engine/llama_model.h"

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

  const LlamaModel& model() const { return forward_.model(); }
  const KvCache& kv_cache() const { return *cache_; }
  const LlamaProfile& profile() const { return forward_.profile(); }

 private:
  LlamaSession(const LlamaModel& model, core::ThreadPool* pool, bool profile)
      : forward_(model, pool, profile) {}

  LlamaForward forward_;
  std::unique_ptr<KvCache> cache_;
  int64_t n_batch_ = 0;
  int64_t n_past_ = 0;
};

}  // namespace anvil::engine
