#include "anvil/engine/ops.h"

#include <algorithm>
#include <cmath>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/fp16.h"
#include "anvil/engine/kv_cache.h"
#include "anvil/engine/ops_kernels.h"
#include "anvil/engine/parallel.h"

namespace anvil::engine {
namespace ops_detail {
namespace {

float dot_portable(const float* a, const float* b, int64_t n) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) s += a[i] * b[i];
  return s;
}

void silu_mul_portable(float* gate, const float* up, int64_t n) {
  for (int64_t i = 0; i < n; ++i) gate[i] = gate[i] / (1.0f + std::exp(-gate[i])) * up[i];
}

float max_portable(const float* x, int64_t n) { return *std::max_element(x, x + n); }

float exp_sum_portable(float* x, int64_t n, float max) {
  float s = 0;
  for (int64_t i = 0; i < n; ++i) {
    x[i] = std::exp(x[i] - max);
    s += x[i];
  }
  return s;
}

float to_f32(float v) { return v; }
float to_f32(uint16_t v) { return fp16_to_fp32(v); }

template <typename T>
void scores_portable(const float* const* q, int64_t n_q, const uint8_t* k, size_t stride, int64_t n,
                     int64_t d, float scale, float* out, int64_t ld) {
  for (int64_t m = 0; m < n_q; ++m) {
    for (int64_t j = 0; j < n; ++j) {
      const T* r = reinterpret_cast<const T*>(k + static_cast<size_t>(j) * stride);
      float s = 0;
      for (int64_t i = 0; i < d; ++i) s += q[m][i] * to_f32(r[i]);
      out[m * ld + j] = s * scale;
    }
  }
}

template <typename T>
void weighted_sum_portable(const float* p, int64_t ld, int64_t n_q, const uint8_t* v, size_t stride,
                           int64_t n, int64_t d, float* const* out) {
  for (int64_t m = 0; m < n_q; ++m) {
    float* o = out[m];
    std::fill(o, o + d, 0.0f);
    for (int64_t j = 0; j < n; ++j) {
      const T* r = reinterpret_cast<const T*>(v + static_cast<size_t>(j) * stride);
      const float w = p[m * ld + j];
      for (int64_t i = 0; i < d; ++i) o[i] += w * to_f32(r[i]);
    }
  }
}

const OpsKernels kPortable = {
    "portable",
    dot_portable,
    silu_mul_portable,
    max_portable,
    exp_sum_portable,
    scores_portable<float>,
    scores_portable<uint16_t>,
    weighted_sum_portable<float>,
    weighted_sum_portable<uint16_t>,
};

}  // namespace

const OpsKernels& portable_ops() { return kPortable; }

}  // namespace ops_detail

