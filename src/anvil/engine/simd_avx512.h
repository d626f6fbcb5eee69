// The AVX-512 vector traits that the shared kernel templates (ops_simd.h, matmul_simd.h,
// encoder_ops_simd.h) are instantiated with: 16 lanes, 32 registers, masked loads and stores for
// tails. Include only from *_avx512.cpp files (built with the AVX-512 flags by
// cmake/modules.cmake): everything is in an anonymous namespace, so each TU has its own copy.
#pragma once

#ifndef __AVX512F__
#error "simd_avx512.h belongs in translation units built with the AVX-512 flags (*_avx512.cpp)"
#endif

#include <immintrin.h>

#include <cstdint>

#include "anvil/engine/simd_avx2.h"  // AVX-512 CPUs have AVX2: the 256-bit reductions are shared

namespace anvil::engine::simd {
namespace {

struct Avx512 {
  using F = __m512;
  using Mask = __mmask16;
  static constexpr int kLanes = 16;
  static constexpr int kAccumulators = 16;  // of 32 registers: the rest hold operands

  static Mask first_lanes(int64_t n) {
    return n >= kLanes ? static_cast<Mask>(0xFFFF) : static_cast<Mask>((1u << (n > 0 ? n : 0)) - 1);
  }

  static F zero() { return _mm512_setzero_ps(); }
  static F set1(float v) { return _mm512_set1_ps(v); }
  static F load(const float* p) { return _mm512_loadu_ps(p); }
  static F load_aligned(const float* p) { return _mm512_load_ps(p); }
  static F load(const uint16_t* p) { return _mm512_cvtph_ps(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p))); }
  static F load_bf16(const uint16_t* p) {
    return widen_bf16(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(p)));
  }
  static void store(float* p, F v) { _mm512_storeu_ps(p, v); }
  static void store_aligned(float* p, F v) { _mm512_store_ps(p, v); }
  static F load_first(const float* p, int64_t n) { return _mm512_maskz_loadu_ps(first_lanes(n), p); }
  static F load_first(const uint16_t* p, int64_t n) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(first_lanes(n), p)); }
  static F load_first_bf16(const uint16_t* p, int64_t n) { return widen_bf16(_mm256_maskz_loadu_epi16(first_lanes(n), p)); }
  static void store_first(float* p, F v, int64_t n) { _mm512_mask_storeu_ps(p, first_lanes(n), v); }
  static F keep_first(F v, int64_t n) { return _mm512_maskz_mov_ps(first_lanes(n), v); }

  // bf16 is the top half of an f32.
  static F widen_bf16(__m256i h) { return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(h), 16)); }
  // Lane i: base[i * stride] (a column of a row-major matrix).
  static F gather_column(const float* base, int stride) {
    const __m512i idx = _mm512_mullo_epi32(_mm512_set_epi32(15, 14, 13, 12, 11, 10, 9, 8, 7, 6, 5, 4, 3, 2, 1, 0),
                                           _mm512_set1_epi32(stride));
    return _mm512_i32gather_ps(idx, base, 4);
  }

  static F add(F a, F b) { return _mm512_add_ps(a, b); }
  static F sub(F a, F b) { return _mm512_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm512_mul_ps(a, b); }
  static F div(F a, F b) { return _mm512_div_ps(a, b); }
  static F min(F a, F b) { return _mm512_min_ps(a, b); }
  static F max(F a, F b) { return _mm512_max_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm512_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm512_fnmadd_ps(a, b, c); }
  static F round_nearest(F v) { return _mm512_roundscale_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Mask less(F a, F b) { return _mm512_cmp_ps_mask(a, b, _CMP_LT_OQ); }
  static F zero_where(Mask m, F v) { return _mm512_maskz_mov_ps(static_cast<Mask>(~m), v); }
  static F exp2_int(F n) {
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23));
  }
  static F select(Mask m, F if_true, F if_false) { return _mm512_mask_blend_ps(m, if_false, if_true); }
  static F abs(F v) { return _mm512_abs_ps(v); }
  static F copy_sign(F magnitude, F sign) {
    const __m512 s = _mm512_set1_ps(-0.0f);
    return _mm512_or_ps(_mm512_andnot_ps(s, magnitude), _mm512_and_ps(sign, s));
  }

  using D = __m512d;
  static D dzero() { return _mm512_setzero_pd(); }
  static D dset1(double v) { return _mm512_set1_pd(v); }
  static D widen_low(F v) { return _mm512_cvtps_pd(_mm512_castps512_ps256(v)); }  // lanes [0, 8)
  static D widen_high(F v) { return _mm512_cvtps_pd(high_half(v)); }               // lanes [8, 16)
  static D dadd(D a, D b) { return _mm512_add_pd(a, b); }
  static D dsub(D a, D b) { return _mm512_sub_pd(a, b); }
  static D dfmadd(D a, D b, D c) { return _mm512_fmadd_pd(a, b, c); }
  static double dhsum(D v) { return _mm512_reduce_add_pd(v); }

  // The high 256 bits of v.
  static __m256 high_half(F v) { return _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xEE)); }
  static float hsum(F v) { return Avx2::hsum(_mm256_add_ps(_mm512_castps512_ps256(v), high_half(v))); }
  static float hmax(F v) { return Avx2::hmax(_mm256_max_ps(_mm512_castps512_ps256(v), high_half(v))); }
  // Eight horizontal sums: lane i of the result is the sum of the lanes of v[i]. Inlined: passing
  // eight zmm registers to a call goes through memory.
  [[gnu::always_inline]] static inline __m256 hsum8(const F* v) {
    __m256 h[8];
    for (int u = 0; u < 8; ++u) h[u] = _mm256_add_ps(_mm512_castps512_ps256(v[u]), high_half(v[u]));
    return Avx2::hsum8(h);
  }
};

}  // namespace
}  // namespace anvil::engine::simd
