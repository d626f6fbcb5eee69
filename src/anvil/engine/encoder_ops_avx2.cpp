// AVX2/FMA versions of the encoder's GELU and per-head attention (see encoder_ops_kernels.h):
// the same formulas as the portable code (polynomial exp, Abramowitz-Stegun erf with the
// Maclaurin series near 0), 8 floats at a time; attention register-blocks 4 query rows x 16 keys
// for the scores and 2 rows x 32 columns for the weighted sums. The small loops over a block's
// rows and vectors are unrolled by pragma: -O2 would otherwise keep the accumulator arrays in
// memory.
#include <immintrin.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "anvil/engine/encoder_ops_kernels.h"

namespace anvil::engine::encoder_detail {
namespace {

// exp(x) for x <= 0 (x < -87 gives 0), as the portable exp_nonpositive.
inline __m256 exp_nonpositive(__m256 x) {
  const __m256 lo = _mm256_set1_ps(-87.0f);
  const __m256 underflow = _mm256_cmp_ps(x, lo, _CMP_LT_OQ);  // also true for -inf
  x = _mm256_max_ps(x, lo);
  const __m256 magic = _mm256_set1_ps(12582912.0f);
  const __m256 t = _mm256_fmadd_ps(x, _mm256_set1_ps(1.44269504088896341f), magic);
  const __m256 n = _mm256_sub_ps(t, magic);
  const __m256i ni = _mm256_sub_epi32(_mm256_castps_si256(t), _mm256_castps_si256(magic));
  __m256 r = _mm256_fnmadd_ps(n, _mm256_set1_ps(0.693145751953125f), x);
  r = _mm256_fnmadd_ps(n, _mm256_set1_ps(1.42860682030941723212e-6f), r);
  __m256 p = _mm256_set1_ps(1.0f / 5040.0f);
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 720.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 120.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 24.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f / 6.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(0.5f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  p = _mm256_fmadd_ps(p, r, _mm256_set1_ps(1.0f));
  const __m256 scale =
      _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_add_epi32(ni, _mm256_set1_epi32(127)), 23));
  return _mm256_andnot_ps(underflow, _mm256_mul_ps(p, scale));
}

inline __m256 erf8(__m256 x) {
  const __m256 sign_mask = _mm256_set1_ps(-0.0f);
  const __m256 ax = _mm256_min_ps(_mm256_andnot_ps(sign_mask, x), _mm256_set1_ps(6.0f));
  const __m256 one = _mm256_set1_ps(1.0f);
  const __m256 t = _mm256_div_ps(one, _mm256_fmadd_ps(_mm256_set1_ps(0.3275911f), ax, one));
  __m256 poly = _mm256_set1_ps(1.061405429f);
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-1.453152027f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(1.421413741f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(-0.284496736f));
  poly = _mm256_fmadd_ps(poly, t, _mm256_set1_ps(0.254829592f));
  poly = _mm256_mul_ps(poly, t);
  const __m256 x2 = _mm256_mul_ps(ax, ax);
  const __m256 large =
      _mm256_fnmadd_ps(poly, exp_nonpositive(_mm256_sub_ps(_mm256_setzero_ps(), x2)), one);
  __m256 series = _mm256_set1_ps(-1.0f / 1320.0f);
  series = _mm256_fmadd_ps(series, x2, _mm256_set1_ps(1.0f / 216.0f));
  series = _mm256_fmadd_ps(series, x2, _mm256_set1_ps(-1.0f / 42.0f));
  series = _mm256_fmadd_ps(series, x2, _mm256_set1_ps(1.0f / 10.0f));
  series = _mm256_fmadd_ps(series, x2, _mm256_set1_ps(-1.0f / 3.0f));
  series = _mm256_fmadd_ps(series, x2, one);
  const __m256 small = _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(1.12837916709551257f), ax), series);
  const __m256 y = _mm256_blendv_ps(large, small, _mm256_cmp_ps(ax, _mm256_set1_ps(0.5f), _CMP_LT_OQ));
  return _mm256_or_ps(y, _mm256_and_ps(x, sign_mask));
}

inline __m256 gelu8(__m256 x) {
  const __m256 e = erf8(_mm256_mul_ps(x, _mm256_set1_ps(0.70710678118654752440f)));
  return _mm256_mul_ps(_mm256_mul_ps(_mm256_set1_ps(0.5f), x), _mm256_add_ps(_mm256_set1_ps(1.0f), e));
}

