#include "anvil/engine/llama_session.h"

#include <algorithm>
#include <chrono>

#include <fmt/format.h>

#include "anvil/engine/matmul.h"

namespace anvil::engine {

using core::Status;

std::string_view LlamaProfile::name(int op) {
  static constexpr std::array<std::string_view, kCount> kNames = {
      "embed", "norm", "qkv", "rope", "attention", "wo", "gate_up", "silu", "down", "output", "other"};
  return op >= 0 && op < kCount ? kNames[static_cast<size_t>(op)] : "?";
}

core::Result<std::unique_ptr<LlamaSession>> LlamaSession::create(const LlamaModel& model,
                                                                 const LlamaSessionOptions& options,
                                                                 core::ThreadPool* pool) {
  const LlamaConfig& c = model.config();
  const int64_t n_ctx = options.n_ctx > 0 ? options.n_ctx : c.n_ctx_train;
  if (options.n_ctx < 0) {
    return Status::invalid_argument(fmt::format("context size must be positive, found {}", options.n_ctx));
  }
  if (options.n_batch <= 0) {
    return Status::invalid_argument(fmt::format("batch size must be positive, found {}", options.n_batch));
  }
  std::unique_ptr<LlamaSession> s(new LlamaSession(model, pool));
  ANVIL_ASSIGN_OR_RETURN(s->cache_, KvCache::create(c.n_layer, n_ctx, c.kv_dim(), options.kv_type));
  s->rope_ = RopeParams{c.head_dim, c.n_rot, c.rope_type, c.rope_freq_base, c.rope_freq_scale,
                        model.rope_freq_factors()};
  s->n_batch_ = std::min(options.n_batch, n_ctx);
  s->profiling_ = options.profile;
  return s;
}

void LlamaSession::reserve_rows(int64_t n) {
  if (n <= scratch_rows_) return;
  // Grown on demand, not at n_batch up front: decoding needs one row, and these buffers are a
  // visible share of a small model's resident memory (27 MiB for 512 rows of Qwen2.5-0.5B).
  const LlamaConfig& c = model_.config();
  const auto rows = static_cast<size_t>(n);
  x_.resize(rows * c.n_embd);
  h_.resize(rows * c.n_embd);
  q_.resize(rows * c.q_dim());
  k_.resize(rows * c.kv_dim());
  v_.resize(rows * c.kv_dim());
  att_.resize(rows * c.q_dim());
  gate_.resize(rows * c.n_ff);
  up_.resize(rows * c.n_ff);
  rope_cs_.resize(rows * c.n_rot);
  scratch_rows_ = n;
}

void LlamaSession::truncate(int64_t n) { n_past_ = std::clamp<int64_t>(n, 0, n_past_); }

Status LlamaSession::eval(std::span<const int32_t> tokens, LogitsFor which, std::vector<float>* logits) {
  const int64_t n = static_cast<int64_t>(tokens.size());
  const int64_t n_vocab = model_.config().n_vocab;
  if (n == 0) return Status::invalid_argument("no tokens to evaluate");
  if (n_past_ + n > n_ctx()) {
    return Status::invalid_argument(fmt::format(
        "cannot evaluate {} tokens at position {}: the context holds {} positions", n, n_past_, n_ctx()));
  }
  for (int32_t id : tokens) {
    if (id < 0 || id >= n_vocab) {
      return Status::invalid_argument(fmt::format(
          "token id {} is out of range: the vocabulary has {} tokens", id, n_vocab));
    }
  }
  float* out = nullptr;
  if (logits) {
    logits->resize(static_cast<size_t>((which == LogitsFor::kAll ? n : 1) * n_vocab));
    out = logits->data();
  }
  for (int64_t b = 0; b < n; b += n_batch_) {
    const int64_t nb = std::min(n_batch_, n - b);
    const bool last_batch = b + nb == n;
    float* batch_logits = nullptr;
    if (out && which == LogitsFor::kAll) {
      batch_logits = out + b * n_vocab;
    } else if (out && last_batch) {
      batch_logits = out;
    }
    forward(tokens.data() + b, nb, which, batch_logits);
  }
  return Status::ok_status();
}

void LlamaSession::forward(const int32_t* ids, int64_t n, LogitsFor which, float* logits) {
  const LlamaConfig& c = model_.config();
  const int64_t pos0 = n_past_;
  const int64_t d = c.n_embd;
  reserve_rows(n);
  using Clock = std::chrono::steady_clock;
  Clock::time_point mark = profiling_ ? Clock::now() : Clock::time_point{};
  auto lap = [&](int op) {
    if (!profiling_) return;
    const Clock::time_point now = Clock::now();
    profile_.seconds[static_cast<size_t>(op)] += std::chrono::duration<double>(now - mark).count();
    mark = now;
  };

  float* x = x_.data();
  float* h = h_.data();
  get_rows(model_.token_embd(), ids, n, x);
  rope_angles(rope_, pos0, n, rope_cs_.data());
  lap(LlamaProfile::kEmbed);
  const AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim};

  for (int64_t il = 0; il < c.n_layer; ++il) {
    const LlamaLayerWeights& l = model_.layers()[static_cast<size_t>(il)];
    // Attention block: x += Wo attention(rope(Wq h + bq), rope(Wk h + bk), Wv h + bv).
    rmsnorm(x, l.attn_norm, n, d, c.rms_eps, h);
    lap(LlamaProfile::kNorm);
    matmul(l.wq, h, n, q_.data(), pool_);
    matmul(l.wk, h, n, k_.data(), pool_);
    matmul(l.wv, h, n, v_.data(), pool_);
    if (l.bq) add_bias(q_.data(), l.bq, n, c.q_dim());
    if (l.bk) add_bias(k_.data(), l.bk, n, c.kv_dim());
    if (l.bv) add_bias(v_.data(), l.bv, n, c.kv_dim());
    lap(LlamaProfile::kQkv);
    rope(rope_, rope_cs_.data(), n, c.n_head, q_.data());
    rope(rope_, rope_cs_.data(), n, c.n_head_kv, k_.data());
    cache_->write(il, pos0, n, k_.data(), v_.data());
    lap(LlamaProfile::kRope);
    attention(shape, q_.data(), *cache_, il, pos0, n, att_.data(), pool_);
    lap(LlamaProfile::kAttention);
    matmul(l.wo, att_.data(), n, h, pool_);
    add_in_place(x, h, n * d);
    lap(LlamaProfile::kWo);

    // Feed-forward block: x += W_down (silu(W_gate h) * (W_up h)).
    rmsnorm(x, l.ffn_norm, n, d, c.rms_eps, h);
    lap(LlamaProfile::kNorm);
    matmul(l.w_gate, h, n, gate_.data(), pool_);
    matmul(l.w_up, h, n, up_.data(), pool_);
    lap(LlamaProfile::kGateUp);
    silu_mul(gate_.data(), up_.data(), n * c.n_ff, pool_);
    lap(LlamaProfile::kSilu);
    matmul(l.w_down, gate_.data(), n, h, pool_);
    add_in_place(x, h, n * d);
    lap(LlamaProfile::kDown);
  }
  n_past_ += n;

  if (!logits) return;
  // Only the rows whose logits are wanted go through the output norm and the (large) output matmul.
  const int64_t first = which == LogitsFor::kAll ? 0 : n - 1;
  const int64_t rows = n - first;
  rmsnorm(x + first * d, model_.output_norm(), rows, d, c.rms_eps, h);
  lap(LlamaProfile::kNorm);
  matmul(model_.output(), h, rows, logits, pool_);
  lap(LlamaProfile::kOutput);
}

}  // namespace anvil::engine
