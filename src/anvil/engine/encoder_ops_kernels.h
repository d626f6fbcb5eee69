// Internal to encoder_ops.cpp: the inner loops of the encoder's element-wise ops and attention, in
// a portable version and SIMD ones (encoder_ops_simd.h, instantiated for AVX2/FMA and AVX-512),
// chosen per call by cpu_level().
#pragma once

#include <cstdint>

namespace anvil::engine::encoder_detail {

struct EncoderKernels {
  const char* name;
  // x[i] += y[i] + bias[i] for i < n; y or bias may be null (then not added).
  void (*add)(float* x, const float* y, const float* bias, int64_t n);
  // row = (row - mean) / sqrt(var + eps) * w + b, biased variance; sums precise enough for rows
  // with a large common offset (double accumulators).
  void (*layer_norm_row)(float* row, int64_t n, const float* w, const float* b, float eps);
  // x[i] = 0.5 x (1 + erf(x / sqrt 2)) for i < n.
  void (*gelu)(float* x, int64_t n);
  // Attention of one head over one sequence of `len` rows. q, k, v, out point at the head's
  // columns of the sequence's first row; consecutive rows are `stride` floats apart.
  // out[i] = sum_j softmax_j(scale * q[i] . k[j]) v[j]. scratch: attention_scratch_floats().
  void (*attention_head)(const float* q, const float* k, const float* v, float* out,
                         int64_t stride, int64_t len, int64_t head_dim, float scale,
                         float* scratch);
};

// The SIMD attention pads each head's keys to a multiple of this (two vectors of 16 lanes).
constexpr int64_t kAttentionKeyBlock = 32;
inline int64_t attention_padded_len(int64_t len) {
  return (len + kAttentionKeyBlock - 1) / kAttentionKeyBlock * kAttentionKeyBlock;
}

// Floats of scratch space attention_head needs (keys transposed, padded, plus 4 rows of scores).
inline int64_t attention_scratch_floats(int64_t len, int64_t head_dim) {
  const int64_t padded = attention_padded_len(len);
  return padded * head_dim + 4 * padded;
}

const EncoderKernels& portable_encoder_kernels();
// In encoder_ops_avx2.cpp / encoder_ops_avx512.cpp (built with those instruction sets): call only
// when cpu_level() is at least that level.
const EncoderKernels& avx2_encoder_kernels();
const EncoderKernels& avx512_encoder_kernels();

}  // namespace anvil::engine::encoder_detail