// Lanes [0, n) set, for the tail of a row (n < 8).
inline __m256i tail_mask(int64_t n) {
  return _mm256_cmpgt_epi32(_mm256_set1_epi32(static_cast<int>(n)),
                            _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
}

void add(float* x, const float* y, const float* bias, int64_t n) {
  int64_t i = 0;
  if (y != nullptr && bias != nullptr) {
    for (; i + 8 <= n; i += 8) {
      const __m256 s = _mm256_add_ps(_mm256_loadu_ps(y + i), _mm256_loadu_ps(bias + i));
      _mm256_storeu_ps(x + i, _mm256_add_ps(_mm256_loadu_ps(x + i), s));
    }
  } else if (y != nullptr || bias != nullptr) {
    const float* a = y != nullptr ? y : bias;
    for (; i + 8 <= n; i += 8) {
      _mm256_storeu_ps(x + i, _mm256_add_ps(_mm256_loadu_ps(x + i), _mm256_loadu_ps(a + i)));
    }
  }
  for (; i < n; ++i) x[i] += (y ? y[i] : 0.0f) + (bias ? bias[i] : 0.0f);
}

inline double hsum(__m256d v) {
  const __m128d s = _mm_add_pd(_mm256_castpd256_pd128(v), _mm256_extractf128_pd(v, 1));
  return _mm_cvtsd_f64(_mm_add_sd(s, _mm_unpackhi_pd(s, s)));
}

// Two passes, each summing in 2 x 4 double lanes (as the portable code sums in double).
void layer_norm_row(float* row, int64_t n, const float* w, const float* b, float eps) {
  __m256d s0 = _mm256_setzero_pd(), s1 = _mm256_setzero_pd();
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(row + i);
    s0 = _mm256_add_pd(s0, _mm256_cvtps_pd(_mm256_castps256_ps128(v)));
    s1 = _mm256_add_pd(s1, _mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)));
  }
  double sum = hsum(_mm256_add_pd(s0, s1));
  for (int64_t t = i; t < n; ++t) sum += row[t];
  const double mean = sum / static_cast<double>(n);
  const __m256d md = _mm256_set1_pd(mean);
  s0 = _mm256_setzero_pd();
  s1 = _mm256_setzero_pd();
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 v = _mm256_loadu_ps(row + i);
    const __m256d d0 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(v)), md);
    const __m256d d1 = _mm256_sub_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(v, 1)), md);
    s0 = _mm256_fmadd_pd(d0, d0, s0);
    s1 = _mm256_fmadd_pd(d1, d1, s1);
  }
  double sq = hsum(_mm256_add_pd(s0, s1));
  for (int64_t t = i; t < n; ++t) sq += (row[t] - mean) * (row[t] - mean);
  const double var = sq / static_cast<double>(n);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
  const float m = static_cast<float>(mean);
  const __m256 mv = _mm256_set1_ps(m), iv = _mm256_set1_ps(inv);
  for (i = 0; i + 8 <= n; i += 8) {
    const __m256 xn = _mm256_mul_ps(_mm256_sub_ps(_mm256_loadu_ps(row + i), mv), iv);
    _mm256_storeu_ps(row + i, _mm256_fmadd_ps(xn, _mm256_loadu_ps(w + i), _mm256_loadu_ps(b + i)));
  }
  for (; i < n; ++i) row[i] = (row[i] - m) * inv * w[i] + b[i];
}

void gelu(float* x, int64_t n) {
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) _mm256_storeu_ps(x + i, gelu8(_mm256_loadu_ps(x + i)));
  if (i < n) {
    const __m256i m = tail_mask(n - i);
    _mm256_maskstore_ps(x + i, m, gelu8(_mm256_maskload_ps(x + i, m)));
  }
}

// s[r][j] = scale * q_{i0+r} . k_j for R rows and j in [0, padded): kt is [head_dim][padded].
template <int R>
void score_rows(const float* q, int64_t stride, int64_t head_dim, const float* kt, int64_t padded,
                float scale, float* s) {
  for (int64_t jb = 0; jb < padded; jb += 16) {
    __m256 acc[R][2];
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = _mm256_setzero_ps();
    for (int64_t d = 0; d < head_dim; ++d) {
      const __m256 k0 = _mm256_loadu_ps(kt + d * padded + jb);
      const __m256 k1 = _mm256_loadu_ps(kt + d * padded + jb + 8);
      #pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const __m256 qb = _mm256_broadcast_ss(q + r * stride + d);
        acc[r][0] = _mm256_fmadd_ps(qb, k0, acc[r][0]);
        acc[r][1] = _mm256_fmadd_ps(qb, k1, acc[r][1]);
      }
    }
    const __m256 sc = _mm256_set1_ps(scale);
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      _mm256_storeu_ps(s + r * padded + jb, _mm256_mul_ps(acc[r][0], sc));
      _mm256_storeu_ps(s + r * padded + jb + 8, _mm256_mul_ps(acc[r][1], sc));
    }
  }
}

