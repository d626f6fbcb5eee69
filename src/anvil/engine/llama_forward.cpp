#include "anvil/engine/llama_forward.h"

#include <chrono>

#include "anvil/engine/matmul.h"

namespace anvil::engine {

std::string_view LlamaProfile::name(int op) {
  static constexpr std::array<std::string_view, kCount> kNames = {
      "embed", "norm", "qkv", "rope", "attention", "wo", "gate_up", "silu", "down", "output", "other"};
  return op >= 0 && op < kCount ? kNames[static_cast<size_t>(op)] : "?";
}

LlamaForward::LlamaForward(const LlamaModel& model, core::ThreadPool* pool, bool profile)
    : model_(model), pool_(pool), profiling_(profile) {
  const LlamaConfig& c = model.config();
  rope_ = RopeParams{c.head_dim, c.n_rot, c.rope_type, c.rope_freq_base, c.rope_freq_scale,
                     model.rope_freq_factors()};
}

int64_t LlamaForward::logits_rows(std::span<const SequenceBatch> batch) {
  int64_t rows = 0;
  for (const SequenceBatch& s : batch) {
    if (s.logits == LogitsFor::kLast) rows += 1;
    if (s.logits == LogitsFor::kAll) rows += static_cast<int64_t>(s.tokens.size());
  }
  return rows;
}

void LlamaForward::reserve_rows(int64_t n) {
  if (n <= scratch_rows_) return;
  // Grown on demand, not at n_batch up front: decoding needs one row per sequence, and these
  // buffers are a visible share of a small model's resident memory (27 MiB for 512 rows of
  // Qwen2.5-0.5B).
  const LlamaConfig& c = model_.config();
  const auto rows = static_cast<size_t>(n);
  ids_.resize(rows);
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

void LlamaForward::run(std::span<const SequenceBatch> batch, float* logits) {
  const LlamaConfig& c = model_.config();
  const int64_t d = c.n_embd;
  int64_t n = 0;
  for (const SequenceBatch& s : batch) n += static_cast<int64_t>(s.tokens.size());
  if (n == 0) return;
  reserve_rows(n);

  using Clock = std::chrono::steady_clock;
  Clock::time_point mark = profiling_ ? Clock::now() : Clock::time_point{};
  auto lap = [&](int op) {
    if (!profiling_) return;
    const Clock::time_point now = Clock::now();
    profile_.seconds[static_cast<size_t>(op)] += std::chrono::duration<double>(now - mark).count();
    mark = now;
  };

  // Rows are the sequences' tokens back to back; each row's RoPE angles follow its own position.
  int64_t row = 0;
  for (const SequenceBatch& s : batch) {
    const auto ns = static_cast<int64_t>(s.tokens.size());
    std::copy(s.tokens.begin(), s.tokens.end(), ids_.begin() + row);
    rope_angles(rope_, s.pos0, ns, rope_cs_.data() + row * c.n_rot);
    row += ns;
  }
  float* x = x_.data();
  float* h = h_.data();
  get_rows(model_.token_embd(), ids_.data(), n, x);
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
    row = 0;
    for (const SequenceBatch& s : batch) {
      const auto ns = static_cast<int64_t>(s.tokens.size());
      s.cache->write(il, s.pos0, ns, k_.data() + row * c.kv_dim(), v_.data() + row * c.kv_dim());
      row += ns;
    }
    lap(LlamaProfile::kRope);
    row = 0;
    for (const SequenceBatch& s : batch) {
      const auto ns = static_cast<int64_t>(s.tokens.size());
      attention(shape, q_.data() + row * c.q_dim(), *s.cache, il, s.pos0, ns,
                att_.data() + row * c.q_dim(), pool_);
      row += ns;
    }
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

  // Only the rows whose logits are wanted go through the output norm and the (large) output
  // matmul; they are normed into h back to back, in sequence order.
  int64_t rows = 0;
  row = 0;
  for (const SequenceBatch& s : batch) {
    const auto ns = static_cast<int64_t>(s.tokens.size());
    const int64_t first = s.logits == LogitsFor::kAll ? 0 : ns - 1;
    if (s.logits != LogitsFor::kNone) {
      rmsnorm(x + (row + first) * d, model_.output_norm(), ns - first, d, c.rms_eps, h + rows * d);
      rows += ns - first;
    }
    row += ns;
  }
  lap(LlamaProfile::kNorm);
  if (rows == 0 || logits == nullptr) return;
  matmul(model_.output(), h, rows, logits, pool_);
  lap(LlamaProfile::kOutput);
}

}  // namespace anvil::engine
