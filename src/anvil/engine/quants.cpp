// Dispatch of dequantize_row / quantize_row by type, the float types, and the 32-element
// ("legacy") block types q4_0, q4_1, q5_0, q5_1, q8_0. K-quants live in quants_k.cpp.
#include "anvil/engine/quants.h"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <cstring>

#include "anvil/engine/fp16.h"
#include "anvil/engine/quants_blocks.h"
#include "anvil/engine/quants_k.h"

namespace anvil::engine {
namespace {

// Float-to-small-int conversions below truncate toward zero after adding 0.5 (or 8.5, 16.5), as
// ggml's reference quantizers do; the result is then clamped to the top code.
int trunc_to_int(float v) { return static_cast<int>(v); }

void dequantize_q4_0(const BlockQ4_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK4_0) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      y[j] = static_cast<float>((b[i].qs[j] & 0xF) - 8) * d;
      y[j + kQK4_0 / 2] = static_cast<float>((b[i].qs[j] >> 4) - 8) * d;
    }
  }
}

void dequantize_q4_1(const BlockQ4_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK4_1) {
    const float d = fp16_to_fp32(b[i].d);
    const float m = fp16_to_fp32(b[i].m);
    for (int j = 0; j < kQK4_1 / 2; ++j) {
      y[j] = static_cast<float>(b[i].qs[j] & 0xF) * d + m;
      y[j + kQK4_1 / 2] = static_cast<float>(b[i].qs[j] >> 4) * d + m;
    }
  }
}

uint32_t load_u32(const uint8_t* p) {
  uint32_t v;
  std::memcpy(&v, p, 4);
  return v;
}

void dequantize_q5_0(const BlockQ5_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK5_0) {
    const float d = fp16_to_fp32(b[i].d);
    const uint32_t qh = load_u32(b[i].qh);
    for (int j = 0; j < kQK5_0 / 2; ++j) {
      const int hi0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int hi1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
      y[j] = static_cast<float>(((b[i].qs[j] & 0xF) | hi0) - 16) * d;
      y[j + kQK5_0 / 2] = static_cast<float>(((b[i].qs[j] >> 4) | hi1) - 16) * d;
    }
  }
}

void dequantize_q5_1(const BlockQ5_1* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK5_1) {
    const float d = fp16_to_fp32(b[i].d);
    const float m = fp16_to_fp32(b[i].m);
    const uint32_t qh = load_u32(b[i].qh);
    for (int j = 0; j < kQK5_1 / 2; ++j) {
      const int hi0 = static_cast<int>((qh >> j) & 1u) << 4;
      const int hi1 = static_cast<int>((qh >> (j + 16)) & 1u) << 4;
      y[j] = static_cast<float>((b[i].qs[j] & 0xF) | hi0) * d + m;
      y[j + kQK5_1 / 2] = static_cast<float>((b[i].qs[j] >> 4) | hi1) * d + m;
    }
  }
}

void dequantize_q8_0(const BlockQ8_0* b, float* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, y += kQK8_0) {
    const float d = fp16_to_fp32(b[i].d);
    for (int j = 0; j < kQK8_0; ++j) y[j] = static_cast<float>(b[i].qs[j]) * d;
  }
}

// The value of largest magnitude in x[0..n), with its sign (the first one on ties).
float signed_absmax(const float* x, int n) {
  float amax = 0.0f, max = 0.0f;
  for (int j = 0; j < n; ++j) {
    if (amax < std::fabs(x[j])) {
      amax = std::fabs(x[j]);
      max = x[j];
    }
  }
  return max;
}

