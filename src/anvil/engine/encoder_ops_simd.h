// The encoder's inner loops (encoder_ops_kernels.h) written once over a vector-traits type V
// (simd_avx2.h, simd_avx512.h) and instantiated by encoder_ops_avx2.cpp and encoder_ops_avx512.cpp,
// each compiled with its own instruction set; anonymous namespace, so a copy per TU. The formulas
// are the portable code's (encoder_ops.cpp: Cody-Waite exp with a degree-7 Taylor polynomial,
// Abramowitz-Stegun erf with the Maclaurin series below 0.5), V::kLanes values at a time.
// Attention register-blocks 4 query rows x 2 vectors of keys for the scores and
// V::kAccumulators / 4 rows x 4 vectors of columns for the weighted sums.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>

#include "anvil/engine/encoder_ops_kernels.h"

namespace anvil::engine::encoder_detail {
namespace {

// exp(x) for x <= 0 (x < -87 gives 0, -inf included), as the portable exp_nonpositive: adding
// 1.5 * 2^23 rounds x log2(e) to the integer n, then e^x = 2^n e^r with |r| <= ln2 / 2.
template <class V>
typename V::F exp_nonpositive(typename V::F x) {
  using F = typename V::F;
  const typename V::Mask underflow = V::less(x, V::set1(-87.0f));
  x = V::max(x, V::set1(-87.0f));
  const F magic = V::set1(12582912.0f);
  const F n = V::sub(V::fmadd(x, V::set1(1.44269504088896341f), magic), magic);
  F r = V::fnmadd(n, V::set1(0.693145751953125f), x);
  r = V::fnmadd(n, V::set1(1.42860682030941723212e-6f), r);
  F p = V::set1(1.0f / 5040.0f);
  p = V::fmadd(p, r, V::set1(1.0f / 720.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 120.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 24.0f));
  p = V::fmadd(p, r, V::set1(1.0f / 6.0f));
  p = V::fmadd(p, r, V::set1(0.5f));
  p = V::fmadd(p, r, V::set1(1.0f));
  p = V::fmadd(p, r, V::set1(1.0f));
  return V::zero_where(underflow, V::mul(p, V::exp2_int(n)));
}

template <class V>
typename V::F erf_v(typename V::F x) {
  using F = typename V::F;
  const F ax = V::min(V::abs(x), V::set1(6.0f));
  const F one = V::set1(1.0f);
  const F t = V::div(one, V::fmadd(V::set1(0.3275911f), ax, one));
  F poly = V::set1(1.061405429f);
  poly = V::fmadd(poly, t, V::set1(-1.453152027f));
  poly = V::fmadd(poly, t, V::set1(1.421413741f));
  poly = V::fmadd(poly, t, V::set1(-0.284496736f));
  poly = V::fmadd(poly, t, V::set1(0.254829592f));
  poly = V::mul(poly, t);
  const F x2 = V::mul(ax, ax);
  const F large = V::fnmadd(poly, exp_nonpositive<V>(V::sub(V::zero(), x2)), one);
  F series = V::set1(-1.0f / 1320.0f);
  series = V::fmadd(series, x2, V::set1(1.0f / 216.0f));
  series = V::fmadd(series, x2, V::set1(-1.0f / 42.0f));
  series = V::fmadd(series, x2, V::set1(1.0f / 10.0f));
  series = V::fmadd(series, x2, V::set1(-1.0f / 3.0f));
  series = V::fmadd(series, x2, one);
  const F small = V::mul(V::mul(V::set1(1.12837916709551257f), ax), series);  // 2 / sqrt(pi)
  return V::copy_sign(V::select(V::less(ax, V::set1(0.5f)), small, large), x);
}

template <class V>
void gelu(float* x, int64_t n) {
  using F = typename V::F;
  for (int64_t i = 0; i < n; i += V::kLanes) {
    const F v = V::load_first(x + i, n - i);
    const F e = erf_v<V>(V::mul(v, V::set1(0.70710678118654752440f)));
    V::store_first(x + i, V::mul(V::mul(V::set1(0.5f), v), V::add(V::set1(1.0f), e)), n - i);
  }
}

template <class V>
void add(float* x, const float* y, const float* bias, int64_t n) {
  if (y == nullptr && bias == nullptr) return;
  for (int64_t i = 0; i < n; i += V::kLanes) {
    typename V::F s;
    if (y != nullptr && bias != nullptr) {
      s = V::add(V::load_first(y + i, n - i), V::load_first(bias + i, n - i));
    } else {
      s = V::load_first((y != nullptr ? y : bias) + i, n - i);
    }
    V::store_first(x + i, V::add(V::load_first(x + i, n - i), s), n - i);
  }
}

// Two passes, each summing in two vectors of doubles (as the portable code sums in double).
template <class V>
void layer_norm_row(float* row, int64_t n, const float* w, const float* b, float eps) {
  using D = typename V::D;
  constexpr int L = V::kLanes;
  D s0 = V::dzero(), s1 = V::dzero();
  int64_t i = 0;
  for (; i + L <= n; i += L) {
    const typename V::F v = V::load(row + i);
    s0 = V::dadd(s0, V::widen_low(v));
    s1 = V::dadd(s1, V::widen_high(v));
  }
  double sum = V::dhsum(V::dadd(s0, s1));
  for (int64_t t = i; t < n; ++t) sum += row[t];
  const double mean = sum / static_cast<double>(n);
  const D md = V::dset1(mean);
  s0 = V::dzero();
  s1 = V::dzero();
  for (i = 0; i + L <= n; i += L) {
    const typename V::F v = V::load(row + i);
    const D d0 = V::dsub(V::widen_low(v), md);
    const D d1 = V::dsub(V::widen_high(v), md);
    s0 = V::dfmadd(d0, d0, s0);
    s1 = V::dfmadd(d1, d1, s1);
  }
  double sq = V::dhsum(V::dadd(s0, s1));
  for (int64_t t = i; t < n; ++t) sq += (row[t] - mean) * (row[t] - mean);
  const double var = sq / static_cast<double>(n);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
  const typename V::F mv = V::set1(static_cast<float>(mean)), iv = V::set1(inv);
  for (i = 0; i < n; i += L) {
    const typename V::F xn = V::mul(V::sub(V::load_first(row + i, n - i), mv), iv);
    V::store_first(row + i, V::fmadd(xn, V::load_first(w + i, n - i), V::load_first(b + i, n - i)), n - i);
  }
}

// s[r][j] = scale * q_{i0+r} . k_j for R rows and j in [0, padded), two vectors of keys per step:
// kt is [head_dim][padded], padded a multiple of 2 * V::kLanes.
template <class V, int R>
void score_rows(const float* q, int64_t stride, int64_t head_dim, const float* kt, int64_t padded, float scale,
                float* s) {
  constexpr int L = V::kLanes;
  for (int64_t jb = 0; jb < padded; jb += 2 * L) {
    typename V::F acc[R][2];
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) acc[r][0] = acc[r][1] = V::zero();
    for (int64_t d = 0; d < head_dim; ++d) {
      const typename V::F k0 = V::load(kt + d * padded + jb);
      const typename V::F k1 = V::load(kt + d * padded + jb + L);
#pragma GCC unroll 8
      for (int r = 0; r < R; ++r) {
        const typename V::F qb = V::set1(q[r * stride + d]);
        acc[r][0] = V::fmadd(qb, k0, acc[r][0]);
        acc[r][1] = V::fmadd(qb, k1, acc[r][1]);
      }
    }
    const typename V::F sc = V::set1(scale);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      V::store(s + r * padded + jb, V::mul(acc[r][0], sc));
      V::store(s + r * padded + jb + L, V::mul(acc[r][1], sc));
    }
  }
}

