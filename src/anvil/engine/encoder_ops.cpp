#include "anvil/engine/encoder_ops.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstring>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/encoder_ops_kernels.h"

namespace anvil::engine {
namespace {

// Splits [0, n) into chunks of at least `min_chunk` items and runs fn(begin, end) on each, on the
// pool when there is more than one chunk. Small inputs stay on the calling thread: handing them
// out costs more than the work.
template <typename Fn>
void for_chunks(int64_t n, int64_t min_chunk, core::ThreadPool* pool, const Fn& fn) {
  if (n <= 0) return;
  const int64_t workers = pool ? static_cast<int64_t>(pool->size()) + 1 : 1;
  int64_t chunks = std::min<int64_t>(workers * 4, (n + min_chunk - 1) / min_chunk);
  if (chunks <= 1 || pool == nullptr) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t per = (n + chunks - 1) / chunks;
  chunks = (n + per - 1) / per;
  pool->parallel_for(0, static_cast<size_t>(chunks), [&](size_t c) {
    const int64_t begin = static_cast<int64_t>(c) * per;
    fn(begin, std::min(n, begin + per));
  }, 1);
}

constexpr float kLog2e = 1.44269504088896341f;
// ln 2 split so that n * kLn2Hi is exact for |n| < 2^11 (Cody and Waite's range reduction).
constexpr float kLn2Hi = 0.693145751953125f;
constexpr float kLn2Lo = 1.42860682030941723212e-6f;
// Adding 1.5 * 2^23 rounds a float of magnitude < 2^22 to an integer held in the low mantissa bits.
constexpr float kRoundMagic = 12582912.0f;

inline float exp_nonpositive(float x) {
  const bool underflow = x < -87.0f;
  x = underflow ? -87.0f : x;
  const float t = x * kLog2e + kRoundMagic;
  const float n = t - kRoundMagic;
  const int32_t ni = std::bit_cast<int32_t>(t) - std::bit_cast<int32_t>(kRoundMagic);
  const float r = (x - n * kLn2Hi) - n * kLn2Lo;  // |r| <= ln2 / 2
  // Taylor series to r^7: the truncation error is below 0.347^8 / 8! ~ 5e-9 relative.
  float p = 1.0f / 5040.0f;
  p = p * r + 1.0f / 720.0f;
  p = p * r + 1.0f / 120.0f;
  p = p * r + 1.0f / 24.0f;
  p = p * r + 1.0f / 6.0f;
  p = p * r + 0.5f;
  p = p * r + 1.0f;
  p = p * r + 1.0f;
  const float scale = std::bit_cast<float>((ni + 127) << 23);  // 2^n, n >= -126 after the clamp
  return underflow ? 0.0f : p * scale;
}

inline float erf_approx(float x) {
  // Abramowitz and Stegun 7.1.26 (|error| <= 1.5e-7 in exact arithmetic) for |x| >= 0.5, odd
  // extension for x < 0. Below 0.5 its float rounding is large relative to erf itself, so there
  // the Maclaurin series to x^11 takes over (truncation below 0.5^13 / 9360 ~ 1.3e-8).
  float ax = __builtin_fabsf(x);
  ax = ax < 6.0f ? ax : 6.0f;
  const float t = 1.0f / (1.0f + 0.3275911f * ax);
  float poly = 1.061405429f;
  poly = poly * t - 1.453152027f;
  poly = poly * t + 1.421413741f;
  poly = poly * t - 0.284496736f;
  poly = poly * t + 0.254829592f;
  poly = poly * t;
  const float large = 1.0f - poly * exp_nonpositive(-ax * ax);
  const float x2 = ax * ax;
  float series = -1.0f / 1320.0f;
  series = series * x2 + 1.0f / 216.0f;
  series = series * x2 - 1.0f / 42.0f;
  series = series * x2 + 1.0f / 10.0f;
  series = series * x2 - 1.0f / 3.0f;
  series = series * x2 + 1.0f;
  const float small = 1.12837916709551257f * ax * series;  // 2 / sqrt(pi)
  return __builtin_copysignf(ax < 0.5f ? small : large, x);
}

constexpr float kInvSqrt2 = 0.70710678118654752440f;

inline float gelu(float x) { return 0.5f * x * (1.0f + erf_approx(x * kInvSqrt2)); }

}  // namespace

float fast_exp_nonpositive(float x) { return exp_nonpositive(x); }
float fast_erf(float x) { return erf_approx(x); }
float gelu_erf(float x) { return gelu(x); }

namespace encoder_detail {
namespace {

void add_portable(float* x, const float* y, const float* bias, int64_t n) {
  if (y != nullptr) {
    for (int64_t i = 0; i < n; ++i) x[i] += y[i];
  }
  if (bias != nullptr) {
    for (int64_t i = 0; i < n; ++i) x[i] += bias[i];
  }
}

// Sums in double, so that rows with a large common offset keep their variance.
void layer_norm_row_portable(float* row, int64_t n, const float* w, const float* b, float eps) {
  double sum = 0;
  for (int64_t i = 0; i < n; ++i) sum += row[i];
  const double mean = sum / static_cast<double>(n);
  double sq = 0;
  for (int64_t i = 0; i < n; ++i) {
    const double d = row[i] - mean;
    sq += d * d;
  }
  const double var = sq / static_cast<double>(n);
  const float inv = static_cast<float>(1.0 / std::sqrt(var + static_cast<double>(eps)));
  const float m = static_cast<float>(mean);
  for (int64_t i = 0; i < n; ++i) row[i] = (row[i] - m) * inv * w[i] + b[i];
}

void gelu_portable(float* x, int64_t n) {
  for (int64_t i = 0; i < n; ++i) x[i] = gelu(x[i]);
}

void attention_head_portable(const float* q, const float* k, const float* v, float* out,
                             int64_t stride, int64_t len, int64_t head_dim, float scale,
                             float* scratch) {
  // kt: [head_dim, len], the keys transposed so that one query's scores are axpy's over
  // contiguous memory.
  float* kt = scratch;
  float* sc = scratch + head_dim * len;
  for (int64_t j = 0; j < len; ++j) {
    for (int64_t d = 0; d < head_dim; ++d) kt[d * len + j] = k[j * stride + d];
  }
  for (int64_t i = 0; i < len; ++i) {
    const float* qi = q + i * stride;
    std::fill(sc, sc + len, 0.0f);
    for (int64_t d = 0; d < head_dim; ++d) {
      const float qd = qi[d] * scale;
      const float* kd = kt + d * len;
      for (int64_t j = 0; j < len; ++j) sc[j] += qd * kd[j];
    }
    float mx = sc[0];
    for (int64_t j = 1; j < len; ++j) mx = sc[j] > mx ? sc[j] : mx;
    float sum = 0;
    for (int64_t j = 0; j < len; ++j) {
      sc[j] = exp_nonpositive(sc[j] - mx);
      sum += sc[j];
    }
    const float inv = 1.0f / sum;
    float* oi = out + i * stride;
    std::fill(oi, oi + head_dim, 0.0f);
    for (int64_t j = 0; j < len; ++j) {
      const float p = sc[j] * inv;
      const float* vj = v + j * stride;
      for (int64_t d = 0; d < head_dim; ++d) oi[d] += p * vj[d];
    }
  }
}

}  // namespace

const EncoderKernels& portable_encoder_kernels() {
  static const EncoderKernels k{"portable", add_portable, layer_norm_row_portable, gelu_portable,
                                attention_head_portable};
  return k;
}

}  // namespace encoder_detail

namespace {

const encoder_detail::EncoderKernels& kernels() {
  if (cpu_level() >= CpuLevel::kAvx512) return encoder_detail::avx512_encoder_kernels();
  if (cpu_level() >= CpuLevel::kAvx2) return encoder_detail::avx2_encoder_kernels();
  return encoder_detail::portable_encoder_kernels();
}

}  // namespace

void layer_norm(float* x, int64_t n_rows, int64_t n, const float* w, const float* b, float eps,
                core::ThreadPool* pool) {
  const auto& k = kernels();
  for_chunks(n_rows, 64, pool, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) k.layer_norm_row(x + r * n, n, w, b, eps);
  });
}

