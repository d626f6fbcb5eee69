// The decoder operators (engine/ops.h) against direct double-precision computations, and the
// AVX2 inner loops against the portable ones on odd sizes.
#include <gtest/gtest.h>

#include <cmath>
#include <random>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/fp16.h"
#include "anvil/engine/kv_cache.h"
#include "anvil/engine/ops.h"
#include "anvil/engine/ops_kernels.h"

namespace anvil::engine {
namespace {

std::vector<float> random_vector(size_t n, uint32_t seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> dist(0.0f, scale);
  std::vector<float> v(n);
  for (float& x : v) x = dist(rng);
  return v;
}

TEST(LlamaOps, RmsNormMatchesDouble) {
  const int64_t n = 3, d = 37;
  const auto x = random_vector(n * d, 1, 2.0f);
  const auto w = random_vector(d, 2);
  std::vector<float> out(n * d);
  rmsnorm(x.data(), w.data(), n, d, 1e-5f, out.data());
  for (int64_t r = 0; r < n; ++r) {
    double ss = 0;
    for (int64_t i = 0; i < d; ++i) ss += double(x[r * d + i]) * x[r * d + i];
    const double scale = 1.0 / std::sqrt(ss / d + 1e-5);
    for (int64_t i = 0; i < d; ++i) {
      EXPECT_NEAR(out[r * d + i], x[r * d + i] * scale * w[i], 1e-5) << r << "," << i;
    }
  }
}

TEST(LlamaOps, SoftmaxMatchesDouble) {
  auto x = random_vector(29, 3, 5.0f);
  const auto orig = x;
  softmax(x.data(), static_cast<int64_t>(x.size()));
  double max = orig[0], sum = 0;
  for (float v : orig) max = std::max<double>(max, v);
  for (float v : orig) sum += std::exp(v - max);
  for (size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], std::exp(orig[i] - max) / sum, 1e-6);
}

TEST(LlamaOps, SiluMulMatchesDoubleIncludingLargeInputs) {
  std::vector<float> g = {-100.0f, -20.0f, -1.5f, -0.1f, 0.0f, 0.3f, 1.0f, 4.0f, 20.0f, 90.0f, -88.5f};
  std::vector<float> u(g.size());
  for (size_t i = 0; i < u.size(); ++i) u[i] = 0.5f + 0.25f * i;
  const auto g0 = g;
  silu_mul(g.data(), u.data(), static_cast<int64_t>(g.size()), nullptr);
  for (size_t i = 0; i < g.size(); ++i) {
    const double expect = g0[i] / (1.0 + std::exp(-double(g0[i]))) * u[i];
    EXPECT_NEAR(g[i], expect, 1e-6 * std::max(1.0, std::abs(expect))) << g0[i];
  }
}

TEST(LlamaOps, RopeNormalRotatesAdjacentPairs) {
  // head_dim 6, n_rot 4: pairs (0,1) and (2,3) rotate, dims 4 and 5 pass through.
  RopeParams p{6, 4, RopeType::kNormal, 100.0f, 1.0f, nullptr};
  std::vector<float> cs(2 * 2 * 2);
  rope_angles(p, 2, 2, cs.data());  // positions 2 and 3
  // theta(p, i) = p * 100^(-2i/4): i=0 -> p, i=1 -> p / 10
  EXPECT_FLOAT_EQ(cs[0], std::cos(2.0f));
  EXPECT_FLOAT_EQ(cs[1], std::sin(2.0f));
  EXPECT_FLOAT_EQ(cs[2], static_cast<float>(std::cos(0.2)));
  EXPECT_FLOAT_EQ(cs[7], static_cast<float>(std::sin(0.3)));
  std::vector<float> x = {1, 2, 3, 4, 5, 6};  // one token (position 2), one head
  rope(p, cs.data(), 1, 1, x.data());
  const double c0 = std::cos(2.0), s0 = std::sin(2.0), c1 = std::cos(0.2), s1 = std::sin(0.2);
  EXPECT_NEAR(x[0], 1 * c0 - 2 * s0, 1e-6);
  EXPECT_NEAR(x[1], 1 * s0 + 2 * c0, 1e-6);
  EXPECT_NEAR(x[2], 3 * c1 - 4 * s1, 1e-6);
  EXPECT_NEAR(x[3], 3 * s1 + 4 * c1, 1e-6);
  EXPECT_EQ(x[4], 5);
  EXPECT_EQ(x[5], 6);
}

TEST(LlamaOps, RopeNeoxRotatesHalves) {
  // n_rot 4 of head_dim 4: pairs (0,2) and (1,3); two heads share the angles of their token.
  RopeParams p{4, 4, RopeType::kNeox, 100.0f, 1.0f, nullptr};
  std::vector<float> cs(4);
  rope_angles(p, 1, 1, cs.data());
  std::vector<float> x = {1, 2, 3, 4, -1, -2, -3, -4};
  rope(p, cs.data(), 1, 2, x.data());
  const double c0 = std::cos(1.0), s0 = std::sin(1.0), c1 = std::cos(0.1), s1 = std::sin(0.1);
  for (int head = 0; head < 2; ++head) {
    const double sign = head == 0 ? 1 : -1;
    const float* v = x.data() + head * 4;
    EXPECT_NEAR(v[0], sign * (1 * c0 - 3 * s0), 1e-6);
    EXPECT_NEAR(v[2], sign * (1 * s0 + 3 * c0), 1e-6);
    EXPECT_NEAR(v[1], sign * (2 * c1 - 4 * s1), 1e-6);
    EXPECT_NEAR(v[3], sign * (2 * s1 + 4 * c1), 1e-6);
  }
}

TEST(LlamaOps, RopeLinearScalingAndFrequencyFactors) {
  const float factors[2] = {1.0f, 4.0f};
  RopeParams p{4, 4, RopeType::kNormal, 100.0f, 0.5f, factors};
  std::vector<float> cs(4);
  rope_angles(p, 6, 1, cs.data());
  // position 6 scaled to 3; i=1: 3 * 100^(-1/2) / 4 = 0.075
  EXPECT_FLOAT_EQ(cs[0], static_cast<float>(std::cos(3.0)));
  EXPECT_FLOAT_EQ(cs[3], static_cast<float>(std::sin(0.075)));
}

// The attention of one head computed directly in double, from f32 keys and values.
std::vector<double> naive_attention(const std::vector<float>& q, const std::vector<float>& k,
                                    const std::vector<float>& v, const AttentionShape& s,
                                    int64_t pos0, int64_t n) {
  const int64_t hd = s.head_dim, q_dim = s.n_head * hd, kv_dim = s.n_head_kv * hd;
  std::vector<double> out(static_cast<size_t>(n * q_dim));
  for (int64_t t = 0; t < n; ++t) {
    for (int64_t h = 0; h < s.n_head; ++h) {
      const int64_t kvh = h / (s.n_head / s.n_head_kv);
      const int64_t n_keys = pos0 + t + 1;
      std::vector<double> w(static_cast<size_t>(n_keys));
      double max = -1e300, sum = 0;
      for (int64_t j = 0; j < n_keys; ++j) {
        double dot = 0;
        for (int64_t i = 0; i < hd; ++i) dot += double(q[t * q_dim + h * hd + i]) * k[j * kv_dim + kvh * hd + i];
        w[j] = dot / std::sqrt(double(hd));
        max = std::max(max, w[j]);
      }
      for (auto& x : w) sum += (x = std::exp(x - max));
      for (int64_t i = 0; i < hd; ++i) {
        double acc = 0;
        for (int64_t j = 0; j < n_keys; ++j) acc += w[j] * v[j * kv_dim + kvh * hd + i];
        out[t * q_dim + h * hd + i] = acc / sum;
      }
    }
  }
  return out;
}

struct AttentionCase {
  GgmlType kv_type;
  int64_t head_dim;
  int64_t pos0;
  int64_t n;
  bool threads;
};

class LlamaAttention : public ::testing::TestWithParam<AttentionCase> {};

TEST_P(LlamaAttention, MatchesNaiveCausalGqa) {
  const AttentionCase c = GetParam();
  const AttentionShape s{6, 2, c.head_dim};  // 3 query heads per KV head
  const int64_t total = c.pos0 + c.n, kv_dim = s.n_head_kv * c.head_dim;
  auto cache = KvCache::create(2, total + 3, kv_dim, c.kv_type);
  ASSERT_TRUE(cache.ok()) << cache.status().to_string();
  auto k = random_vector(total * kv_dim, 10, 1.5f);
  auto v = random_vector(total * kv_dim, 11);
  if (c.kv_type == GgmlType::kF16) {  // the reference sees what the cache holds
    for (auto* arr : {&k, &v}) {
      for (float& x : *arr) x = fp16_to_fp32(fp32_to_fp16(x));
    }
  }
  // Layer 1 written in two parts (as prefill then decode would); layer 0 holds other values.
  (*cache)->write(1, 0, c.pos0, k.data(), v.data());
  (*cache)->write(1, c.pos0, c.n, k.data() + c.pos0 * kv_dim, v.data() + c.pos0 * kv_dim);
  const auto junk = random_vector(total * kv_dim, 12);
  (*cache)->write(0, 0, total, junk.data(), junk.data());
  const auto q = random_vector(c.n * s.n_head * c.head_dim, 13, 1.5f);
  const auto expect = naive_attention(q, k, v, s, c.pos0, c.n);
  core::ThreadPool pool(1);
  for (CpuLevel level : {CpuLevel::kAvx512, CpuLevel::kAvx2, CpuLevel::kPortable}) {
    if (level > detected_cpu_level()) continue;
    set_cpu_level(level);
    std::vector<float> out(q.size(), -7.0f);
    attention(s, q.data(), **cache, 1, c.pos0, c.n, out.data(), c.threads ? &pool : nullptr);
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_NEAR(out[i], expect[i], 2e-5) << i << " with " << ops_kernels_name();
    }
  }
  set_cpu_level(std::nullopt);
}

