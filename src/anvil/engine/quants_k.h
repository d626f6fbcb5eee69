// K-quant (256-element super-block) dequantization and reference quantization, internal to the
// engine: quants.cpp dispatches here by type. Layouts and rounding: docs/QUANTIZATION.md.
#pragma once

#include <cstdint>

#include "anvil/engine/quants_blocks.h"

namespace anvil::engine {

// y: [nb * 256] f32.
void dequantize_q2_k(const BlockQ2_K* x, float* y, int64_t nb);
void dequantize_q3_k(const BlockQ3_K* x, float* y, int64_t nb);
void dequantize_q4_k(const BlockQ4_K* x, float* y, int64_t nb);
void dequantize_q5_k(const BlockQ5_K* x, float* y, int64_t nb);
void dequantize_q6_k(const BlockQ6_K* x, float* y, int64_t nb);

// x: [nb * 256] f32. Same rounding as ggml's quantize_row_*_ref (no importance matrix).
void quantize_q2_k(const float* x, BlockQ2_K* y, int64_t nb);
void quantize_q3_k(const float* x, BlockQ3_K* y, int64_t nb);
void quantize_q4_k(const float* x, BlockQ4_K* y, int64_t nb);
void quantize_q5_k(const float* x, BlockQ5_K* y, int64_t nb);
void quantize_q6_k(const float* x, BlockQ6_K* y, int64_t nb);

// Activation quantization for K-quant dot products: d = max|x| / 127, qs = round(x / d) in
// [-127, 127] (never -128, so SIMD sign tricks cannot overflow), bsums = sums of each 16 quants.
void quantize_q8_k(const float* x, BlockQ8_K* y, int64_t nb);

}  // namespace anvil::engine