inline float hmax(__m256 v) {
  __m128 m = _mm_max_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  m = _mm_max_ps(m, _mm_movehl_ps(m, m));
  return _mm_cvtss_f32(_mm_max_ss(m, _mm_movehdup_ps(m)));
}

inline float hsum(__m256 v) {
  __m128 h = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
  h = _mm_add_ps(h, _mm_movehl_ps(h, h));
  return _mm_cvtss_f32(_mm_add_ss(h, _mm_movehdup_ps(h)));
}

// s[0, padded) -> softmax weights over the first len entries (the rest become 0).
void softmax_row(float* s, int64_t len, int64_t padded) {
  for (int64_t j = len; j < padded; ++j) s[j] = -std::numeric_limits<float>::infinity();
  __m256 mx = _mm256_loadu_ps(s);
  for (int64_t j = 8; j < padded; j += 8) mx = _mm256_max_ps(mx, _mm256_loadu_ps(s + j));
  const __m256 m = _mm256_set1_ps(hmax(mx));
  __m256 sum = _mm256_setzero_ps();
  for (int64_t j = 0; j < padded; j += 8) {
    const __m256 e = exp_nonpositive(_mm256_sub_ps(_mm256_loadu_ps(s + j), m));
    _mm256_storeu_ps(s + j, e);
    sum = _mm256_add_ps(sum, e);
  }
  const __m256 inv = _mm256_set1_ps(1.0f / hsum(sum));
  for (int64_t j = 0; j < padded; j += 8) {
    _mm256_storeu_ps(s + j, _mm256_mul_ps(_mm256_loadu_ps(s + j), inv));
  }
}

// For R rows r (weights p + r * padded, outputs out + r * stride) and NV vectors of columns from
// c0: out[c] = sum_j p[j] v_j[c]. Each loaded value vector serves every row.
template <int R, int NV>
void weighted_columns(const float* p, int64_t padded, const float* v, int64_t stride, int64_t len,
                      int64_t c0, float* out) {
  __m256 acc[R][NV];
  #pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    #pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) acc[r][u] = _mm256_setzero_ps();
  }
  for (int64_t j = 0; j < len; ++j) {
    const float* vj = v + j * stride + c0;
    __m256 vv[NV];
    #pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) vv[u] = _mm256_loadu_ps(vj + 8 * u);
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const __m256 pj = _mm256_broadcast_ss(p + r * padded + j);
      #pragma GCC unroll 8
      for (int u = 0; u < NV; ++u) acc[r][u] = _mm256_fmadd_ps(pj, vv[u], acc[r][u]);
    }
  }
  #pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
    #pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) _mm256_storeu_ps(out + r * stride + c0 + 8 * u, acc[r][u]);
  }
}

// Rows [0, R) of the output from their weights: columns in blocks of 32 (R = 2 keeps 8
// accumulators and the 4 loaded vectors in registers), then a scalar tail for head_dim % 8.
template <int R>
void weighted_rows(const float* p, int64_t padded, const float* v, int64_t stride, int64_t len,
                   int64_t head_dim, float* out) {
  int64_t c0 = 0;
  for (; c0 + 32 <= head_dim; c0 += 32) weighted_columns<R, 4>(p, padded, v, stride, len, c0, out);
  switch ((head_dim - c0) / 8) {
    case 3: weighted_columns<R, 3>(p, padded, v, stride, len, c0, out); break;
    case 2: weighted_columns<R, 2>(p, padded, v, stride, len, c0, out); break;
    case 1: weighted_columns<R, 1>(p, padded, v, stride, len, c0, out); break;
    default: break;
  }
  for (int64_t c = c0 + (head_dim - c0) / 8 * 8; c < head_dim; ++c) {
    #pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float acc = 0;
      for (int64_t j = 0; j < len; ++j) acc += p[r * padded + j] * v[j * stride + c];
      out[r * stride + c] = acc;
    }
  }
}