INSTANTIATE_TEST_SUITE_P(
    Llama, LlamaAttention,
    ::testing::Values(AttentionCase{GgmlType::kF32, 16, 0, 1, false},
                      AttentionCase{GgmlType::kF32, 64, 0, 37, true},   // prefill, > one row block
                      AttentionCase{GgmlType::kF32, 64, 40, 1, true},   // decode after a prefix
                      AttentionCase{GgmlType::kF32, 20, 5, 9, false},   // head_dim not a multiple of 8
                      AttentionCase{GgmlType::kF16, 64, 30, 21, true},
                      AttentionCase{GgmlType::kF16, 12, 3, 4, false}));

// Every vectorized inner loop equals the portable one (to rounding) on sizes around the vector
// widths (8 and 16 lanes) and query counts around the 4-query tiles.
struct KernelLevel {
  CpuLevel level;
  const ops_detail::OpsKernels* (*get)();
};

class LlamaOpsKernels : public ::testing::TestWithParam<KernelLevel> {};

TEST_P(LlamaOpsKernels, MatchPortable) {
  if (detected_cpu_level() < GetParam().level) GTEST_SKIP() << "the CPU lacks this level";
  const ops_detail::OpsKernels* fast = GetParam().get();
  const ops_detail::OpsKernels& ref = ops_detail::portable_ops();
  for (int64_t d : {1, 3, 8, 12, 16, 31, 32, 64, 67, 80, 128}) {
    for (int64_t n : {1, 3, 4, 9, 33}) {
      for (int64_t n_q : {1, 3, 4, 7, 9}) {
        const size_t stride_elems = static_cast<size_t>(d + 5);  // rows padded as cache rows are
        const auto qv = random_vector(n_q * d, 20 + d);
        std::vector<const float*> q(n_q);
        for (int64_t m = 0; m < n_q; ++m) q[m] = qv.data() + m * d;
        const auto rows = random_vector(n * stride_elems, 21 + n);
        std::vector<uint16_t> rows16(rows.size());
        for (size_t i = 0; i < rows.size(); ++i) rows16[i] = fp32_to_fp16(rows[i]);
        const auto* r32 = reinterpret_cast<const uint8_t*>(rows.data());
        const auto* r16 = reinterpret_cast<const uint8_t*>(rows16.data());
        const int64_t ld = n + 2;
        std::vector<float> s1(n_q * ld), s2(n_q * ld);
        const std::string where = "d " + std::to_string(d) + " n " + std::to_string(n) + " queries " + std::to_string(n_q);
        ref.scores_f32(q.data(), n_q, r32, stride_elems * 4, n, d, 0.5f, s1.data(), ld);
        fast->scores_f32(q.data(), n_q, r32, stride_elems * 4, n, d, 0.5f, s2.data(), ld);
        for (int64_t m = 0; m < n_q; ++m) {
          for (int64_t j = 0; j < n; ++j) ASSERT_NEAR(s1[m * ld + j], s2[m * ld + j], 1e-5 * d) << where;
        }
        ref.scores_f16(q.data(), n_q, r16, stride_elems * 2, n, d, 0.5f, s1.data(), ld);
        fast->scores_f16(q.data(), n_q, r16, stride_elems * 2, n, d, 0.5f, s2.data(), ld);
        for (int64_t m = 0; m < n_q; ++m) {
          for (int64_t j = 0; j < n; ++j) ASSERT_NEAR(s1[m * ld + j], s2[m * ld + j], 1e-5 * d) << where;
        }
        const auto w = random_vector(n_q * ld, 22);
        std::vector<float> o1(n_q * d), o2(n_q * d);
        std::vector<float*> out1(n_q), out2(n_q);
        for (int64_t m = 0; m < n_q; ++m) {
          out1[m] = o1.data() + m * d;
          out2[m] = o2.data() + m * d;
        }
        ref.weighted_sum_f32(w.data(), ld, n_q, r32, stride_elems * 4, n, d, out1.data());
        fast->weighted_sum_f32(w.data(), ld, n_q, r32, stride_elems * 4, n, d, out2.data());
        for (size_t i = 0; i < o1.size(); ++i) ASSERT_NEAR(o1[i], o2[i], 1e-5 * n) << where;
        ref.weighted_sum_f16(w.data(), ld, n_q, r16, stride_elems * 2, n, d, out1.data());
        fast->weighted_sum_f16(w.data(), ld, n_q, r16, stride_elems * 2, n, d, out2.data());
        for (size_t i = 0; i < o1.size(); ++i) ASSERT_NEAR(o1[i], o2[i], 1e-5 * n) << where;
      }
    }
    const auto a = random_vector(d, 30), b = random_vector(d, 31);
    EXPECT_NEAR(ref.dot(a.data(), b.data(), d), fast->dot(a.data(), b.data(), d), 1e-5 * d);
    auto x1 = random_vector(d, 32, 30.0f), x2 = x1;
    EXPECT_EQ(ref.max(x1.data(), d), fast->max(x1.data(), d));
    const float s1 = ref.exp_sum(x1.data(), d, 40.0f), s2 = fast->exp_sum(x2.data(), d, 40.0f);
    EXPECT_NEAR(s1, s2, 1e-6 * std::abs(s1) + 1e-30);
    for (int64_t i = 0; i < d; ++i) EXPECT_NEAR(x1[i], x2[i], 1e-6 * x1[i] + 1e-37);
    auto g1 = random_vector(d, 33, 10.0f), g2 = g1;
    const auto u = random_vector(d, 34);
    ref.silu_mul(g1.data(), u.data(), d);
    fast->silu_mul(g2.data(), u.data(), d);
    for (int64_t i = 0; i < d; ++i) EXPECT_NEAR(g1[i], g2[i], 1e-6 * std::max(1.0f, std::abs(g1[i])));
  }
}

