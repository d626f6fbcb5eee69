#include "anvil/engine/llama_forward.h"

#include <algorithm>
#include <chrono>

#include "anvil/engine/matmul.h"

namespace anvil::engine {

std::string_view LlamaProfile::name(int op) {
  static constexpr std::array<std::string_view, kCount> kNames = {
      "embed", "norm", "qkv", "rope", "attention", "wo", "gate_up", "silu", "down", "output", "other"};
  return op >= 0 && op < kCount ? kNames[static_cast<size_t>(op)] : "?";
}

namespace {

// The feed-forward's hidden layer ([rows, n_ff], for gate and for up) is the largest activation
// of a prompt pass: 9.5 MiB each for 512 rows of Qwen2.5-0.5B. Passes of more than kFfnRows rows
// compute it in slices of columns (rows of W_gate and W_up, columns of W_down) holding about
// kFfnRows x n_ff values each:
//   x += sum over slices s of W_down[:, s] (silu(W_gate[s] h) * W_up[s] h)
// Every weight is still read and packed once per pass; only the down projection's sum is split.
// 32 rows: 0.6 MiB each for Qwen2.5-0.5B, slices of 288 columns at 512 rows (64 rows measured
// 1.100 x (file + KV cache) for its Q4_0 file, with no margin; docs/BENCHMARKS.md, "Memory").
constexpr int64_t kFfnRows = 32;

}  // namespace

LlamaForward::LlamaForward(const LlamaModel& model, core::ThreadPool* pool, bool profile)
    : model_(model), pool_(pool), profiling_(profile) {
  const LlamaConfig& c = model.config();
  rope_ = RopeParams{c.head_dim, c.n_rot, c.rope_type, c.rope_freq_base, c.rope_freq_scale,
                     model.rope_freq_factors()};
  // Slice edges must fall on W_down's block boundaries, and on 32 columns (the AMX tiles' k).
  ffn_align_ = 32;
  for (const LlamaLayerWeights& l : model.layers()) {
    ffn_align_ = std::max(ffn_align_, ggml_traits(l.w_down.type).block_size);
  }
  if (c.n_ff % ffn_align_ != 0) ffn_align_ = c.n_ff;  // no slicing
}

int64_t LlamaForward::logits_rows(std::span<const SequenceBatch> batch) {
  int64_t rows = 0;
  for (const SequenceBatch& s : batch) {
    if (s.logits == LogitsFor::kLast) rows += 1;
    if (s.logits == LogitsFor::kAll) rows += static_cast<int64_t>(s.tokens.size());
  }
  return rows;
}

int64_t LlamaForward::ffn_columns(int64_t n) const {
  const int64_t n_ff = model_.config().n_ff;
  if (n <= kFfnRows) return n_ff;
  const int64_t cols = kFfnRows * n_ff / n / ffn_align_ * ffn_align_;
  return std::clamp(cols, ffn_align_, n_ff);
}

void LlamaForward::reserve_rows(int64_t n) {
  if (n <= scratch_rows_) return;
  // Grown on demand, not at n_batch up front: decoding needs one row per sequence.
  const LlamaConfig& c = model_.config();
  const auto rows = static_cast<size_t>(n);
  const auto width = static_cast<size_t>(std::max(c.n_embd, c.q_dim()));
  ids_.resize(rows);
  x_.resize(rows * c.n_embd);
  h_.resize(rows * width);
  y_.resize(rows * width);
  k_.resize(rows * c.kv_dim());
  v_.resize(rows * c.kv_dim());
  // ffn_columns(n) * n is not monotonic in n (columns round down to ffn_align_): take the most
  // any pass of up to n rows needs.
  const auto hidden = static_cast<size_t>(std::min(n, kFfnRows) * c.n_ff + n * ffn_align_);
  gate_.resize(hidden);
  up_.resize(hidden);
  rope_cs_.resize(rows * c.n_rot);
  scratch_rows_ = n;
}

void LlamaForward::lap(int op) {
  if (!profiling_) return;
  const Clock::time_point now = Clock::now();
  profile_.seconds[static_cast<size_t>(op)] += std::chrono::duration<double>(now - mark_).count();
  mark_ = now;
}

// x += W_down (silu(W_gate h) * (W_up h)) for h = h_ [n, n_embd], in slices of ffn_columns(n)
// hidden columns.
void LlamaForward::feed_forward(const LlamaLayerWeights& l, int64_t n, float* x) {
  const LlamaConfig& c = model_.config();
  const int64_t cols = ffn_columns(n);
  for (int64_t c0 = 0; c0 < c.n_ff; c0 += cols) {
    const int64_t nc = std::min(cols, c.n_ff - c0);
    const MatmulTarget gate_up[] = {{row_slice(l.w_gate, c0, nc), gate_.data()},
                                    {row_slice(l.w_up, c0, nc), up_.data()}};
    matmul_many(gate_up, h_.data(), n, pool_);
    lap(LlamaProfile::kGateUp);
    silu_mul(gate_.data(), up_.data(), n * nc, pool_);
    lap(LlamaProfile::kSilu);
    matmul(column_slice(l.w_down, c0, nc), gate_.data(), n, y_.data(), pool_);
    add_in_place(x, y_.data(), n * c.n_embd);
    lap(LlamaProfile::kDown);
  }
}

void LlamaForward::run(std::span<const SequenceBatch> batch, float* logits) {
  const LlamaConfig& c = model_.config();
  const int64_t d = c.n_embd;
  int64_t n = 0;
  for (const SequenceBatch& s : batch) n += static_cast<int64_t>(s.tokens.size());
  if (n == 0) return;
  reserve_rows(n);
  if (profiling_) mark_ = Clock::now();

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
  float* q = y_.data();
  get_rows(model_.token_embd(), ids_.data(), n, x);
  lap(LlamaProfile::kEmbed);
  const AttentionShape shape{c.n_head, c.n_head_kv, c.head_dim};

  for (int64_t il = 0; il < c.n_layer; ++il) {
    const LlamaLayerWeights& l = model_.layers()[static_cast<size_t>(il)];
    // Attention block: x += Wo attention(rope(Wq h + bq), rope(Wk h + bk), Wv h + bv).
    rmsnorm(x, l.attn_norm, n, d, c.rms_eps, h);
    lap(LlamaProfile::kNorm);
    const MatmulTarget qkv[] = {{l.wq, q}, {l.wk, k_.data()}, {l.wv, v_.data()}};
    matmul_many(qkv, h, n, pool_);
    if (l.bq) add_bias(q, l.bq, n, c.q_dim());
    if (l.bk) add_bias(k_.data(), l.bk, n, c.kv_dim());
    if (l.bv) add_bias(v_.data(), l.bv, n, c.kv_dim());
    lap(LlamaProfile::kQkv);
    rope(rope_, rope_cs_.data(), n, c.n_head, q);
    rope(rope_, rope_cs_.data(), n, c.n_head_kv, k_.data());
    row = 0;
    for (const SequenceBatch& s : batch) {
      const auto ns = static_cast<int64_t>(s.tokens.size());
      s.cache->write(il, s.pos0, ns, k_.data() + row * c.kv_dim(), v_.data() + row * c.kv_dim());
      row += ns;
    }
    lap(LlamaProfile::kRope);
    // The attention output goes to h (the normed input is no longer needed), Wo's to y.
    row = 0;
    for (const SequenceBatch& s : batch) {
      const auto ns = static_cast<int64_t>(s.tokens.size());
      attention(shape, q + row * c.q_dim(), *s.cache, il, s.pos0, ns, h + row * c.q_dim(), pool_);
      row += ns;
    }
    lap(LlamaProfile::kAttention);
    matmul(l.wo, h, n, y_.data(), pool_);
    add_in_place(x, y_.data(), n * d);
    lap(LlamaProfile::kWo);

    // Feed-forward block.
    rmsnorm(x, l.ffn_norm, n, d, c.rms_eps, h);
    lap(LlamaProfile::kNorm);
    feed_forward(l, n, x);
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