// s[0, padded) -> softmax weights over the first len entries (the rest become 0).
template <class V>
void softmax_row(float* s, int64_t len, int64_t padded) {
  constexpr int L = V::kLanes;
  for (int64_t j = len; j < padded; ++j) s[j] = -std::numeric_limits<float>::infinity();
  typename V::F mx = V::load(s);
  for (int64_t j = L; j < padded; j += L) mx = V::max(mx, V::load(s + j));
  const typename V::F m = V::set1(V::hmax(mx));
  typename V::F sum = V::zero();
  for (int64_t j = 0; j < padded; j += L) {
    const typename V::F e = exp_nonpositive<V>(V::sub(V::load(s + j), m));
    V::store(s + j, e);
    sum = V::add(sum, e);
  }
  const typename V::F inv = V::set1(1.0f / V::hsum(sum));
  for (int64_t j = 0; j < padded; j += L) V::store(s + j, V::mul(V::load(s + j), inv));
}

// For R rows r (weights p + r * padded, outputs out + r * stride) and NV vectors of columns from
// c0: out[c] = sum_j p[j] v_j[c]. Each loaded value vector serves every row.
template <class V, int R, int NV>
void weighted_columns(const float* p, int64_t padded, const float* v, int64_t stride, int64_t len, int64_t c0,
                      float* out) {
  constexpr int L = V::kLanes;
  typename V::F acc[R][NV];
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) acc[r][u] = V::zero();
  }
  for (int64_t j = 0; j < len; ++j) {
    const float* vj = v + j * stride + c0;
    typename V::F vv[NV];
#pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) vv[u] = V::load(vj + L * u);
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      const typename V::F pj = V::set1(p[r * padded + j]);
#pragma GCC unroll 8
      for (int u = 0; u < NV; ++u) acc[r][u] = V::fmadd(pj, vv[u], acc[r][u]);
    }
  }
