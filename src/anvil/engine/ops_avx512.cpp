// AVX-512 versions of the decoder's inner loops (see ops_kernels.h): 16 lanes, 32 registers, and
// masked loads for the tails. Compiled with the AVX-512 flags (cmake/modules.cmake); only called
// when cpu_level() is kAvx512. Like ops_avx2.cpp, everything here has internal linkage and uses no
// inline function of a shared header, so no AVX-512 code can reach a baseline caller.
// GCC 12's AVX-512 intrinsic headers build some results from an "undefined" vector, which
// -Wuninitialized reports once inlined (GCC bug 105593): false positives.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include "anvil/engine/ops_kernels.h"

namespace anvil::engine::ops_detail {
namespace {

__mmask16 tail_mask(int64_t count) {  // the first min(count, 16) lanes
  return count >= 16 ? static_cast<__mmask16>(0xFFFF) : static_cast<__mmask16>((1u << count) - 1);
}

// The high 256 bits of v.
__m256 high_half(__m512 v) { return _mm512_castps512_ps256(_mm512_shuffle_f32x4(v, v, 0xEE)); }

float hsum16(__m512 v) {
  const __m256 h = _mm256_add_ps(_mm512_castps512_ps256(v), high_half(v));
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

float hmax16(__m512 v) {
  const __m256 h = _mm256_max_ps(_mm512_castps512_ps256(v), high_half(v));
  __m128 s = _mm_max_ps(_mm256_castps256_ps128(h), _mm256_extractf128_ps(h, 1));
  s = _mm_max_ps(s, _mm_movehl_ps(s, s));
  s = _mm_max_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

__m512 load16(const float* p, __mmask16 m) { return _mm512_maskz_loadu_ps(m, p); }
__m512 load16(const uint16_t* p, __mmask16 m) { return _mm512_cvtph_ps(_mm256_maskz_loadu_epi16(m, p)); }

// e^x for 16 lanes: the same Cephes polynomial as the AVX2 version.
__m512 exp16(__m512 x) {
  const __mmask16 under = _mm512_cmp_ps_mask(x, _mm512_set1_ps(-87.33654475f), _CMP_LT_OQ);
  x = _mm512_min_ps(x, _mm512_set1_ps(88.0f));
  x = _mm512_max_ps(x, _mm512_set1_ps(-87.33654475f));
  const __m512 n = _mm512_roundscale_ps(_mm512_mul_ps(x, _mm512_set1_ps(1.44269504088896341f)),
                                        _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m512 r = _mm512_fnmadd_ps(n, _mm512_set1_ps(0.693359375f), x);
  r = _mm512_fnmadd_ps(n, _mm512_set1_ps(-2.12194440e-4f), r);
  __m512 p = _mm512_set1_ps(1.9875691500e-4f);
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.3981999507e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(8.3334519073e-3f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(4.1665795894e-2f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(1.6666665459e-1f));
  p = _mm512_fmadd_ps(p, r, _mm512_set1_ps(5.0000001201e-1f));
  p = _mm512_fmadd_ps(p, _mm512_mul_ps(r, r), _mm512_add_ps(r, _mm512_set1_ps(1.0f)));
  const __m512i e = _mm512_slli_epi32(_mm512_add_epi32(_mm512_cvtps_epi32(n), _mm512_set1_epi32(127)), 23);
  return _mm512_maskz_mul_ps(static_cast<__mmask16>(~under), p, _mm512_castsi512_ps(e));
}

float dot(const float* a, const float* b, int64_t n) {
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  int64_t i = 0;
  for (; i + 32 <= n; i += 32) {
    acc0 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i), _mm512_loadu_ps(b + i), acc0);
    acc1 = _mm512_fmadd_ps(_mm512_loadu_ps(a + i + 16), _mm512_loadu_ps(b + i + 16), acc1);
  }
  for (; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    acc0 = _mm512_fmadd_ps(load16(a + i, m), load16(b + i, m), acc0);
  }
  return hsum16(_mm512_add_ps(acc0, acc1));
}

void silu_mul(float* gate, const float* up, int64_t n) {
  const __m512 one = _mm512_set1_ps(1.0f);
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 g = load16(gate + i, m);
    const __m512 e = exp16(_mm512_sub_ps(_mm512_setzero_ps(), g));
    _mm512_mask_storeu_ps(gate + i, m, _mm512_mul_ps(_mm512_div_ps(g, _mm512_add_ps(one, e)), load16(up + i, m)));
  }
}

float max(const float* x, int64_t n) {
  __m512 m = _mm512_set1_ps(x[0]);
  for (int64_t i = 0; i < n; i += 16) m = _mm512_mask_max_ps(m, tail_mask(n - i), m, load16(x + i, tail_mask(n - i)));
  return hmax16(m);
}

float exp_sum(float* x, int64_t n, float max) {
  const __m512 mx = _mm512_set1_ps(max);
  __m512 acc = _mm512_setzero_ps();
  for (int64_t i = 0; i < n; i += 16) {
    const __mmask16 m = tail_mask(n - i);
    const __m512 e = _mm512_maskz_mov_ps(m, exp16(_mm512_sub_ps(load16(x + i, m), mx)));
    _mm512_mask_storeu_ps(x + i, m, e);
    acc = _mm512_add_ps(acc, e);
  }
  return hsum16(acc);
}

// Eight horizontal sums: lane i of the result is the sum of the lanes of v[i]. Inlined: passing
// eight zmm registers to a call goes through memory.
[[gnu::always_inline]] inline __m256 hsum8(const __m512* v) {
  __m256 h[8];
  for (int u = 0; u < 8; ++u) {
    h[u] = _mm256_add_ps(_mm512_castps512_ps256(v[u]), high_half(v[u]));
  }
  const __m256 s01 = _mm256_hadd_ps(h[0], h[1]);
  const __m256 s23 = _mm256_hadd_ps(h[2], h[3]);
  const __m256 s45 = _mm256_hadd_ps(h[4], h[5]);
  const __m256 s67 = _mm256_hadd_ps(h[6], h[7]);
  const __m256 s0123 = _mm256_hadd_ps(s01, s23);
  const __m256 s4567 = _mm256_hadd_ps(s45, s67);
  return _mm256_add_ps(_mm256_permute2f128_ps(s0123, s4567, 0x20), _mm256_permute2f128_ps(s0123, s4567, 0x31));
}

// Q queries x K keys per step (Q * K = 16 accumulators, 16 independent FMA chains): each key row
// chunk loaded serves Q queries, each query chunk K keys, and the horizontal sums that end a step
// are amortized over 16 dot products.
template <typename T, int Q, int K>
void scores_tile(const float* const* q, const uint8_t* k, size_t stride, int64_t n, int64_t d,
                 float scale, float* const* s) {
  static_assert(Q * K == 16);
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(k + static_cast<size_t>(j) * stride); };
  int64_t j = 0;
  for (; j + K <= n; j += K) {
    const T* r[K];
#pragma GCC unroll 16
    for (int kk = 0; kk < K; ++kk) r[kk] = row(j + kk);
    __m512 a[16];
#pragma GCC unroll 16
    for (int u = 0; u < 16; ++u) a[u] = _mm512_setzero_ps();
    for (int64_t i = 0; i < d; i += 16) {
      const __mmask16 m = tail_mask(d - i);
      __m512 kv[K];
#pragma GCC unroll 16
      for (int kk = 0; kk < K; ++kk) kv[kk] = load16(r[kk] + i, m);
#pragma GCC unroll 4
      for (int u = 0; u < Q; ++u) {
        const __m512 x = load16(q[u] + i, m);
#pragma GCC unroll 16
        for (int kk = 0; kk < K; ++kk) a[u * K + kk] = _mm512_fmadd_ps(x, kv[kk], a[u * K + kk]);
      }
    }
    alignas(32) float sums[16];  // lane u * K + kk: query u, key j + kk
    _mm256_store_ps(sums, _mm256_mul_ps(hsum8(a), _mm256_set1_ps(scale)));
    _mm256_store_ps(sums + 8, _mm256_mul_ps(hsum8(a + 8), _mm256_set1_ps(scale)));
    for (int u = 0; u < Q; ++u) {
      for (int kk = 0; kk < K; ++kk) s[u][j + kk] = sums[u * K + kk];
    }
  }
  for (; j < n; ++j) {
    const T* r = row(j);
    for (int u = 0; u < Q; ++u) {
      __m512 a = _mm512_setzero_ps();
      for (int64_t i = 0; i < d; i += 16) a = _mm512_fmadd_ps(load16(q[u] + i, tail_mask(d - i)), load16(r + i, tail_mask(d - i)), a);
      s[u][j] = hsum16(a) * scale;
    }
  }
}

template <typename T>
void scores(const float* const* q, int64_t n_q, const uint8_t* k, size_t stride, int64_t n,
            int64_t d, float scale, float* s, int64_t ld) {
  int64_t m = 0;
  for (; m + 4 <= n_q; m += 4) {
    float* rows[4] = {s + m * ld, s + (m + 1) * ld, s + (m + 2) * ld, s + (m + 3) * ld};
    scores_tile<T, 4, 4>(q + m, k, stride, n, d, scale, rows);
  }
  for (; m < n_q; ++m) {
    float* rows[1] = {s + m * ld};
    scores_tile<T, 1, 16>(q + m, k, stride, n, d, scale, rows);
  }
}

// Q queries x C chunks of 16 output values (dims [i0, i0 + 16 C), the last chunk masked by
// `last`); Q * C accumulators stay in registers over all n rows.
template <typename T, int Q, int C>
void weighted_tile(const float* const* p, const uint8_t* v, size_t stride, int64_t n, int64_t i0,
                   __mmask16 last, float* const* out) {
  __m512 a[Q * C];
#pragma GCC unroll 16
  for (int u = 0; u < Q * C; ++u) a[u] = _mm512_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    const T* r = reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride) + i0;
    __m512 x[C];
#pragma GCC unroll 4
    for (int c = 0; c < C; ++c) x[c] = load16(r + 16 * c, c == C - 1 ? last : static_cast<__mmask16>(0xFFFF));
#pragma GCC unroll 4
    for (int u = 0; u < Q; ++u) {
      const __m512 w = _mm512_set1_ps(p[u][j]);
#pragma GCC unroll 4
      for (int c = 0; c < C; ++c) a[u * C + c] = _mm512_fmadd_ps(w, x[c], a[u * C + c]);
    }
  }
  for (int u = 0; u < Q; ++u) {
    for (int c = 0; c < C; ++c) {
      _mm512_mask_storeu_ps(out[u] + i0 + 16 * c, c == C - 1 ? last : static_cast<__mmask16>(0xFFFF), a[u * C + c]);
    }
  }
}