void quantize_q4_0(const float* x, BlockQ4_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK4_0) {
    // d = max / -8 maps the extreme value to code 0 (-8) exactly; the other side reaches +7.
    const float d = signed_absmax(x, kQK4_0) / -8.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK4_0 / 2; ++j) {
      const int q0 = std::min(15, trunc_to_int(x[j] * id + 8.5f));
      const int q1 = std::min(15, trunc_to_int(x[j + kQK4_0 / 2] * id + 8.5f));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void min_max(const float* x, int n, float* min, float* max) {
  *min = FLT_MAX;
  *max = -FLT_MAX;
  for (int j = 0; j < n; ++j) {
    if (x[j] < *min) *min = x[j];
    if (x[j] > *max) *max = x[j];
  }
}

void quantize_q4_1(const float* x, BlockQ4_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK4_1) {
    float min, max;
    min_max(x, kQK4_1, &min, &max);
    const float d = (max - min) / 15.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    for (int j = 0; j < kQK4_1 / 2; ++j) {
      const int q0 = std::min(15, trunc_to_int((x[j] - min) * id + 0.5f));
      const int q1 = std::min(15, trunc_to_int((x[j + kQK4_1 / 2] - min) * id + 0.5f));
      y[i].qs[j] = static_cast<uint8_t>(q0 | (q1 << 4));
    }
  }
}

void quantize_q5_0(const float* x, BlockQ5_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK5_0) {
    const float d = signed_absmax(x, kQK5_0) / -16.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    uint32_t qh = 0;
    for (int j = 0; j < kQK5_0 / 2; ++j) {
      const int q0 = std::min(31, trunc_to_int(x[j] * id + 16.5f));
      const int q1 = std::min(31, trunc_to_int(x[j + kQK5_0 / 2] * id + 16.5f));
      y[i].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>(q0 >> 4) << j;
      qh |= static_cast<uint32_t>(q1 >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void quantize_q5_1(const float* x, BlockQ5_1* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK5_1) {
    float min, max;
    min_max(x, kQK5_1, &min, &max);
    const float d = (max - min) / 31.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    y[i].m = fp32_to_fp16(min);
    uint32_t qh = 0;
    for (int j = 0; j < kQK5_1 / 2; ++j) {
      // No clamp here in ggml either: (x - min) * id <= 31 up to rounding, and +0.5 truncates.
      const int q0 = trunc_to_int((x[j] - min) * id + 0.5f) & 0xFF;
      const int q1 = trunc_to_int((x[j + kQK5_1 / 2] - min) * id + 0.5f) & 0xFF;
      y[i].qs[j] = static_cast<uint8_t>((q0 & 0xF) | ((q1 & 0xF) << 4));
      qh |= static_cast<uint32_t>((q0 & 0x10) >> 4) << j;
      qh |= static_cast<uint32_t>((q1 & 0x10) >> 4) << (j + 16);
    }
    std::memcpy(y[i].qh, &qh, 4);
  }
}

void quantize_q8_0(const float* x, BlockQ8_0* y, int64_t nb) {
  for (int64_t i = 0; i < nb; ++i, x += kQK8_0) {
    float amax = 0.0f;
    for (int j = 0; j < kQK8_0; ++j) amax = std::max(amax, std::fabs(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 1.0f / d : 0.0f;
    y[i].d = fp32_to_fp16(d);
    for (int j = 0; j < kQK8_0; ++j) y[i].qs[j] = static_cast<int8_t>(std::round(x[j] * id));
  }
}

}  // namespace

void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n) {
  assert(n % ggml_traits(type).block_size == 0);
  const int64_t nb = n / ggml_traits(type).block_size;
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      return;
    case GgmlType::kF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = fp16_to_fp32(h[i]);
      return;
    }
    case GgmlType::kBF16: {
      const auto* h = static_cast<const uint16_t*>(src);
      for (int64_t i = 0; i < n; ++i) dst[i] = bf16_to_fp32(h[i]);
      return;
    }
    case GgmlType::kQ4_0: return dequantize_q4_0(static_cast<const BlockQ4_0*>(src), dst, nb);
    case GgmlType::kQ4_1: return dequantize_q4_1(static_cast<const BlockQ4_1*>(src), dst, nb);
    case GgmlType::kQ5_0: return dequantize_q5_0(static_cast<const BlockQ5_0*>(src), dst, nb);
    case GgmlType::kQ5_1: return dequantize_q5_1(static_cast<const BlockQ5_1*>(src), dst, nb);
    case GgmlType::kQ8_0: return dequantize_q8_0(static_cast<const BlockQ8_0*>(src), dst, nb);
    case GgmlType::kQ2_K: return dequantize_q2_k(static_cast<const BlockQ2_K*>(src), dst, nb);
    case GgmlType::kQ3_K: return dequantize_q3_k(static_cast<const BlockQ3_K*>(src), dst, nb);
    case GgmlType::kQ4_K: return dequantize_q4_k(static_cast<const BlockQ4_K*>(src), dst, nb);
    case GgmlType::kQ5_K: return dequantize_q5_k(static_cast<const BlockQ5_K*>(src), dst, nb);
    case GgmlType::kQ6_K: return dequantize_q6_k(static_cast<const BlockQ6_K*>(src), dst, nb);
    default:
      assert(false && "dequantize_row: unsupported type");
      std::fill(dst, dst + n, 0.0f);
      return;
  }
}

