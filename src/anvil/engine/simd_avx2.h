// The AVX2/FMA/F16C vector traits that the shared kernel templates (ops_simd.h, matmul_simd.h,
// encoder_ops_simd.h) are instantiated with. Include only from *_avx2.cpp files (built with
// those flags by cmake/modules.cmake): everything is in an anonymous namespace, so each TU
// has its own copy.
#pragma once

#ifndef __AVX2__
#error "simd_avx2.h belongs in translation units built with the AVX2 flags (*_avx2.cpp)"
#endif

#include <immintrin.h>

#include <cstdint>
#include <cstring>

namespace anvil::engine::simd {
namespace {

struct Avx2 {
  using F = __m256;
  using Mask = __m256;  // all-ones lanes where true
  static constexpr int kLanes = 8;
  static constexpr int kAccumulators = 8;  // independent FMA chains that fit with operands in 16 registers

  static F zero() { return _mm256_setzero_ps(); }
  static F set1(float v) { return _mm256_set1_ps(v); }
  static F load(const float* p) { return _mm256_loadu_ps(p); }
  static F load_aligned(const float* p) { return _mm256_load_ps(p); }
  static F load(const uint16_t* p) { return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p))); }
  // bf16 is the top half of an f32.
  static F load_bf16(const uint16_t* p) {
    const __m256i w = _mm256_cvtepu16_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
    return _mm256_castsi256_ps(_mm256_slli_epi32(w, 16));
  }
  static void store(float* p, F v) { _mm256_storeu_ps(p, v); }
  static void store_aligned(float* p, F v) { _mm256_store_ps(p, v); }

  // Lanes [0, n) set (n may exceed the width).
  static __m256i first_lanes(int64_t n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n < kLanes ? n : kLanes)),
                              _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  // The first min(n, 8) values, zero after (nothing past them is read).
  static F load_first(const float* p, int64_t n) {
    return n >= kLanes ? load(p) : _mm256_maskload_ps(p, first_lanes(n));
  }
  static F load_first(const uint16_t* p, int64_t n) {
    if (n >= kLanes) return load(p);
    alignas(16) uint16_t tmp[kLanes] = {};
    std::memcpy(tmp, p, static_cast<size_t>(n) * sizeof(uint16_t));
    return load(tmp);
  }
  static F load_first_bf16(const uint16_t* p, int64_t n) {
    if (n >= kLanes) return load_bf16(p);
    alignas(16) uint16_t tmp[kLanes] = {};
    std::memcpy(tmp, p, static_cast<size_t>(n) * sizeof(uint16_t));
    return load_bf16(tmp);
  }
  static void store_first(float* p, F v, int64_t n) {
    if (n >= kLanes) {
      store(p, v);
    } else {
      _mm256_maskstore_ps(p, first_lanes(n), v);
    }
  }
  // v in lanes [0, n), zero after.
  static F keep_first(F v, int64_t n) { return _mm256_and_ps(v, _mm256_castsi256_ps(first_lanes(n))); }

  // Lane i: base[i * stride] (a column of a row-major matrix).
  static F gather_column(const float* base, int stride) {
    return _mm256_i32gather_ps(base, _mm256_mullo_epi32(_mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7), _mm256_set1_epi32(stride)), 4);
  }

  static F add(F a, F b) { return _mm256_add_ps(a, b); }
  static F sub(F a, F b) { return _mm256_sub_ps(a, b); }
  static F mul(F a, F b) { return _mm256_mul_ps(a, b); }
  static F div(F a, F b) { return _mm256_div_ps(a, b); }
  static F min(F a, F b) { return _mm256_min_ps(a, b); }
  static F max(F a, F b) { return _mm256_max_ps(a, b); }
  static F fmadd(F a, F b, F c) { return _mm256_fmadd_ps(a, b, c); }
  static F fnmadd(F a, F b, F c) { return _mm256_fnmadd_ps(a, b, c); }
  static F round_nearest(F v) { return _mm256_round_ps(v, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC); }
  static Mask less(F a, F b) { return _mm256_cmp_ps(a, b, _CMP_LT_OQ); }
  static F zero_where(Mask m, F v) { return _mm256_andnot_ps(m, v); }
  static F select(Mask m, F if_true, F if_false) { return _mm256_blendv_ps(if_false, if_true, m); }
  static F abs(F v) { return _mm256_andnot_ps(_mm256_set1_ps(-0.0f), v); }
  // |magnitude| with the sign of `sign`.
  static F copy_sign(F magnitude, F sign) {
    const __m256 s = _mm256_set1_ps(-0.0f);
    return _mm256_or_ps(_mm256_andnot_ps(s, magnitude), _mm256_and_ps(sign, s));
  }
  // 2^n for integral n in [-127, 128] (as floats), by building the exponent field.
  static F exp2_int(F n) {
    return _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23));
  }

  // Doubles, half as many lanes (sums that must not lose precision: layer norm).
  using D = __m256d;
  static D dzero() { return _mm256_setzero_pd(); }
  static D dset1(double v) { return _mm256_set1_pd(v); }
  static D widen_low(F v) { return _mm256_cvtps_pd(_mm256_castps256_ps128(v)); }   // lanes [0, 4)
  static D widen_high(F v) { return _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)); }  // lanes [4, 8)
  static D dadd(D a, D b) { return _mm256_add_pd(a, b); }
  static D dsub(D a, D b) { return _mm256_sub_pd(a, b); }
  static D dfmadd(D a, D b, D c) { return _mm256_fmadd_pd(a, b, c); }
  static double dhsum(D v) {
    const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
    return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
  }

  static float hsum(F v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  static float hmax(F v) {
    __m128 s = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_max_ps(s, _mm_movehl_ps(s, s));
    s = _mm_max_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
  // Eight horizontal sums: lane i of the result is the sum of the lanes of v[i].
  [[gnu::always_inline]] static inline __m256 hsum8(const F* v) {
    const __m256 s01 = _mm256_hadd_ps(v[0], v[1]);  // 0a 0b 1a 1b | 0c 0d 1c 1d
    const __m256 s23 = _mm256_hadd_ps(v[2], v[3]);
    const __m256 s45 = _mm256_hadd_ps(v[4], v[5]);
    const __m256 s67 = _mm256_hadd_ps(v[6], v[7]);
    const __m256 s0123 = _mm256_hadd_ps(s01, s23);  // 0 1 2 3 (low halves) | 0 1 2 3 (high halves)
    const __m256 s4567 = _mm256_hadd_ps(s45, s67);
    return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
  }
};

}  // namespace
}  // namespace anvil::engine::simd
