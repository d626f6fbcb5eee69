// The decoder's inner loops (ops_kernels.h) written once over a vector-traits type V (simd_avx2.h,
// simd_avx512.h) and instantiated by ops_avx2.cpp and ops_avx512.cpp, each compiled with its own
// instruction set. Everything is in an anonymous namespace: a copy per TU, so the linker cannot
// hand an AVX-512 instantiation to the AVX2 table or the other way round.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>

#include "anvil/engine/ops_kernels.h"

namespace anvil::engine::ops_detail {
namespace {

// e^x: Cephes' expf (range reduction by ln 2 in two parts, degree-5 polynomial), relative error
// about 2e-7; 0 below ln(FLT_MIN), clamped at 88.
template <class V>
typename V::F exp_v(typename V::F x) {
  const typename V::Mask under = V::less(x, V::set1(-87.33654475f));
  x = V::min(x, V::set1(88.0f));
  x = V::max(x, V::set1(-87.33654475f));
  const typename V::F n = V::round_nearest(V::mul(x, V::set1(1.44269504088896341f)));
  typename V::F r = V::fnmadd(n, V::set1(0.693359375f), x);
  r = V::fnmadd(n, V::set1(-2.12194440e-4f), r);
  typename V::F p = V::set1(1.9875691500e-4f);
  p = V::fmadd(p, r, V::set1(1.3981999507e-3f));
  p = V::fmadd(p, r, V::set1(8.3334519073e-3f));
  p = V::fmadd(p, r, V::set1(4.1665795894e-2f));
  p = V::fmadd(p, r, V::set1(1.6666665459e-1f));
  p = V::fmadd(p, r, V::set1(5.0000001201e-1f));
  p = V::fmadd(p, V::mul(r, r), V::add(r, V::set1(1.0f)));
  return V::zero_where(under, V::mul(p, V::exp2_int(n)));
}

template <class V>
float dot(const float* a, const float* b, int64_t n) {
  constexpr int L = V::kLanes;
  typename V::F acc0 = V::zero(), acc1 = V::zero();
  int64_t i = 0;
  for (; i + 2 * L <= n; i += 2 * L) {
    acc0 = V::fmadd(V::load(a + i), V::load(b + i), acc0);
    acc1 = V::fmadd(V::load(a + i + L), V::load(b + i + L), acc1);
  }
  for (; i < n; i += L) acc0 = V::fmadd(V::load_first(a + i, n - i), V::load_first(b + i, n - i), acc0);
  return V::hsum(V::add(acc0, acc1));
}

template <class V>
void silu_mul(float* gate, const float* up, int64_t n) {
  const typename V::F one = V::set1(1.0f);
  for (int64_t i = 0; i < n; i += V::kLanes) {
    const typename V::F g = V::load_first(gate + i, n - i);
    const typename V::F e = exp_v<V>(V::sub(V::zero(), g));
    V::store_first(gate + i, V::mul(V::div(g, V::add(one, e)), V::load_first(up + i, n - i)), n - i);
  }
}

template <class V>
float max(const float* x, int64_t n) {
  typename V::F m = V::set1(x[0]);
  int64_t i = 0;
  for (; i + V::kLanes <= n; i += V::kLanes) m = V::max(m, V::load(x + i));
  float r = V::hmax(m);
  for (; i < n; ++i) r = x[i] > r ? x[i] : r;
  return r;
}

template <class V>
float exp_sum(float* x, int64_t n, float max) {
  const typename V::F mx = V::set1(max);
  typename V::F acc = V::zero();
  for (int64_t i = 0; i < n; i += V::kLanes) {
    const typename V::F e = V::keep_first(exp_v<V>(V::sub(V::load_first(x + i, n - i), mx)), n - i);
    V::store_first(x + i, e, n - i);
    acc = V::add(acc, e);
  }
  return V::hsum(acc);
}

// Q queries x K keys per step (Q * K accumulators, as many independent FMA chains): each key row
// chunk loaded serves Q queries, each query chunk K keys, and the horizontal sums that end a step
// are amortized over Q * K dot products (eight at a time).
template <class V, typename T, int Q, int K>
void scores_tile(const float* const* q, const uint8_t* k, size_t stride, int64_t n, int64_t d,
                 float scale, float* const* s) {
  static_assert(Q * K % 8 == 0);
  constexpr int L = V::kLanes;
  auto row = [&](int64_t j) { return reinterpret_cast<const T*>(k + static_cast<size_t>(j) * stride); };
  int64_t j = 0;
  for (; j + K <= n; j += K) {
    const T* r[K];
#pragma GCC unroll 16
    for (int kk = 0; kk < K; ++kk) r[kk] = row(j + kk);
    typename V::F a[Q * K];
#pragma GCC unroll 16
    for (int u = 0; u < Q * K; ++u) a[u] = V::zero();
    auto step = [&](int64_t i, auto load) {
      typename V::F kv[K];
#pragma GCC unroll 16
      for (int kk = 0; kk < K; ++kk) kv[kk] = load(r[kk] + i);
#pragma GCC unroll 4
      for (int u = 0; u < Q; ++u) {
        const typename V::F x = load(q[u] + i);
#pragma GCC unroll 16
        for (int kk = 0; kk < K; ++kk) a[u * K + kk] = V::fmadd(x, kv[kk], a[u * K + kk]);
      }
    };
    int64_t i = 0;
    for (; i + L <= d; i += L) step(i, [](const auto* p) { return V::load(p); });
    if (i < d) step(i, [&](const auto* p) { return V::load_first(p, d - i); });
    alignas(32) float sums[Q * K];  // lane u * K + kk: query u, key j + kk
#pragma GCC unroll 2
    for (int e = 0; e < Q * K; e += 8) _mm256_store_ps(sums + e, _mm256_mul_ps(V::hsum8(a + e), _mm256_set1_ps(scale)));
    for (int u = 0; u < Q; ++u) {
      for (int kk = 0; kk < K; ++kk) s[u][j + kk] = sums[u * K + kk];
    }
  }
  for (; j < n; ++j) {
    const T* r = row(j);
    for (int u = 0; u < Q; ++u) {
      typename V::F a = V::zero();
      for (int64_t i = 0; i < d; i += L) a = V::fmadd(V::load_first(q[u] + i, d - i), V::load_first(r + i, d - i), a);
      s[u][j] = V::hsum(a) * scale;
    }
  }
}

template <class V, typename T>
void scores(const float* const* q, int64_t n_q, const uint8_t* k, size_t stride, int64_t n, int64_t d, float scale,
            float* s, int64_t ld) {
  constexpr int kKeys = V::kAccumulators / 4;
  int64_t m = 0;
  for (; m + 4 <= n_q; m += 4) {
    float* rows[4] = {s + m * ld, s + (m + 1) * ld, s + (m + 2) * ld, s + (m + 3) * ld};
    scores_tile<V, T, 4, kKeys>(q + m, k, stride, n, d, scale, rows);
  }
  for (; m < n_q; ++m) {
    float* rows[1] = {s + m * ld};
    scores_tile<V, T, 1, V::kAccumulators>(q + m, k, stride, n, d, scale, rows);
  }
}

// Q queries x C vectors of output values (dims [i0, i0 + C * lanes), of which the last vector
// holds `last` values); Q * C accumulators stay in registers over all n rows.
template <class V, typename T, int Q, int C>
void weighted_tile(const float* const* p, const uint8_t* v, size_t stride, int64_t n, int64_t i0, int64_t last,
                   float* const* out) {
  constexpr int L = V::kLanes;
  typename V::F a[Q * C];
#pragma GCC unroll 16
  for (int u = 0; u < Q * C; ++u) a[u] = V::zero();
  for (int64_t j = 0; j < n; ++j) {
    const T* r = reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride) + i0;
    typename V::F x[C];
#pragma GCC unroll 8
    for (int c = 0; c < C; ++c) x[c] = c == C - 1 ? V::load_first(r + L * c, last) : V::load(r + L * c);
#pragma GCC unroll 4
    for (int u = 0; u < Q; ++u) {
      const typename V::F w = V::set1(p[u][j]);
#pragma GCC unroll 8
      for (int c = 0; c < C; ++c) a[u * C + c] = V::fmadd(w, x[c], a[u * C + c]);
    }
  }
  for (int u = 0; u < Q; ++u) {
    for (int c = 0; c < C; ++c) {
      float* o = out[u] + i0 + L * c;
      if (c == C - 1) {
        V::store_first(o, a[u * C + c], last);
      } else {
        V::store(o, a[u * C + c]);
      }
    }
  }
}

template <class V, typename T, int Q>
void weighted_rows(const float* const* p, const uint8_t* v, size_t stride, int64_t n, int64_t d, float* const* out) {
  constexpr int L = V::kLanes;
  constexpr int C = Q == 1 ? 4 : V::kAccumulators / Q;
  int64_t i = 0;
  for (; i + C * L <= d; i += C * L) weighted_tile<V, T, Q, C>(p, v, stride, n, i, L, out);
  for (; i < d; i += L) weighted_tile<V, T, Q, 1>(p, v, stride, n, i, d - i, out);
}

template <class V, typename T>
void weighted_sum(const float* p, int64_t ld, int64_t n_q, const uint8_t* v, size_t stride, int64_t n, int64_t d,
                  float* const* out) {
  int64_t m = 0;
  for (; m + 4 <= n_q; m += 4) {
    const float* rows[4] = {p + m * ld, p + (m + 1) * ld, p + (m + 2) * ld, p + (m + 3) * ld};
    weighted_rows<V, T, 4>(rows, v, stride, n, d, out + m);
  }
  for (; m < n_q; ++m) {
    const float* rows[1] = {p + m * ld};
    weighted_rows<V, T, 1>(rows, v, stride, n, d, out + m);
  }
}

// The kernel table of one instruction set.
template <class V>
OpsKernels make_ops(const char* name) {
  return OpsKernels{
      name,
      dot<V>,
      silu_mul<V>,
      max<V>,
      exp_sum<V>,
      scores<V, float>,
      scores<V, uint16_t>,
      weighted_sum<V, float>,
      weighted_sum<V, uint16_t>,
  };
}

}  // namespace
}  // namespace anvil::engine::ops_detail
