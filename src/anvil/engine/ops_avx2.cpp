// AVX2/FMA/F16C versions of the decoder's inner loops (see ops_kernels.h). Compiled with
// -mavx2 -mfma -mf16c; only called after the CPU was checked for them. Everything here has internal
// linkage and no inline function from a shared header is used, so no AVX2 code can be picked by
// the linker for a baseline caller.
#include <immintrin.h>

#include <math.h>  // expf: a libm call, not an inline template instantiated with AVX flags

#include "anvil/engine/ops_kernels.h"

namespace anvil::engine::ops_detail {
namespace {

float hsum(__m256 v) {
  __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  s = _mm_add_ps(s, _mm_movehl_ps(s, s));
  s = _mm_add_ss(s, _mm_movehdup_ps(s));
  return _mm_cvtss_f32(s);
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
  for (; i < n; ++i) gate[i] = gate[i] / (1.0f + expf(-gate[i])) * up[i];
}

float max(const float* x, int64_t n) {
  __m256 m = _mm256_set1_ps(x[0]);
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) m = _mm256_max_ps(m, load8(x + i));
  __m128 h = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
  h = _mm_max_ps(h, _mm_movehl_ps(h, h));
  h = _mm_max_ss(h, _mm_movehdup_ps(h));
  float r = _mm_cvtss_f32(h);
  for (; i < n; ++i) r = x[i] > r ? x[i] : r;
  return r;
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
    x[i] = expf(x[i] - max);
    s += x[i];
  }
  return s;
}

// Eight horizontal sums at once: lane i of the result is the sum of the lanes of v[i].
__m256 hsum8(const __m256* v) {
  const __m256 s01 = _mm256_hadd_ps(v[0], v[1]);  // 0a 0b 1a 1b | 0c 0d 1c 1d
  const __m256 s23 = _mm256_hadd_ps(v[2], v[3]);
  const __m256 s45 = _mm256_hadd_ps(v[4], v[5]);
  const __m256 s67 = _mm256_hadd_ps(v[6], v[7]);
  const __m256 s0123 = _mm256_hadd_ps(s01, s23);  // 0 1 2 3 (low halves) | 0 1 2 3 (high halves)
  const __m256 s4567 = _mm256_hadd_ps(s45, s67);
  const __m256 lo = _mm256_permute2f128_ps(s0123, s4567, 0x20);
  const __m256 hi = _mm256_permute2f128_ps(s0123, s4567, 0x31);
  return _mm256_add_ps(lo, hi);
}

// One query: eight keys per step, so that eight independent FMA chains hide the FMA latency and
// each load of q serves eight keys.
template <typename T>
void scores_one(const float* q, const uint8_t* k, size_t stride, int64_t n, int64_t d, float scale,
                float* out) {
  const int64_t d8 = d & ~int64_t{7};
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(k + static_cast<size_t>(j) * stride); };
  auto tail = [&](const T* r) {
    float s = 0;
    for (int64_t i = d8; i < d; ++i) s += q[i] * to_f32(r[i]);
    return s;
  };
  const __m256 vscale = _mm256_set1_ps(scale);
  int64_t j = 0;
  for (; j + 8 <= n; j += 8) {
    const T* r[8];
    __m256 a[8];
#pragma GCC unroll 8
    for (int u = 0; u < 8; ++u) {
      r[u] = row(j + u);
      a[u] = _mm256_setzero_ps();
    }
    for (int64_t i = 0; i < d8; i += 8) {
      const __m256 qv = load8(q + i);
#pragma GCC unroll 8
      for (int u = 0; u < 8; ++u) a[u] = _mm256_fmadd_ps(qv, load8(r[u] + i), a[u]);
    }
    __m256 s = hsum8(a);
    if (d8 < d) {
      s = _mm256_add_ps(s, _mm256_setr_ps(tail(r[0]), tail(r[1]), tail(r[2]), tail(r[3]), tail(r[4]),
                                          tail(r[5]), tail(r[6]), tail(r[7])));
    }
    _mm256_storeu_ps(out + j, _mm256_mul_ps(s, vscale));
  }
  for (; j < n; ++j) {
    const T* r = row(j);
    __m256 a = _mm256_setzero_ps();
    for (int64_t i = 0; i < d8; i += 8) a = _mm256_fmadd_ps(load8(q + i), load8(r + i), a);
    out[j] = (hsum(a) + tail(r)) * scale;
  }
}

// out[0, 8 * U) = sum_j w[j] * V_j[i0, i0 + 8 * U): U accumulators stay in registers over all n rows,
// as U independent FMA chains.
template <typename T, int U>
void weighted_block(const float* w, const uint8_t* v, size_t stride, int64_t n, int64_t i0, float* out) {
  __m256 a[U];
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) a[u] = _mm256_setzero_ps();
  for (int64_t j = 0; j < n; ++j) {
    const T* r = reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride) + i0;
    const __m256 wj = _mm256_broadcast_ss(w + j);
#pragma GCC unroll 8
    for (int u = 0; u < U; ++u) a[u] = _mm256_fmadd_ps(wj, load8(r + 8 * u), a[u]);
  }
#pragma GCC unroll 8
  for (int u = 0; u < U; ++u) _mm256_storeu_ps(out + i0 + 8 * u, a[u]);
}