namespace {

using ops_detail::OpsKernels;

// Chosen per operator call (not cached) so that set_cpu_level() in tests takes effect.
const OpsKernels& kernels() {
  const CpuLevel level = cpu_level();
  if (level >= CpuLevel::kAvx512) return *ops_detail::avx512_ops();
  if (level >= CpuLevel::kAvx2) return *ops_detail::avx2_ops();
  return ops_detail::portable_ops();
}

// Runs fn(begin, end) over [0, n) in chunks of at least `min_chunk`, on the thread team
// (parallel_run: a hand-off costs about a microsecond) when it is worth it.
template <typename Fn>
void split(int64_t n, int64_t min_chunk, core::ThreadPool* pool, Fn&& fn) {
  const int64_t threads = pool ? static_cast<int64_t>(pool->size()) + 1 : 1;
  const int64_t chunks = std::min(threads, std::max<int64_t>(1, n / min_chunk));
  if (chunks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  const int64_t step = (n + chunks - 1) / chunks;
  parallel_run(pool, chunks, [&](int64_t c) {
    const int64_t b = c * step;
    fn(b, std::min(n, b + step));
  });
}

}  // namespace

std::string_view ops_kernels_name() { return kernels().name; }

void rmsnorm(const float* x, const float* w, int64_t n, int64_t d, float eps, float* out) {
  const OpsKernels& k = kernels();
  for (int64_t r = 0; r < n; ++r) {
    const float* xr = x + r * d;
    float* o = out + r * d;
    const float mean_sq = k.dot(xr, xr, d) / static_cast<float>(d);
    const float scale = 1.0f / std::sqrt(mean_sq + eps);
    for (int64_t i = 0; i < d; ++i) o[i] = xr[i] * scale * w[i];
  }
}

void add_bias(float* y, const float* b, int64_t n, int64_t d) {
  for (int64_t r = 0; r < n; ++r) {
    float* yr = y + r * d;
    for (int64_t i = 0; i < d; ++i) yr[i] += b[i];
  }
}

void add_in_place(float* x, const float* y, int64_t count) {
  for (int64_t i = 0; i < count; ++i) x[i] += y[i];
}

void silu_mul(float* gate, const float* up, int64_t count, core::ThreadPool* pool) {
  const OpsKernels& k = kernels();
  split(count, 32768, pool, [&](int64_t b, int64_t e) { k.silu_mul(gate + b, up + b, e - b); });
}

void softmax(float* x, int64_t n) {
  if (n <= 0) return;
  const OpsKernels& k = kernels();
  const float inv = 1.0f / k.exp_sum(x, n, k.max(x, n));
  for (int64_t i = 0; i < n; ++i) x[i] *= inv;
}

void rope_angles(const RopeParams& p, int64_t pos0, int64_t n, float* cos_sin) {
  const int64_t half = p.n_rot / 2;
  std::vector<double> inv_freq(static_cast<size_t>(half));
  for (int64_t i = 0; i < half; ++i) {
    double f = std::pow(static_cast<double>(p.freq_base), -2.0 * static_cast<double>(i) / static_cast<double>(p.n_rot));
    if (p.freq_factors) f /= static_cast<double>(p.freq_factors[i]);
    inv_freq[static_cast<size_t>(i)] = f;
  }
  for (int64_t t = 0; t < n; ++t) {
    const double pos = static_cast<double>(pos0 + t) * static_cast<double>(p.freq_scale);
    float* row = cos_sin + t * half * 2;
    for (int64_t i = 0; i < half; ++i) {
      const double theta = pos * inv_freq[static_cast<size_t>(i)];
      row[2 * i] = static_cast<float>(std::cos(theta));
      row[2 * i + 1] = static_cast<float>(std::sin(theta));
    }
  }
}

void rope(const RopeParams& p, const float* cos_sin, int64_t n, int64_t n_heads, float* x) {
  const int64_t half = p.n_rot / 2;
  // Pair i of a head: (i * a_step, i * a_step + b_off).
  const int64_t a_step = p.type == RopeType::kNormal ? 2 : 1;
  const int64_t b_off = p.type == RopeType::kNormal ? 1 : half;
  for (int64_t t = 0; t < n; ++t) {
    const float* cs = cos_sin + t * half * 2;
    for (int64_t h = 0; h < n_heads; ++h) {
      float* v = x + (t * n_heads + h) * p.head_dim;
      for (int64_t i = 0; i < half; ++i) {
        float& a = v[i * a_step];
        float& b = v[i * a_step + b_off];
        const float c = cs[2 * i], s = cs[2 * i + 1];
        const float a0 = a, b0 = b;
        a = a0 * c - b0 * s;
        b = a0 * s + b0 * c;
      }
    }
  }
}

void attention(const AttentionShape& shape, const float* q, const KvCache& kv, int64_t layer,
               int64_t pos0, int64_t n, float* out, core::ThreadPool* pool) {
  const OpsKernels& k = kernels();
  const int64_t hd = shape.head_dim;
  const int64_t q_dim = shape.n_head * hd;
  const int64_t group = shape.n_head / shape.n_head_kv;
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const bool f16 = kv.type() == GgmlType::kF16;
  const size_t elem = f16 ? 2 : 4;
  const auto scores_fn = f16 ? k.scores_f16 : k.scores_f32;
  const auto sum_fn = f16 ? k.weighted_sum_f16 : k.weighted_sum_f32;
  const int64_t n_total = pos0 + n;

  // A task is one KV head with the query heads that share it, over a block of rows: each key and
  // value row loaded serves group x rows queries. Rows of a block see 1 more key each; the keys a
  // row must not see get probability 0. The block is sized so that its scores stay near 1 MiB.
  const int64_t rows = std::clamp<int64_t>((int64_t{1} << 18) / (group * n_total), 1, 16);
  const int64_t n_blocks = (n + rows - 1) / rows;
  auto task = [&](size_t index) {
    const int64_t g = static_cast<int64_t>(index) % shape.n_head_kv;
    const int64_t block = static_cast<int64_t>(index) / shape.n_head_kv;
    const int64_t t0 = block * rows, t1 = std::min(n, t0 + rows);
    const int64_t n_q = (t1 - t0) * group;
    const int64_t n_keys = pos0 + t1;  // what the block's last row sees
    const int64_t kv_off = g * hd * static_cast<int64_t>(elem);  // bytes into a cache row
    thread_local std::vector<float> s;
    thread_local std::vector<const float*> qs;
    thread_local std::vector<float*> outs;
    s.resize(static_cast<size_t>(n_q * n_keys));
    qs.resize(static_cast<size_t>(n_q));
    outs.resize(static_cast<size_t>(n_q));
    for (int64_t t = t0; t < t1; ++t) {
      for (int64_t h = g * group; h < (g + 1) * group; ++h) {
        const auto m = static_cast<size_t>((t - t0) * group + h - g * group);
        qs[m] = q + t * q_dim + h * hd;
        outs[m] = out + t * q_dim + h * hd;
      }
    }
    scores_fn(qs.data(), n_q, kv.k_row(layer, 0) + kv_off, kv.row_bytes(), n_keys, hd, scale,
              s.data(), n_keys);
    thread_local std::vector<float> inv;
    inv.resize(static_cast<size_t>(n_q));
    for (int64_t m = 0; m < n_q; ++m) {
      float* row = s.data() + m * n_keys;
      const int64_t visible = pos0 + t0 + m / group + 1;
      inv[static_cast<size_t>(m)] = 1.0f / k.exp_sum(row, visible, k.max(row, visible));
      std::fill(row + visible, row + n_keys, 0.0f);
    }
    sum_fn(s.data(), n_keys, n_q, kv.v_row(layer, 0) + kv_off, kv.row_bytes(), n_keys, hd, outs.data());
    for (int64_t m = 0; m < n_q; ++m) {
      float* o = outs[static_cast<size_t>(m)];
      for (int64_t i = 0; i < hd; ++i) o[i] *= inv[static_cast<size_t>(m)];
    }
  };
  const size_t n_tasks = static_cast<size_t>(shape.n_head_kv * n_blocks);
  // Below ~100k multiply-adds a hand-off to the pool costs more than it saves.
  const int64_t work = n * shape.n_head * n_total * hd;
  if (!pool || pool->size() == 0 || work < 100000 || n_tasks == 1) {
    for (size_t i = 0; i < n_tasks; ++i) task(i);
  } else {
    parallel_run(pool, static_cast<int64_t>(n_tasks), [&](int64_t i) { task(static_cast<size_t>(i)); });
  }
}

}  // namespace anvil::engine