INSTANTIATE_TEST_SUITE_P(Llama, LlamaOpsKernels,
                         ::testing::Values(KernelLevel{CpuLevel::kAvx2, ops_detail::avx2_ops},
                                           KernelLevel{CpuLevel::kAvx512, ops_detail::avx512_ops}),
                         [](const auto& p) { return std::string(cpu_level_name(p.param.level)); });

TEST(LlamaKvCache, StoresRowsF32ExactlyAndF16Rounded) {
  auto c32 = KvCache::create(2, 8, 3, GgmlType::kF32);
  auto c16 = KvCache::create(2, 8, 3, GgmlType::kF16);
  ASSERT_TRUE(c32.ok() && c16.ok());
  EXPECT_EQ((*c32)->bytes(), 2u * 2 * 8 * 3 * 4);
  EXPECT_EQ((*c16)->bytes_per_position(), 2u * 2 * 3 * 2);
  const std::vector<float> k = {0.1f, 0.2f, 0.3f, 1.1f, 1.2f, 1.3f};
  const std::vector<float> v = {-0.1f, -0.2f, -0.3f, -1.1f, -1.2f, -1.3f};
  (*c32)->write(1, 4, 2, k.data(), v.data());
  (*c16)->write(1, 4, 2, k.data(), v.data());
  const auto* k5 = reinterpret_cast<const float*>((*c32)->k_row(1, 5));
  const auto* v4 = reinterpret_cast<const float*>((*c32)->v_row(1, 4));
  EXPECT_EQ(k5[2], 1.3f);
  EXPECT_EQ(v4[0], -0.1f);
  const auto* h5 = reinterpret_cast<const uint16_t*>((*c16)->k_row(1, 5));
  EXPECT_EQ(h5[1], fp32_to_fp16(1.2f));
}

TEST(LlamaKvCache, RejectsOtherTypesAndSizes) {
  auto bad = KvCache::create(2, 8, 32, GgmlType::kQ8_0);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "KV cache type must be f32 or f16, found q8_0");
  auto empty = KvCache::create(2, 0, 32, GgmlType::kF32);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(),
            "KV cache needs positive sizes, found 2 layers, context 0, row width 32");
}

}  // namespace
}  // namespace anvil::engine