template <typename T>
void weighted_sum_one(const float* w, const uint8_t* v, size_t stride, int64_t n, int64_t d, float* out) {
  int64_t i = 0;
  for (; i + 64 <= d; i += 64) weighted_block<T, 8>(w, v, stride, n, i, out);
  for (; i + 32 <= d; i += 32) weighted_block<T, 4>(w, v, stride, n, i, out);
  for (; i + 8 <= d; i += 8) weighted_block<T, 1>(w, v, stride, n, i, out);
  for (; i < d; ++i) {
    float s = 0;
    for (int64_t j = 0; j < n; ++j) s += w[j] * to_f32(reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride)[i]);
    out[i] = s;
  }
}

// Four queries x two keys per step: each key row loaded (from L2, or memory for a long context)
// serves four queries, and eight accumulators are eight independent FMA chains.
template <typename T>
void scores(const float* const* q, int64_t n_q, const uint8_t* k, size_t stride, int64_t n,
            int64_t d, float scale, float* s, int64_t ld) {
  const int64_t d8 = d & ~int64_t{7};
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(k + static_cast<size_t>(j) * stride); };
  int64_t m = 0;
  for (; m + 4 <= n_q; m += 4) {
    const float* qm[4] = {q[m], q[m + 1], q[m + 2], q[m + 3]};
    float* sm[4] = {s + m * ld, s + (m + 1) * ld, s + (m + 2) * ld, s + (m + 3) * ld};
    int64_t j = 0;
    for (; j + 2 <= n; j += 2) {
      const T* r0 = row(j);
      const T* r1 = row(j + 1);
      __m256 a[8];
#pragma GCC unroll 8
      for (int u = 0; u < 8; ++u) a[u] = _mm256_setzero_ps();
      for (int64_t i = 0; i < d8; i += 8) {
        const __m256 k0 = load8(r0 + i), k1 = load8(r1 + i);
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) {
          const __m256 x = load8(qm[u] + i);
          a[2 * u] = _mm256_fmadd_ps(x, k0, a[2 * u]);
          a[2 * u + 1] = _mm256_fmadd_ps(x, k1, a[2 * u + 1]);
        }
      }
      alignas(32) float sums[8];  // q0k0 q0k1 q1k0 q1k1 ...
      _mm256_store_ps(sums, _mm256_mul_ps(hsum8(a), _mm256_set1_ps(scale)));
      for (int u = 0; u < 4; ++u) {
        float t0 = 0, t1 = 0;
        for (int64_t i = d8; i < d; ++i) {
          t0 += qm[u][i] * to_f32(r0[i]);
          t1 += qm[u][i] * to_f32(r1[i]);
        }
        sm[u][j] = sums[2 * u] + t0 * scale;
        sm[u][j + 1] = sums[2 * u + 1] + t1 * scale;
      }
    }
    for (; j < n; ++j) {
      for (int u = 0; u < 4; ++u) scores_one<T>(qm[u], k + static_cast<size_t>(j) * stride, stride, 1, d, scale, sm[u] + j);
    }
  }
  for (; m < n_q; ++m) scores_one<T>(q[m], k, stride, n, d, scale, s + m * ld);
}

// Four queries x 16 output values per pass over the rows: each value row chunk loaded serves four
// queries; eight accumulators stay in registers.
template <typename T>
void weighted_sum(const float* p, int64_t ld, int64_t n_q, const uint8_t* v, size_t stride,
                  int64_t n, int64_t d, float* const* out) {
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride); };
  int64_t m = 0;
  for (; m + 4 <= n_q; m += 4) {
    const float* pm[4] = {p + m * ld, p + (m + 1) * ld, p + (m + 2) * ld, p + (m + 3) * ld};
    int64_t i = 0;
    for (; i + 16 <= d; i += 16) {
      __m256 a[8];
#pragma GCC unroll 8
      for (int u = 0; u < 8; ++u) a[u] = _mm256_setzero_ps();
      for (int64_t j = 0; j < n; ++j) {
        const T* r = row(j) + i;
        const __m256 v0 = load8(r), v1 = load8(r + 8);
#pragma GCC unroll 4
        for (int u = 0; u < 4; ++u) {
          const __m256 w = _mm256_broadcast_ss(pm[u] + j);
          a[2 * u] = _mm256_fmadd_ps(w, v0, a[2 * u]);
          a[2 * u + 1] = _mm256_fmadd_ps(w, v1, a[2 * u + 1]);
        }
      }
      for (int u = 0; u < 4; ++u) {
        _mm256_storeu_ps(out[m + u] + i, a[2 * u]);
        _mm256_storeu_ps(out[m + u] + i + 8, a[2 * u + 1]);
      }
    }
    for (; i < d; ++i) {
      for (int u = 0; u < 4; ++u) {
        float acc = 0;
        for (int64_t j = 0; j < n; ++j) acc += pm[u][j] * to_f32(row(j)[i]);
        out[m + u][i] = acc;
      }
    }
  }
  for (; m < n_q; ++m) weighted_sum_one<T>(p + m * ld, v, stride, n, d, out[m]);
}

const OpsKernels kAvx2 = {
    "avx2",
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

const OpsKernels* avx2_ops() { return &kAvx2; }

}  // namespace anvil::engine::ops_detail