template <typename T, int Q>
void weighted_rows(const float* const* p, const uint8_t* v, size_t stride, int64_t n, int64_t d,
                   float* const* out) {
  int64_t i = 0;
  for (; i + 64 <= d; i += 64) weighted_tile<T, Q, 4>(p, v, stride, n, i, 0xFFFF, out);
  for (; i < d; i += 16) weighted_tile<T, Q, 1>(p, v, stride, n, i, tail_mask(d - i), out);
}

template <typename T>
void weighted_sum(const float* p, int64_t ld, int64_t n_q, const uint8_t* v, size_t stride,
                  int64_t n, int64_t d, float* const* out) {
  int64_t m = 0;
  for (; m + 4 <= n_q; m += 4) {
    const float* rows[4] = {p + m * ld, p + (m + 1) * ld, p + (m + 2) * ld, p + (m + 3) * ld};
    weighted_rows<T, 4>(rows, v, stride, n, d, out + m);
  }
  for (; m < n_q; ++m) {
    const float* rows[1] = {p + m * ld};
    weighted_rows<T, 1>(rows, v, stride, n, d, out + m);
  }
}

const OpsKernels kAvx512 = {
    "avx512",
    dot,
    silu_mul,
    max,
    exp_sum,
    scores<float>,
    scores<uint16_t>,
    weighted_sum<float>,
    weighted_sum<uint16_t>,
};

}  // namespace

const OpsKernels* avx512_ops() { return &kAvx512; }

}  // namespace anvil::engine::ops_detail
