// The decoder's operators besides matmul, on f32 activations: RMSNorm, RoPE, SwiGLU's gate,
// softmax and causal grouped-query attention over the KV cache. Math: docs/MODELS.md; threading
// and layout: docs/ENGINE.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "anvil/engine/model_config.h"

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

class KvCache;

// out[r, :] = x[r, :] / sqrt(mean(x[r, :]^2) + eps) * w.  x, out: [n, d] (out may be x); w: [d].
void rmsnorm(const float* x, const float* w, int64_t n, int64_t d, float eps, float* out);

// y[r, :] += b for each of n rows.  y: [n, d]; b: [d].
void add_bias(float* y, const float* b, int64_t n, int64_t d);

// x[i] += y[i] for i < count.
void add_in_place(float* x, const float* y, int64_t count);

// gate[i] = silu(gate[i]) * up[i], silu(v) = v / (1 + e^-v).  gate, up: [count]. Split over the
// pool when large (pool may be null).
void silu_mul(float* gate, const float* up, int64_t count, core::ThreadPool* pool);

// x[i] = e^(x[i] - max x) / sum_j e^(x[j] - max x), in place.
void softmax(float* x, int64_t n);

struct RopeParams {
  int64_t head_dim = 0;
  int64_t n_rot = 0;                     // even, <= head_dim: dims [0, n_rot) of each head rotate
  RopeType type = RopeType::kNormal;
  float freq_base = 10000.0f;
  float freq_scale = 1.0f;               // positions are multiplied by this (linear scaling)
  const float* freq_factors = nullptr;   // [n_rot / 2] divisors of each frequency, or null
};

// Angles for positions pos0 .. pos0 + n - 1: cos_sin [n, n_rot / 2, 2] f32 (cos, sin), with
// theta(p, i) = p * freq_scale * freq_base^(-2i / n_rot) / freq_factors[i], computed in double.
void rope_angles(const RopeParams& params, int64_t pos0, int64_t n, float* cos_sin);

// Rotates x: [n, n_heads * head_dim] in place, row t by the angles of cos_sin row t; pair i is
// (2i, 2i+1) for kNormal and (i, i + n_rot/2) for kNeox: (a, b) -> (a cos - b sin, a sin + b cos).
void rope(const RopeParams& params, const float* cos_sin, int64_t n, int64_t n_heads, float* x);

struct AttentionShape {
  int64_t n_head = 0;
  int64_t n_head_kv = 0;  // query head h reads KV head h / (n_head / n_head_kv)
  int64_t head_dim = 0;
};

// Causal attention of n query rows against layer `layer` of the cache, which must already hold
// positions [0, pos0 + n). q, out: [n, n_head * head_dim]; row t is position pos0 + t and attends
// to positions [0, pos0 + t] with softmax(q k^T / sqrt(head_dim)). Parallel over heads (and
// blocks of rows) on the pool; pool may be null.
void attention(const AttentionShape& shape, const float* q, const KvCache& kv, int64_t layer,
               int64_t pos0, int64_t n, float* out, core::ThreadPool* pool);

// "avx512", "avx2" or "portable": which inner loops the operators use, following cpu_level()
// (engine/cpu_features.h; ANVIL_CPU=portable forces the portable ones).
std::string_view ops_kernels_name();

}  // namespace anvil::engine