void residual_layer_norm(float* x, const float* y, const float* y_bias, int64_t n_rows, int64_t n,
                         const float* w, const float* b, float eps, core::ThreadPool* pool) {
  const auto& k = kernels();
  for_chunks(n_rows, 64, pool, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) {
      k.add(x + r * n, y + r * n, y_bias, n);
      k.layer_norm_row(x + r * n, n, w, b, eps);
    }
  });
}

void add_bias(float* x, int64_t n_rows, int64_t n, const float* bias, core::ThreadPool* pool) {
  const auto& k = kernels();
  for_chunks(n_rows, 64, pool, [&](int64_t begin, int64_t end) {
    for (int64_t r = begin; r < end; ++r) k.add(x + r * n, nullptr, bias, n);
  });
}

void add_in_place(float* y, const float* x, int64_t n, core::ThreadPool* pool) {
  const auto& k = kernels();
  for_chunks(n, 1 << 15, pool, [&](int64_t begin, int64_t end) {
    k.add(y + begin, x + begin, nullptr, end - begin);
  });
}

void gelu_erf_in_place(float* x, int64_t n, core::ThreadPool* pool) {
  const auto& k = kernels();
  for_chunks(n, 1 << 14, pool, [&](int64_t begin, int64_t end) { k.gelu(x + begin, end - begin); });
}

void encoder_attention(const float* q, const float* k, const float* v, int64_t n_head,
                       int64_t head_dim, float scale, std::span<const SequenceSpan> seqs,
                       float* out, core::ThreadPool* pool) {
  const auto& kern = kernels();
  const int64_t stride = n_head * head_dim;
  const auto n_tasks = static_cast<int64_t>(seqs.size()) * n_head;
  auto task = [&](int64_t index) {
    const SequenceSpan& s = seqs[static_cast<size_t>(index / n_head)];
    const int64_t h = index % n_head;
    if (s.length <= 0) return;
    thread_local std::vector<float> scratch;
    scratch.resize(static_cast<size_t>(encoder_detail::attention_scratch_floats(s.length, head_dim)));
    const int64_t offset = s.start * stride + h * head_dim;
    kern.attention_head(q + offset, k + offset, v + offset, out + offset, stride, s.length,
                        head_dim, scale, scratch.data());
  };
  if (pool == nullptr || n_tasks <= 1) {
    for (int64_t t = 0; t < n_tasks; ++t) task(t);
    return;
  }
  pool->parallel_for(0, static_cast<size_t>(n_tasks),
                     [&](size_t t) { task(static_cast<int64_t>(t)); }, 1);
}

void l2_normalize_rows(float* x, int64_t n_rows, int64_t n) {
  for (int64_t r = 0; r < n_rows; ++r) {
    float* row = x + r * n;
    double sq = 0;
    for (int64_t i = 0; i < n; ++i) sq += static_cast<double>(row[i]) * row[i];
    if (sq <= 0) continue;
    const float inv = static_cast<float>(1.0 / std::sqrt(sq));
    for (int64_t i = 0; i < n; ++i) row[i] *= inv;
  }
}

}  // namespace anvil::engine
