// AVX2/FMA/F16C versions of the decoder's inner loops (see ops_kernels.h). Compiled with
// -mavx2 -mfma -mf16c; only called after the CPU was checked for them. Everything here has internal
// linkage and no inline function from a shared header is used, so no AVX2 code can be picked by
// the linker for a baseline caller.
#include <immintrin.h>

#include <cmath>

#include "anvil/engine/ops_kernels.h"

namespace anvil::engine::ops_detail {
namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
}

// Sums of four vectors at once: {hsum(a), hsum(b), hsum(c), hsum(d)}.
__m128 hsum4(__m256 a, __m256 b, __m256 c, __m256 d) {
  const __m256 ab = _mm256_hadd_ps(a, b);  // a01 a23 b01 b23 | a45 a67 b45 b67
  const __m256 cd = _mm256_hadd_ps(c, d);
  const __m256 abcd = _mm256_hadd_ps(ab, cd);  // a0123 b0123 c0123 d0123 | a4567 ...
  return _mm_add_ps(_mm256_castps256_ps128(abcd), _mm256_extractf128_ps(abcd, 1));
}

// e^x for 8 lanes: Cephes' expf (range reduction by ln 2 in two parts, degree-5 polynomial),
// relative error about 2e-7; 0 below ln(FLT_MIN), clamped at 88.
__m256 exp8(__m256 x) {
  const __m256 under = _mm256_cmp_ps(x, _mm256_set1_ps(-87.33654475f), _CMP_LT_OQ);
  x = _mm256_min_ps(x, _mm256_set1_ps(88.0f));
  x = _mm256_max_ps(x, _mm256_set1_ps(-87.33654475f));
  const __m256 n = _mm256_round_ps(_mm256_mul_ps(x, _mm256_set1_ps(1.44269504088896341f)),
                                   _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693359375f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(-2.12194440e-4f), r);
  __m256 p = _mm256_set1_ps(1.9875691500e-4f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.3981999507e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(8.3334519073e-3f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(4.1665795894e-2f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.6666665459e-1f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(5.0000001201e-1f));
  p = _mm256_fmadd_ps(p, _mm256_mul_ps(r, r), _mm256_add_ps(r, _mm256_set1_ps(1.0f)));
  const __m256i e = _mm256_slli_epi32(_mm256_add_epi32(_mm256_cvtps_epi32(n), _mm256_set1_epi32(127)), 23);
  return _mm256_andnot_ps(under, _mm256_mul_ps(p, _mm256_castsi256_ps(e)));
}

__m256 load8(const float* p) { return _mm256_loadu_ps(p); }
__m256 load8(const uint16_t* p) {
  return _mm256_cvtph_ps(_mm_loadu_si128(reinterpret_cast<const __m128i*>(p)));
}
float to_f32(float v) { return v; }
float to_f32(uint16_t v) { return _cvtsh_ss(v); }

float dot(const float* a, const float* b, int64_t n) {
  __m256 acc0 = _mm256_setzero_ps(), acc1 = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_fmadd_ps(load8(a + i), load8(b + i), acc0);
    acc1 = _mm256_fmadd_ps(load8(a + i + 8), load8(b + i + 8), acc1);
  }
  for (; i + 8 <= n; i += 8) acc0 = _mm256_fmadd_ps(load8(a + i), load8(b + i), acc0);
  float s = hsum(_mm256_add_ps(acc0, acc1));
  for (; i < n; ++i) s += a[i] * b[i];
  return s;
}

void silu_mul(float* gate, const float* up, int64_t n) {
  const __m256 one = _mm256_set1_ps(1.0f);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 g = load8(gate + i);
    const __m256 e = exp8(_mm256_sub_ps(_mm256_setzero_ps(), g));
    _mm256_storeu_ps(gate + i, _mm256_mul_ps(_mm256_div_ps(g, _mm256_add_ps(one, e)), load8(up + i)));
  }
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float exp_sum(float* x, int64_t n, float max) {
  const __m256 m = _mm256_set1_ps(max);
  __m256 acc = _mm256_setzero_ps();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 e = exp8(_mm256_sub_ps(load8(x + i), m));
    _mm256_storeu_ps(x + i, e);
    acc = _mm256_add_ps(acc, e);
  }
  float s = hsum(acc);
  for (; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    s += x[i];
  }
  return s;
}

