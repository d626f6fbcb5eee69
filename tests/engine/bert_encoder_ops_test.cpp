// The encoder's element-wise ops and packed non-causal attention against plain double-precision
// formulas: exp/erf approximations within their stated bounds, layer norm on rows with a large
// common offset, attention restricted to each sequence, identical results with and without a pool;
// GELU and attention on every kernel path the CPU has (portable, AVX2, AVX-512).
#include <cmath>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/encoder_ops.h"

namespace anvil::engine {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f, float offset = 0.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = offset + dist(rng);
  return v;
}

// The kernel levels this CPU can run, lowest first.
std::vector<CpuLevel> kernel_levels() {
  std::vector<CpuLevel> out = {CpuLevel::kPortable};
  if (detected_cpu_level() >= CpuLevel::kAvx2) out.push_back(CpuLevel::kAvx2);
  if (detected_cpu_level() >= CpuLevel::kAvx512) out.push_back(CpuLevel::kAvx512);
  return out;
}

// Forces a kernel level for the scope.
class ScopedCpuLevel {
 public:
  explicit ScopedCpuLevel(CpuLevel level) { set_cpu_level(level); }
  ~ScopedCpuLevel() { set_cpu_level(std::nullopt); }
};

TEST(BertEncoderOps, ExpIsAccurateOverItsRange) {
  double worst = 0;
  for (float x = -87.0f; x <= 0.0f; x += 0.0137f) {
    const double want = std::exp(static_cast<double>(x));
    worst = std::max(worst, std::fabs(fast_exp_nonpositive(x) - want) / want);
  }
  EXPECT_LT(worst, 3e-7);
  EXPECT_EQ(fast_exp_nonpositive(0.0f), 1.0f);
  EXPECT_EQ(fast_exp_nonpositive(-100.0f), 0.0f);
  EXPECT_EQ(fast_exp_nonpositive(-INFINITY), 0.0f);
}

TEST(BertEncoderOps, ErfIsWithinThreeTenMillionths) {
  double worst = 0;
  for (float x = -8.0f; x <= 8.0f; x += 0.00131f) {
    worst = std::max(worst, std::fabs(fast_erf(x) - std::erf(static_cast<double>(x))));
  }
  EXPECT_LT(worst, 3.5e-7);
  EXPECT_EQ(fast_erf(10.0f), 1.0f);
  EXPECT_EQ(fast_erf(-10.0f), -1.0f);
}

TEST(BertEncoderOps, GeluIsTheErfFormNotTheTanhApproximation) {
  std::vector<float> x = random_vector(4099, 1, 3.0f);  // odd length: the vector loop's tail
  x[0] = 0.0f;
  x[1] = 0.3f;   // the series side of the erf
  x[2] = -12.0f;  // erf saturates
  x[3] = 9.0f;
  for (CpuLevel level : kernel_levels()) {
    ScopedCpuLevel scoped(level);
    std::vector<float> y = x;
    core::ThreadPool pool(1);
    gelu_erf_in_place(y.data(), static_cast<int64_t>(y.size()), &pool);
    for (size_t i = 0; i < x.size(); ++i) {
      const double v = x[i];
      const double want = 0.5 * v * (1.0 + std::erf(v / std::sqrt(2.0)));
      ASSERT_NEAR(y[i], want, 3e-7 * std::max(1.0, std::fabs(v)))
          << "x = " << v << ", " << cpu_level_name(level);
    }
    // Lengths below one vector.
    std::vector<float> few = {1.0f, -1.0f, 2.0f};
    gelu_erf_in_place(few.data(), 3, nullptr);
    EXPECT_NEAR(few[0], 0.8413447460685429, 2e-7) << cpu_level_name(level);
    EXPECT_NEAR(few[1], -0.15865525393145707, 2e-7) << cpu_level_name(level);
    EXPECT_NEAR(few[2], 1.9544997361036416, 4e-7) << cpu_level_name(level);
  }
  // At x = 1 the tanh approximation differs from the erf form by about 1.6e-4.
  const double tanh_form = 0.5 * (1 + std::tanh(std::sqrt(2 / M_PI) * (1 + 0.044715)));
  EXPECT_GT(std::fabs(gelu_erf(1.0f) - tanh_form), 1e-4);
  EXPECT_NEAR(gelu_erf(1.0f), 0.8413447460685429, 1e-7);
}

