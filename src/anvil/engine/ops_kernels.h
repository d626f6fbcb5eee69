// Internal to ops.cpp: the inner loops of the decoder's element-wise and attention operators, in a
// portable version, an AVX2/FMA/F16C one (ops_avx2.cpp) and an AVX-512 one (ops_avx512.cpp), chosen
// at run time by cpu_level().
#pragma once

#include <cstddef>
#include <cstdint>

namespace anvil::engine::ops_detail {

struct OpsKernels {
  const char* name;
  // sum_i a[i] * b[i]
  float (*dot)(const float* a, const float* b, int64_t n);
  // gate[i] = silu(gate[i]) * up[i], silu(x) = x / (1 + e^-x)
  void (*silu_mul)(float* gate, const float* up, int64_t n);
  // max_i x[i], n >= 1
  float (*max)(const float* x, int64_t n);
  // x[i] = e^(x[i] - max); returns the sum of the new x
  float (*exp_sum)(float* x, int64_t n, float max);
  // Attention over one KV head for n_q query vectors at once (so that each key and value row
  // loaded serves several queries). K_j, V_j: d values at k (v) + j * stride bytes, f32 (f16 for
  // the _f16 variants).
  // s[m * ld + j] = scale * sum_i q[m][i] * K_j[i] for m < n_q, j < n.
  void (*scores_f32)(const float* const* q, int64_t n_q, const uint8_t* k, size_t stride, int64_t n,
                     int64_t d, float scale, float* s, int64_t ld);
  void (*scores_f16)(const float* const* q, int64_t n_q, const uint8_t* k, size_t stride, int64_t n,
                     int64_t d, float scale, float* s, int64_t ld);
  // out[m][i] = sum_j p[m * ld + j] * V_j[i] for m < n_q, i < d.
  void (*weighted_sum_f32)(const float* p, int64_t ld, int64_t n_q, const uint8_t* v, size_t stride,
                           int64_t n, int64_t d, float* const* out);
  void (*weighted_sum_f16)(const float* p, int64_t ld, int64_t n_q, const uint8_t* v, size_t stride,
                           int64_t n, int64_t d, float* const* out);
};

const OpsKernels& portable_ops();
// The AVX2 and AVX-512 kernels handle any size (scalar or masked tails).
const OpsKernels* avx2_ops();
const OpsKernels* avx512_ops();

}  // namespace anvil::engine::ops_detail
