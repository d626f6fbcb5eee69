// Internal to ops.cpp: the inner loops of the decoder's element-wise and attention operators, in a
// portable version and an AVX2/FMA/F16C one (ops_avx2.cpp), chosen once at run time.
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
  // x[i] = e^(x[i] - max); returns the sum of the new x
  float (*exp_sum)(float* x, int64_t n, float max);
  // scores[j] = scale * sum_i q[i] * K_j[i] for j < n, K_j = d values at k + j * stride bytes,
  // stored as f32 (f16 for the _f16 variant).
  void (*scores_f32)(const float* q, const uint8_t* k, size_t stride, int64_t n, int64_t d,
                     float scale, float* scores);
  void (*scores_f16)(const float* q, const uint8_t* k, size_t stride, int64_t n, int64_t d,
                     float scale, float* scores);
  // out[i] = sum_j w[j] * V_j[i] for i < d, V_j as K_j above.
  void (*weighted_sum_f32)(const float* w, const uint8_t* v, size_t stride, int64_t n, int64_t d,
                           float* out);
  void (*weighted_sum_f16)(const float* w, const uint8_t* v, size_t stride, int64_t n, int64_t d,
                           float* out);
};

const OpsKernels& portable_ops();
// The AVX2 kernels handle any d (a scalar tail covers d % 8); null when not compiled in.
const OpsKernels* avx2_ops();

}  // namespace anvil::engine::ops_detail