TEST(BertEncoderOps, LayerNormMatchesDoublePrecisionOnOffsetRows) {
  const int64_t rows = 70, n = 384;
  // A common offset of 1000 makes a one-pass float variance lose most of its digits.
  std::vector<float> x = random_vector(static_cast<size_t>(rows * n), 2, 1.0f, 1000.0f);
  std::vector<float> w = random_vector(static_cast<size_t>(n), 3, 0.1f, 1.0f);
  std::vector<float> b = random_vector(static_cast<size_t>(n), 4, 0.1f);
  for (CpuLevel level : kernel_levels()) {
    ScopedCpuLevel scoped(level);
    std::vector<float> y = x;
    core::ThreadPool pool(1);
    layer_norm(y.data(), rows, n, w.data(), b.data(), 1e-12f, &pool);
    for (int64_t r = 0; r < rows; ++r) {
      double mean = 0, var = 0;
      for (int64_t i = 0; i < n; ++i) mean += x[static_cast<size_t>(r * n + i)];
      mean /= n;
      for (int64_t i = 0; i < n; ++i) {
        const double d = x[static_cast<size_t>(r * n + i)] - mean;
        var += d * d;
      }
      var /= n;
      for (int64_t i = 0; i < n; ++i) {
        const auto k = static_cast<size_t>(r * n + i);
        const double want = (x[k] - mean) / std::sqrt(var + 1e-12) * w[static_cast<size_t>(i)] +
                            b[static_cast<size_t>(i)];
        ASSERT_NEAR(y[k], want, 2e-4) << "row " << r << " column " << i << ", "
                                      << cpu_level_name(level);
      }
    }
  }
}

TEST(BertEncoderOps, ResidualLayerNormIsAddThenNorm) {
  const int64_t rows = 5, n = 33;
  std::vector<float> x = random_vector(static_cast<size_t>(rows * n), 5);
  std::vector<float> y = random_vector(static_cast<size_t>(rows * n), 6);
  std::vector<float> bias = random_vector(static_cast<size_t>(n), 7);
  std::vector<float> w = random_vector(static_cast<size_t>(n), 8, 0.1f, 1.0f);
  std::vector<float> b = random_vector(static_cast<size_t>(n), 9, 0.1f);
  std::vector<std::vector<float>> per_level;
  for (CpuLevel level : kernel_levels()) {
    ScopedCpuLevel scoped(level);
    std::vector<float> fused = x;
    residual_layer_norm(fused.data(), y.data(), bias.data(), rows, n, w.data(), b.data(), 1e-5f,
                        nullptr);
    std::vector<float> separate = x;
    add_in_place(separate.data(), y.data(), rows * n, nullptr);
    add_bias(separate.data(), rows, n, bias.data(), nullptr);
    layer_norm(separate.data(), rows, n, w.data(), b.data(), 1e-5f, nullptr);
    for (size_t i = 0; i < fused.size(); ++i) {
      ASSERT_NEAR(fused[i], separate[i], 1e-5) << i << ", " << cpu_level_name(level);
    }
    per_level.push_back(fused);
  }
  // n = 33: the AVX2 path's 8-wide loops and their tails agree with the portable code.
  for (size_t l = 1; l < per_level.size(); ++l) {
    for (size_t i = 0; i < per_level[0].size(); ++i) ASSERT_NEAR(per_level[l][i], per_level[0][i], 1e-5);
  }
}

// Attention of every sequence and head in double, straight from the definition: [rows, n_head * hd]
// like q, k and v.
std::vector<double> naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, int64_t n_head, int64_t hd, double scale,
                                    const std::vector<SequenceSpan>& seqs) {
  const int64_t stride = n_head * hd;
  std::vector<double> out(q.size(), 0.0);
  for (const SequenceSpan& s : seqs) {
    for (int64_t h = 0; h < n_head; ++h) {
      for (int64_t i = 0; i < s.length; ++i) {
        std::vector<double> p(static_cast<size_t>(s.length));
        double mx = -1e300, sum = 0;
        for (int64_t j = 0; j < s.length; ++j) {
          double dot = 0;
          for (int64_t d = 0; d < hd; ++d) {
            dot += static_cast<double>(q[static_cast<size_t>((s.start + i) * stride + h * hd + d)]) *
                   k[static_cast<size_t>((s.start + j) * stride + h * hd + d)];
          }
          p[static_cast<size_t>(j)] = dot * scale;
          mx = std::max(mx, dot * scale);
        }
        for (double& x : p) sum += (x = std::exp(x - mx));
        for (int64_t d = 0; d < hd; ++d) {
          double acc = 0;
          for (int64_t j = 0; j < s.length; ++j) {
            acc += p[static_cast<size_t>(j)] / sum *
                   v[static_cast<size_t>((s.start + j) * stride + h * hd + d)];
          }
          out[static_cast<size_t>((s.start + i) * stride + h * hd + d)] = acc;
        }
      }
    }
  }
  return out;
}

