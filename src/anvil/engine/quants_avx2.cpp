// AVX2 dequantization of the common tensor types (f16, bf16, q8_0, q4_0, q4_K, q6_K), bit-exact
// with quants.cpp: the same f32 operations in the same order, with FMA contraction disabled (a
// fused d * q - m would round differently from the reference's separate multiply and subtract).
// Used by get_rows (embedding lookups) and to fill the f32/bf16 panels of prompt processing.
#pragma GCC optimize("fp-contract=off")

#include <immintrin.h>

#include <cstring>

#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/quants_blocks.h"

namespace anvil::engine::kernels {
namespace {

inline __m256 f16x1(uint16_t h) { return _mm256_set1_ps(_cvtsh_ss(h)); }

void dequant_f16(const uint8_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i))));
  }
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    dst[i] = _cvtsh_ss(h);
  }
}

void dequant_bf16(const uint8_t* src, float* dst, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(src + 2 * i)));
    _mm256_storeu_ps(dst + i, _mm256_castsi256_ps(_mm256_slli_epi32(w, 16)));
  }
  for (; i < n; ++i) {
    uint16_t h;
    std::memcpy(&h, src + 2 * i, 2);
    const uint32_t bits = static_cast<uint32_t>(h) << 16;
    std::memcpy(dst + i, &bits, 4);
  }
}

inline __m256 bytes_to_f32(__m128i eight_bytes_signed) {
  return _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(eight_bytes_signed));
}

void dequant_q8_0(const uint8_t* src, float* dst, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ8_0*>(src);
  for (int64_t i = 0; i < n / kQK8_0; ++i, dst += kQK8_0) {
    const __m256 d = f16x1(b[i].d);
    for (int j = 0; j < 32; j += 8) {
      const __m128i q = _mm_loadl_epi64(reinterpret_cast<const __m128i*>(b[i].qs + j));
      _mm256_storeu_ps(dst + j, _mm256_mul_ps(bytes_to_f32(q), d));
    }
  }
}

void dequant_q4_0(const uint8_t* src, float* dst, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_0*>(src);
  const __m128i low4 = _mm_set1_epi8(0x0F), eight = _mm_set1_epi8(8);
  for (int64_t i = 0; i < n / kQK4_0; ++i, dst += kQK4_0) {
    const __m256 d = f16x1(b[i].d);
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(b[i].qs));
    const __m128i lo = _mm_sub_epi8(_mm_and_si128(x, low4), eight);                     // elements 0..15
    const __m128i hi = _mm_sub_epi8(_mm_and_si128(_mm_srli_epi16(x, 4), low4), eight);  // 16..31
    _mm256_storeu_ps(dst + 0, _mm256_mul_ps(bytes_to_f32(lo), d));
    _mm256_storeu_ps(dst + 8, _mm256_mul_ps(bytes_to_f32(_mm_srli_si128(lo, 8)), d));
    _mm256_storeu_ps(dst + 16, _mm256_mul_ps(bytes_to_f32(hi), d));
    _mm256_storeu_ps(dst + 24, _mm256_mul_ps(bytes_to_f32(_mm_srli_si128(hi, 8)), d));
  }
}

// 32 unsigned codes (bytes) -> dl * code - ml, as the reference computes it.
inline void scale_min_32(__m256i codes, __m256 dl, __m256 ml, float* dst) {
  const __m128i lo = _mm256_castsi256_si128(codes), hi = _mm256_extracti128_si256(codes, 1);
  const __m128i parts[4] = {lo, _mm_srli_si128(lo, 8), hi, _mm_srli_si128(hi, 8)};
  for (int k = 0; k < 4; ++k) {
    const __m256 c = _mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(parts[k]));
    _mm256_storeu_ps(dst + 8 * k, _mm256_sub_ps(_mm256_mul_ps(dl, c), ml));
  }
}

void dequant_q4_k(const uint8_t* src, float* dst, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ4_K*>(src);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = _cvtsh_ss(b[i].d), dmin = _cvtsh_ss(b[i].dmin);
    for (int c = 0; c < 4; ++c) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qs + 32 * c));
      uint8_t sc, m;
      scale_min_k4(2 * c, b[i].scales, &sc, &m);
      scale_min_32(_mm256_and_si256(x, low4), _mm256_set1_ps(d * static_cast<float>(sc)),
                   _mm256_set1_ps(dmin * static_cast<float>(m)), dst + 64 * c);
      scale_min_k4(2 * c + 1, b[i].scales, &sc, &m);
      scale_min_32(_mm256_and_si256(_mm256_srli_epi16(x, 4), low4), _mm256_set1_ps(d * static_cast<float>(sc)),
                   _mm256_set1_ps(dmin * static_cast<float>(m)), dst + 64 * c + 32);
    }
  }
}

void dequant_q6_k(const uint8_t* src, float* dst, int64_t n) {
  const auto* b = reinterpret_cast<const BlockQ6_K*>(src);
  const __m256i low4 = _mm256_set1_epi8(0x0F), top2 = _mm256_set1_epi8(0x30), off = _mm256_set1_epi8(32);
  for (int64_t i = 0; i < n / kQK_K; ++i, dst += kQK_K) {
    const float d = _cvtsh_ss(b[i].d);
    for (int h = 0; h < 2; ++h) {
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].ql + 64 * h));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].ql + 64 * h + 32));
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b[i].qh + 32 * h));
      // Quarter q of this half: low / high nibbles of x0 / x1 with bits 2q, 2q+1 of hb on top.
      const __m256i q[4] = {
          _mm256_or_si256(_mm256_and_si256(x0, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), top2)),
          _mm256_or_si256(_mm256_and_si256(x1, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), top2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x0, 4), low4), _mm256_and_si256(hb, top2)),
          _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x1, 4), low4),
                          _mm256_and_si256(_mm256_srli_epi16(hb, 2), top2)),
      };
      for (int qi = 0; qi < 4; ++qi) {
        const __m256i v = _mm256_sub_epi8(q[qi], off);  // -32..31
        float* out = dst + 128 * h + 32 * qi;
        const int s = 8 * h + 2 * qi;  // scale index of the first 16 elements
        const __m256 d0 = _mm256_set1_ps(d * static_cast<float>(b[i].scales[s]));
        const __m256 d1 = _mm256_set1_ps(d * static_cast<float>(b[i].scales[s + 1]));
        const __m128i lo = _mm256_castsi256_si128(v), hi = _mm256_extracti128_si256(v, 1);
        _mm256_storeu_ps(out + 0, _mm256_mul_ps(d0, bytes_to_f32(lo)));
        _mm256_storeu_ps(out + 8, _mm256_mul_ps(d0, bytes_to_f32(_mm_srli_si128(lo, 8))));
        _mm256_storeu_ps(out + 16, _mm256_mul_ps(d1, bytes_to_f32(hi)));
        _mm256_storeu_ps(out + 24, _mm256_mul_ps(d1, bytes_to_f32(_mm_srli_si128(hi, 8))));
      }
    }
  }
}

}  // namespace

DequantFn avx2_dequantizer(GgmlType type) {
  switch (type) {
    case GgmlType::kF16: return dequant_f16;
    case GgmlType::kBF16: return dequant_bf16;
    case GgmlType::kQ8_0: return dequant_q8_0;
    case GgmlType::kQ4_0: return dequant_q4_0;
    case GgmlType::kQ4_K: return dequant_q4_k;
    case GgmlType::kQ6_K: return dequant_q6_k;
    default: return nullptr;
  }
}

}  // namespace anvil::engine::kernels