bool can_quantize(GgmlType type) {
  switch (type) {
    case GgmlType::kF32:
    case GgmlType::kF16:
    case GgmlType::kBF16:
    case GgmlType::kQ4_0:
    case GgmlType::kQ4_1:
    case GgmlType::kQ5_0:
    case GgmlType::kQ5_1:
    case GgmlType::kQ8_0:
    case GgmlType::kQ2_K:
    case GgmlType::kQ3_K:
    case GgmlType::kQ4_K:
    case GgmlType::kQ5_K:
    case GgmlType::kQ6_K:
      return true;
    default:
      return false;
  }
}

size_t quantize_row(GgmlType type, const float* src, void* dst, int64_t n) {
  assert(can_quantize(type));
  assert(n % ggml_traits(type).block_size == 0);
  const int64_t nb = n / ggml_traits(type).block_size;
  switch (type) {
    case GgmlType::kF32:
      std::memcpy(dst, src, static_cast<size_t>(n) * sizeof(float));
      break;
    case GgmlType::kF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_fp16(src[i]);
      break;
    }
    case GgmlType::kBF16: {
      auto* h = static_cast<uint16_t*>(dst);
      for (int64_t i = 0; i < n; ++i) h[i] = fp32_to_bf16(src[i]);
      break;
    }
    case GgmlType::kQ4_0: quantize_q4_0(src, static_cast<BlockQ4_0*>(dst), nb); break;
    case GgmlType::kQ4_1: quantize_q4_1(src, static_cast<BlockQ4_1*>(dst), nb); break;
    case GgmlType::kQ5_0: quantize_q5_0(src, static_cast<BlockQ5_0*>(dst), nb); break;
    case GgmlType::kQ5_1: quantize_q5_1(src, static_cast<BlockQ5_1*>(dst), nb); break;
    case GgmlType::kQ8_0: quantize_q8_0(src, static_cast<BlockQ8_0*>(dst), nb); break;
    case GgmlType::kQ2_K: quantize_q2_k(src, static_cast<BlockQ2_K*>(dst), nb); break;
    case GgmlType::kQ3_K: quantize_q3_k(src, static_cast<BlockQ3_K*>(dst), nb); break;
    case GgmlType::kQ4_K: quantize_q4_k(src, static_cast<BlockQ4_K*>(dst), nb); break;
    case GgmlType::kQ5_K: quantize_q5_k(src, static_cast<BlockQ5_K*>(dst), nb); break;
    case GgmlType::kQ6_K: quantize_q6_k(src, static_cast<BlockQ6_K*>(dst), nb); break;
    default:
      return 0;
  }
  return ggml_row_size(type, n);
}

}  // namespace anvil::engine
