// The element-wise and attention operations of BERT-style encoders (layer norm with bias, exact
// GELU, non-causal attention over sequences packed end to end): f32, AVX2/FMA kernels with a
// portable fallback chosen by cpu_level(), split across a thread pool where the work is large
// enough. See docs/EMBEDDINGS.md.
#pragma once

#include <cstdint>
#include <span>

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

// One sequence inside a packed batch: rows [start, start + length) of the activations.
struct SequenceSpan {
  int64_t start = 0;
  int64_t length = 0;
};

// x: [n_rows, n] f32, in place: x = (x - mean) / sqrt(var + eps) * w + b per row, with the biased
// variance (divided by n), as torch.nn.LayerNorm. Sums in double so long rows stay exact.
void layer_norm(float* x, int64_t n_rows, int64_t n, const float* w, const float* b, float eps,
                core::ThreadPool* pool);

// The residual step after attention and after the FFN in a post-norm encoder, in one pass:
// x[r, :] = layer_norm(x[r, :] + y[r, :] + y_bias[:]) with weights w, b. x, y: [n_rows, n].
void residual_layer_norm(float* x, const float* y, const float* y_bias, int64_t n_rows, int64_t n,
                         const float* w, const float* b, float eps, core::ThreadPool* pool);

// x: [n_rows, n], in place: x[r, :] += bias[:].
void add_bias(float* x, int64_t n_rows, int64_t n, const float* bias, core::ThreadPool* pool);

// y[i] += x[i] for i < n.
void add_in_place(float* y, const float* x, int64_t n, core::ThreadPool* pool);

// The exact GELU 0.5 x (1 + erf(x / sqrt 2)) that BERT was trained with (not the tanh form),
// with an erf accurate to about 3e-7 absolute that the compiler can vectorize.
float gelu_erf(float x);
// x: [n] in place.
void gelu_erf_in_place(float* x, int64_t n, core::ThreadPool* pool);

// erf(x) to about 3e-7 absolute (Abramowitz & Stegun 7.1.26 with a polynomial exp; the Maclaurin
// series below 0.5): exposed for tests.
float fast_erf(float x);
// exp(x) for x <= 0 to a few ulp (x below -87 gives 0): exposed for tests.
float fast_exp_nonpositive(float x);

// Multi-head self-attention without a causal mask, each sequence attending only to its own rows.
// q, k, v, out: [n_tokens, n_head * head_dim] f32 row-major (head h in columns
// [h * head_dim, (h + 1) * head_dim)); sequences cover disjoint row ranges.
// out[t, h] = sum_j softmax_j(q[t, h] . k[j, h] * scale) v[j, h] over the rows j of t's sequence.
// Rows of `out` outside every sequence are left untouched. Parallel over (sequence, head).
void encoder_attention(const float* q, const float* k, const float* v, int64_t n_head,
                       int64_t head_dim, float scale, std::span<const SequenceSpan> seqs,
                       float* out, core::ThreadPool* pool);

// Each row of x: [n_rows, n] divided by its L2 norm (rows of norm 0 are left as they are).
void l2_normalize_rows(float* x, int64_t n_rows, int64_t n);

}  // namespace anvil::engine