// kt[d * padded + j] = k[j * stride + d] for j < len, 0 for len <= j < padded: 8 x 8 blocks
// transposed in registers, a scalar loop for head_dim % 8.
void transpose_keys(const float* k, int64_t stride, int64_t len, int64_t head_dim, int64_t padded,
                    float* kt) {
  const int64_t d8 = head_dim / 8 * 8;
  for (int64_t j0 = 0; j0 < padded; j0 += 8) {
    for (int64_t d0 = 0; d0 < d8; d0 += 8) {
      __m256 r[8];
      #pragma GCC unroll 8
      for (int i = 0; i < 8; ++i) {
        r[i] = j0 + i < len ? _mm256_loadu_ps(k + (j0 + i) * stride + d0) : _mm256_setzero_ps();
      }
      const __m256 t0 = _mm256_unpacklo_ps(r[0], r[1]), t1 = _mm256_unpackhi_ps(r[0], r[1]);
      const __m256 t2 = _mm256_unpacklo_ps(r[2], r[3]), t3 = _mm256_unpackhi_ps(r[2], r[3]);
      const __m256 t4 = _mm256_unpacklo_ps(r[4], r[5]), t5 = _mm256_unpackhi_ps(r[4], r[5]);
      const __m256 t6 = _mm256_unpacklo_ps(r[6], r[7]), t7 = _mm256_unpackhi_ps(r[6], r[7]);
      const __m256 u0 = _mm256_shuffle_ps(t0, t2, 0x44), u1 = _mm256_shuffle_ps(t0, t2, 0xEE);
      const __m256 u2 = _mm256_shuffle_ps(t1, t3, 0x44), u3 = _mm256_shuffle_ps(t1, t3, 0xEE);
      const __m256 u4 = _mm256_shuffle_ps(t4, t6, 0x44), u5 = _mm256_shuffle_ps(t4, t6, 0xEE);
      const __m256 u6 = _mm256_shuffle_ps(t5, t7, 0x44), u7 = _mm256_shuffle_ps(t5, t7, 0xEE);
      float* o = kt + d0 * padded + j0;
      _mm256_storeu_ps(o + 0 * padded, _mm256_permute2f128_ps(u0, u4, 0x20));
      _mm256_storeu_ps(o + 1 * padded, _mm256_permute2f128_ps(u1, u5, 0x20));
      _mm256_storeu_ps(o + 2 * padded, _mm256_permute2f128_ps(u2, u6, 0x20));
      _mm256_storeu_ps(o + 3 * padded, _mm256_permute2f128_ps(u3, u7, 0x20));
      _mm256_storeu_ps(o + 4 * padded, _mm256_permute2f128_ps(u0, u4, 0x31));
      _mm256_storeu_ps(o + 5 * padded, _mm256_permute2f128_ps(u1, u5, 0x31));
      _mm256_storeu_ps(o + 6 * padded, _mm256_permute2f128_ps(u2, u6, 0x31));
      _mm256_storeu_ps(o + 7 * padded, _mm256_permute2f128_ps(u3, u7, 0x31));
    }
  }
  for (int64_t d = d8; d < head_dim; ++d) {
    for (int64_t j = 0; j < len; ++j) kt[d * padded + j] = k[j * stride + d];
    for (int64_t j = len; j < padded; ++j) kt[d * padded + j] = 0.0f;
  }
}

void attention_head(const float* q, const float* k, const float* v, float* out, int64_t stride,
                    int64_t len, int64_t head_dim, float scale, float* scratch) {
  const int64_t padded = (len + 15) / 16 * 16;
  float* kt = scratch;                     // [head_dim][padded], zero past len
  float* s = scratch + padded * head_dim;  // [4][padded]: one block of rows' weights
  transpose_keys(k, stride, len, head_dim, padded, kt);
  for (int64_t i0 = 0; i0 < len; i0 += 4) {
    const int64_t rows = std::min<int64_t>(4, len - i0);
    const float* qi = q + i0 * stride;
    switch (rows) {
      case 4: score_rows<4>(qi, stride, head_dim, kt, padded, scale, s); break;
      case 3: score_rows<3>(qi, stride, head_dim, kt, padded, scale, s); break;
      case 2: score_rows<2>(qi, stride, head_dim, kt, padded, scale, s); break;
      default: score_rows<1>(qi, stride, head_dim, kt, padded, scale, s); break;
    }
    for (int64_t r = 0; r < rows; ++r) softmax_row(s + r * padded, len, padded);
    int64_t r = 0;
    for (; r + 2 <= rows; r += 2) {
      weighted_rows<2>(s + r * padded, padded, v, stride, len, head_dim, out + (i0 + r) * stride);
    }
    if (r < rows) {
      weighted_rows<1>(s + r * padded, padded, v, stride, len, head_dim, out + (i0 + r) * stride);
    }
  }
}

}  // namespace

const EncoderKernels& avx2_encoder_kernels() {
  static const EncoderKernels k{"avx2", add, layer_norm_row, gelu, attention_head};
  return k;
}

}  // namespace anvil::engine::encoder_detail