// Four keys per step share each load of q: 1.25 loads per FMA instead of 2.
template <typename T>
void scores(const float* q, const uint8_t* k, size_t stride, int64_t n, int64_t d, float scale,
            float* out) {
  const int64_t d8 = d & ~int64_t{7};
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(k + static_cast<size_t>(j) * stride); };
  auto tail = [&](const T* r) {
    float s = 0;
    for (int64_t i = d8; i < d; ++i) s += q[i] * to_f32(r[i]);
    return s;
  };
  int64_t j = 0;
  for (; j + 4 <= n; j += 4) {
    const T *r0 = row(j), *r1 = row(j + 1), *r2 = row(j + 2), *r3 = row(j + 3);
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int64_t i = 0; i < d8; i += 8) {
      const __m256 qv = load8(q + i);
      a0 = _mm256_fmadd_ps(qv, load8(r0 + i), a0);
      a1 = _mm256_fmadd_ps(qv, load8(r1 + i), a1);
      a2 = _mm256_fmadd_ps(qv, load8(r2 + i), a2);
      a3 = _mm256_fmadd_ps(qv, load8(r3 + i), a3);
    }
    __m128 s = hsum4(a0, a1, a2, a3);
    if (d8 < d) s = _mm_add_ps(s, _mm_setr_ps(tail(r0), tail(r1), tail(r2), tail(r3)));
    _mm_storeu_ps(out + j, _mm_mul_ps(s, _mm_set1_ps(scale)));
  }
  for (; j < n; ++j) {
    const T* r = row(j);
    __m256 a = _mm256_setzero_ps();
    for (int64_t i = 0; i < d8; i += 8) a = _mm256_fmadd_ps(load8(q + i), load8(r + i), a);
    out[j] = (hsum(a) + tail(r)) * scale;
  }
}

// Accumulators for 32 output values stay in registers across all n rows.
template <typename T>
void weighted_sum(const float* w, const uint8_t* v, size_t stride, int64_t n, int64_t d, float* out) {
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride); };
  int64_t i = 0;
  for (; i + 32 <= d; i += 32) {
    __m256 a0 = _mm256_setzero_ps(), a1 = _mm256_setzero_ps();
    __m256 a2 = _mm256_setzero_ps(), a3 = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; ++j) {
      const T* r = row(j) + i;
      const __m256 wj = _mm256_broadcast_ss(w + j);
      a0 = _mm256_fmadd_ps(wj, load8(r), a0);
      a1 = _mm256_fmadd_ps(wj, load8(r + 8), a1);
      a2 = _mm256_fmadd_ps(wj, load8(r + 16), a2);
      a3 = _mm256_fmadd_ps(wj, load8(r + 24), a3);
    }
    _mm256_storeu_ps(out + i, a0);
    _mm256_storeu_ps(out + i + 8, a1);
    _mm256_storeu_ps(out + i + 16, a2);
    _mm256_storeu_ps(out + i + 24, a3);
  }
  for (; i + 8 <= d; i += 8) {
    __m256 a = _mm256_setzero_ps();
    for (int64_t j = 0; j < n; ++j) a = _mm256_fmadd_ps(_mm256_broadcast_ss(w + j), load8(row(j) + i), a);
    _mm256_storeu_ps(out + i, a);
  }
  for (; i < d; ++i) {
    float s = 0;
    for (int64_t j = 0; j < n; ++j) s += w[j] * to_f32(row(j)[i]);
    out[i] = s;
  }
}

const OpsKernels kAvx2 = {
    "avx2",
    dot,
    silu_mul,
    exp_sum,
    scores<float>,
    scores<uint16_t>,
    weighted_sum<float>,
    weighted_sum<uint16_t>,
};

}  // namespace

const OpsKernels* avx2_ops() { return &kAvx2; }

}  // namespace anvil::engine::ops_detail