TEST(BertEncoderOps, AttentionStaysInsideEachSequence) {
  // head_dim 12: one full vector and a 4-wide tail on the AVX2 path, the scalar tail alone on
  // AVX-512; sequences of 1 to 37 rows cover the 4-row blocks, the partial vectors of keys and the
  // 32-key padding.
  const int64_t n_head = 3, hd = 12, stride = n_head * hd;
  const std::vector<SequenceSpan> seqs = {{0, 1}, {1, 5}, {6, 17}, {23, 2}, {25, 37}};
  const int64_t T = 62;
  const auto n = static_cast<size_t>(T * stride);
  std::vector<float> q = random_vector(n, 10, 2.0f), k = random_vector(n, 11, 2.0f),
                     v = random_vector(n, 12);
  const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
  const std::vector<double> want = naive_attention(q, k, v, n_head, hd, scale, seqs);
  for (CpuLevel level : kernel_levels()) {
    ScopedCpuLevel scoped(level);
    std::vector<float> out(n, -7.0f);
    encoder_attention(q.data(), k.data(), v.data(), n_head, hd, scale, seqs, out.data(), nullptr);
    for (size_t i = 0; i < n; ++i) {
      ASSERT_NEAR(out[i], want[i], 1e-5) << "element " << i << ", " << cpu_level_name(level);
    }
    // A one-token sequence attends only to itself: its output is its own value row.
    for (int64_t d = 0; d < stride; ++d) {
      EXPECT_FLOAT_EQ(out[static_cast<size_t>(d)], v[static_cast<size_t>(d)]);
    }
    // Changing the keys of one sequence leaves every other sequence's output unchanged.
    std::vector<float> k2 = k;
    for (int64_t t = 1; t < 6; ++t) k2[static_cast<size_t>(t * stride)] += 5.0f;
    std::vector<float> out2(n, -7.0f);
    encoder_attention(q.data(), k2.data(), v.data(), n_head, hd, scale, seqs, out2.data(),
                      nullptr);
    for (int64_t t = 0; t < T; ++t) {
      if (t >= 1 && t < 6) continue;
      for (int64_t d = 0; d < hd; ++d) {  // head 0, where the keys changed
        const auto i = static_cast<size_t>(t * stride + d);
        ASSERT_EQ(out2[i], out[i]) << "token " << t << ", " << cpu_level_name(level);
      }
    }
  }
}

TEST(BertEncoderOps, AttentionOnRealHeadSizes) {
  // bge-small (32), bge-base/large (64), and 128 (two blocks of 64 columns).
  for (int64_t hd : {32, 64, 128}) {
    const int64_t n_head = 2, stride = n_head * hd;
    const std::vector<SequenceSpan> seqs = {{0, 40}, {40, 9}};
    const auto n = static_cast<size_t>(49 * stride);
    std::vector<float> q = random_vector(n, 20, 1.5f), k = random_vector(n, 21, 1.5f),
                       v = random_vector(n, 22);
    const float scale = 1.0f / std::sqrt(static_cast<float>(hd));
    const std::vector<double> want = naive_attention(q, k, v, n_head, hd, scale, seqs);
    for (CpuLevel level : kernel_levels()) {
      ScopedCpuLevel scoped(level);
      std::vector<float> out(n);
      encoder_attention(q.data(), k.data(), v.data(), n_head, hd, scale, seqs, out.data(), nullptr);
      for (size_t i = 0; i < n; ++i) {
        ASSERT_NEAR(out[i], want[i], 1e-5) << "head_dim " << hd << ", " << cpu_level_name(level);
      }
    }
  }
}

TEST(BertEncoderOps, AttentionOnAPoolEqualsSingleThreaded) {
  const int64_t n_head = 4, hd = 16, stride = n_head * hd;
  const std::vector<SequenceSpan> seqs = {{0, 40}, {40, 3}, {43, 64}};
  const auto n = static_cast<size_t>(107 * stride);
  std::vector<float> q = random_vector(n, 13), k = random_vector(n, 14), v = random_vector(n, 15);
  std::vector<float> a(n), b(n);
  encoder_attention(q.data(), k.data(), v.data(), n_head, hd, 0.25f, seqs, a.data(), nullptr);
  core::ThreadPool pool(3);
  encoder_attention(q.data(), k.data(), v.data(), n_head, hd, 0.25f, seqs, b.data(), &pool);
  EXPECT_EQ(a, b);
}

TEST(BertEncoderOps, L2NormalizeRows) {
  std::vector<float> x = {3, 4, 0, 0, 1, 0};
  l2_normalize_rows(x.data(), 3, 2);
  EXPECT_EQ(x, (std::vector<float>{0.6f, 0.8f, 0, 0, 1, 0}));
}

}  // namespace
}  // namespace anvil::engine