#pragma GCC unroll 8
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 8
    for (int u = 0; u < NV; ++u) V::store(out + r * stride + c0 + L * u, acc[r][u]);
  }
}

// Rows [0, R) of the output from their weights: columns in blocks of 4 vectors, then 3, 2 or 1
// vectors, then a scalar tail for head_dim % kLanes.
template <class V, int R>
void weighted_rows(const float* p, int64_t padded, const float* v, int64_t stride, int64_t len, int64_t head_dim,
                   float* out) {
  constexpr int L = V::kLanes;
  int64_t c0 = 0;
  for (; c0 + 4 * L <= head_dim; c0 += 4 * L) weighted_columns<V, R, 4>(p, padded, v, stride, len, c0, out);
  switch ((head_dim - c0) / L) {
    case 3: weighted_columns<V, R, 3>(p, padded, v, stride, len, c0, out); break;
    case 2: weighted_columns<V, R, 2>(p, padded, v, stride, len, c0, out); break;
    case 1: weighted_columns<V, R, 1>(p, padded, v, stride, len, c0, out); break;
    default: break;
  }
  for (int64_t c = c0 + (head_dim - c0) / L * L; c < head_dim; ++c) {
#pragma GCC unroll 8
    for (int r = 0; r < R; ++r) {
      float acc = 0;
      for (int64_t j = 0; j < len; ++j) acc += p[r * padded + j] * v[j * stride + c];
      out[r * stride + c] = acc;
    }
  }
}

// kt[d * padded + j] = k[j * stride + d] for j < len, 0 for len <= j < padded: whole vectors of
// keys by gathering a column of kLanes rows, the last partial vector by a scalar loop. Once per
// head against len^2 x head_dim multiply-adds for the scores, so the gathers cost little.
template <class V>
void transpose_keys(const float* k, int64_t stride, int64_t len, int64_t head_dim, int64_t padded, float* kt) {
  constexpr int L = V::kLanes;
  int64_t j0 = 0;
  for (; j0 + L <= len; j0 += L) {
    for (int64_t d = 0; d < head_dim; ++d) {
      V::store(kt + d * padded + j0, V::gather_column(k + j0 * stride + d, static_cast<int>(stride)));
    }
  }
  for (int64_t d = 0; d < head_dim; ++d) {
    for (int64_t j = j0; j < len; ++j) kt[d * padded + j] = k[j * stride + d];
    for (int64_t j = std::max(j0, len); j < padded; ++j) kt[d * padded + j] = 0.0f;
  }
}

template <class V>
void attention_head(const float* q, const float* k, const float* v, float* out, int64_t stride, int64_t len,
                    int64_t head_dim, float scale, float* scratch) {
  static_assert(kAttentionKeyBlock % (2 * V::kLanes) == 0);
  constexpr int kWeightRows = V::kAccumulators / 4;  // x 4 vectors of columns in the registers
  const int64_t padded = attention_padded_len(len);
  float* kt = scratch;                     // [head_dim][padded], zero past len
  float* s = scratch + padded * head_dim;  // [4][padded]: one block of rows' weights
  transpose_keys<V>(k, stride, len, head_dim, padded, kt);
  for (int64_t i0 = 0; i0 < len; i0 += 4) {
    const int64_t rows = std::min<int64_t>(4, len - i0);
    const float* qi = q + i0 * stride;
    switch (rows) {
      case 4: score_rows<V, 4>(qi, stride, head_dim, kt, padded, scale, s); break;
      case 3: score_rows<V, 3>(qi, stride, head_dim, kt, padded, scale, s); break;
      case 2: score_rows<V, 2>(qi, stride, head_dim, kt, padded, scale, s); break;
      default: score_rows<V, 1>(qi, stride, head_dim, kt, padded, scale, s); break;
    }
    for (int64_t r = 0; r < rows; ++r) softmax_row<V>(s + r * padded, len, padded);
    int64_t r = 0;
    for (; r + kWeightRows <= rows; r += kWeightRows) {
      weighted_rows<V, kWeightRows>(s + r * padded, padded, v, stride, len, head_dim, out + (i0 + r) * stride);
    }
    for (; r < rows; ++r) {
      weighted_rows<V, 1>(s + r * padded, padded, v, stride, len, head_dim, out + (i0 + r) * stride);
    }
  }
}

template <class V>
EncoderKernels make_encoder_kernels(const char* name) {
  return EncoderKernels{name, add<V>, layer_norm_row<V>, gelu<V>, attention_head<V>};
}

}  // namespace
}  // namespace anvil::engine::encoder_detail
