// One forward pass of a Llama-family decoder over the tokens of one or more sequences at once:
// the weight matmuls see every row together (so concurrent requests share each pass over the
// weights: continuous batching), while RoPE, cache writes and attention run per sequence against
// that sequence's own KV cache. LlamaSession drives it for one sequence, BatchScheduler for many.
#pragma once

#include <array>
#include <chrono>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "anvil/engine/kv_cache.h"
#include "anvil/engine/llama_model.h"
#include "anvil/engine/ops.h"

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

enum class LogitsFor {
  kNone,  // no logits (a prefill chunk that is not the prompt's last)
  kLast,  // [n_vocab] of the sequence's last token (generation)
  kAll,   // [n_tokens, n_vocab] of every token (parity tests, perplexity)
};

// Seconds spent per operator (profiling only).
struct LlamaProfile {
  enum Op { kEmbed, kNorm, kQkv, kRope, kAttention, kWo, kGateUp, kSilu, kDown, kOutput, kOther, kCount };
  static std::string_view name(int op);
  std::array<double, kCount> seconds{};
};

// The tokens one sequence contributes to a pass: positions pos0 .. pos0 + tokens.size() - 1 of
// `cache`, which must already hold positions [0, pos0) and have room for the rest.
struct SequenceBatch {
  KvCache* cache = nullptr;
  int64_t pos0 = 0;
  std::span<const int32_t> tokens;
  LogitsFor logits = LogitsFor::kLast;
};

class LlamaForward {
 public:
  // The model and pool must outlive this; pool may be null (one thread).
  LlamaForward(const LlamaModel& model, core::ThreadPool* pool, bool profile = false);

  // Evaluates every sequence's tokens and writes their keys and values to their caches. Logits
  // rows go to `logits` in sequence order (kLast: one row, kAll: one per token, kNone: none):
  // [rows, n_vocab] f32. Ids and positions must have been checked by the caller.
  void run(std::span<const SequenceBatch> batch, float* logits);

  // Rows of logits `batch` produces.
  static int64_t logits_rows(std::span<const SequenceBatch> batch);

  const LlamaModel& model() const { return model_; }
  const LlamaProfile& profile() const { return profile_; }

 private:
  void reserve_rows(int64_t n);  // scratch for passes of n tokens
  int64_t ffn_columns(int64_t n) const;  // hidden columns of the feed-forward per slice
  void feed_forward(const LlamaLayerWeights& l, int64_t n, float* x);
  using Clock = std::chrono::steady_clock;
  void lap(int op);  // profiling: adds the time since the last lap to op


  const LlamaModel& model_;
  core::ThreadPool* pool_;
  RopeParams rope_;
  bool profiling_ = false;
  LlamaProfile profile_;
  Clock::time_point mark_;
  int64_t ffn_align_ = 0;  // feed-forward slices are a multiple of this many columns

  // Scratch, grown as passes need (never shrunk); rows = tokens of the pass. Sized so that a
  // 512-token prompt of Qwen2.5-0.5B needs ~8 MiB: the feed-forward's [rows, n_ff] hidden layer
  // is computed in column slices (feed_forward), and the block buffers are reused.
  int64_t scratch_rows_ = 0;
  std::vector<int32_t> ids_;    // the tokens of the pass, concatenated
  std::vector<float> x_;        // residual stream [rows, n_embd]
  std::vector<float> h_;        // [rows, max(n_embd, q_dim)]: a block's normed input, then attention's output
  std::vector<float> y_;        // [rows, max(n_embd, q_dim)]: queries, then a block's output before x +=
  std::vector<float> k_;        // [rows, kv_dim]
  std::vector<float> v_;        // [rows, kv_dim]
  std::vector<float> gate_;     // [rows, ffn_columns(rows)]
  std::vector<float> up_;       // [rows, ffn_columns(rows)]
  std::vector<float> rope_cs_;  // [rows, n_rot / 2, 2]
};

}  // namespace anvil::engine
