// matmul / get_rows on every kernel path the CPU offers (portable, avx2, avx512 forced with
// set_cpu_level), every weight type, and odd shapes, against a double-precision product of the
// reference-dequantized weights and the activations. Error bounds per path (derivations in
// docs/QUANTIZATION.md, "Accuracy"), on top of f32 accumulation (1e-5 * sum |w x| + 1e-6):
//   int8 activations (quantized rows):   sum_i |w_i| * amax(x in its 32-block) / 254, * 1.01
//   AMX bf16 panels (weights and activations rounded to bf16): 2^-7 * sum |w x|
// and, tighter, against the exact product of the operands each path really multiplies.
#include "anvil/engine/matmul.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/parallel.h"
#include "anvil/engine/quants.h"

namespace anvil::engine {
namespace {

using kernels::MatmulPath;

constexpr GgmlType kTypes[] = {
    GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ4_1,
    GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K, GgmlType::kQ3_K,
    GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K};

std::vector<CpuLevel> available_levels() {
  std::vector<CpuLevel> out = {CpuLevel::kPortable};
  if (detected_cpu_level() >= CpuLevel::kAvx2) out.push_back(CpuLevel::kAvx2);
  if (detected_cpu_level() >= CpuLevel::kAvx512) out.push_back(CpuLevel::kAvx512);
  return out;
}

// Restores the environment's level when a test ends.
struct LevelGuard {
  ~LevelGuard() { set_cpu_level(std::nullopt); }
};

const char* path_name(MatmulPath p) {
  switch (p) {
    case MatmulPath::kPortable: return "portable";
    case MatmulPath::kFloatRows: return "float rows";
    case MatmulPath::kQuantRows: return "int8 rows";
    case MatmulPath::kPanel: return "f32 panel";
    case MatmulPath::kPanelAmx: return "amx bf16 panel";
  }
  return "?";
}

struct Weights {
  GgmlType type;
  int64_t n_in, n_out;
  std::vector<uint8_t> data;
  std::vector<float> deq;  // reference dequantization [n_out][n_in]
  MatrixView view() const { return {type, data.data(), n_in, n_out, ggml_row_size(type, n_in)}; }
};

Weights make_weights(GgmlType type, int64_t n_in, int64_t n_out, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  Weights w{type, n_in, n_out, {}, {}};
  const size_t rb = ggml_row_size(type, n_in);
  w.data.resize(rb * static_cast<size_t>(n_out));
  w.deq.resize(static_cast<size_t>(n_in * n_out));
  std::vector<float> row(static_cast<size_t>(n_in));
  for (int64_t o = 0; o < n_out; ++o) {
    for (auto& v : row) v = nd(rng);
    row[static_cast<size_t>(o % n_in)] = 0.4f;  // an outlier per row
    quantize_row(type, row.data(), w.data.data() + rb * static_cast<size_t>(o), n_in);
    dequantize_row(type, w.data.data() + rb * static_cast<size_t>(o), w.deq.data() + o * n_in, n_in);
  }
  return w;
}

std::vector<float> make_acts(int64_t n_tokens, int64_t n_in, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n_tokens * n_in));
  for (auto& v : x) v = nd(rng);
  for (int64_t t = 0; t < n_tokens; ++t) x[static_cast<size_t>(t * n_in + (t * 7) % n_in)] = 9.0f;  // outliers
  return x;
}

// The activations as the int8 paths see them: per `block` values, d = amax / 127 and
// x^ = d * round(x / d) (ties to even), codes clamped to [-127, 127].
std::vector<double> q8_emulated(const float* x, int64_t n, int block) {
  std::vector<double> out(static_cast<size_t>(n));
  for (int64_t b = 0; b < n; b += block) {
    float amax = 0;
    for (int64_t i = b; i < b + block; ++i) amax = std::max(amax, std::fabs(x[i]));
    const float d = amax / 127.0f;
    const float id = d != 0.0f ? 127.0f / amax : 0.0f;
    for (int64_t i = b; i < b + block; ++i) {
      const float q = std::clamp(std::nearbyint(x[i] * id), -127.0f, 127.0f);
      out[static_cast<size_t>(i)] = double(q) * double(d);
    }
  }
  return out;
}

double bf16_rounded(float v) {
  uint32_t u;
  std::memcpy(&u, &v, 4);
  u = (u + 0x7fffu + ((u >> 16) & 1u)) & 0xffff0000u;
  float r;
  std::memcpy(&r, &u, 4);
  return r;
}

// Two checks per output: (1) against the exact product of the values the path really
// multiplies (int8-rounded activations on the int8 paths, bf16-rounded operands on AMX), within
// f32 accumulation error,
// which catches any wrong scale or code; (2) against the exact product of the dequantized
// weights and the f32 activations, within the documented end-to-end bound of the path.
void check_matmul(const Weights& w, const std::vector<float>& x, int64_t n_tokens, core::ThreadPool* pool,
                  const std::string& what) {
  const MatmulPath path = kernels::matmul_path(w.type, w.n_in, n_tokens);
  std::vector<float> y(static_cast<size_t>(n_tokens * w.n_out), std::nanf(""));
  matmul(w.view(), x.data(), n_tokens, y.data(), pool);
  int failures = 0;
  for (int64_t t = 0; t < n_tokens && failures < 3; ++t) {
    const float* xt = x.data() + t * w.n_in;
    std::vector<double> xe(xt, xt + w.n_in);  // effective activations
    if (path == MatmulPath::kQuantRows) xe = q8_emulated(xt, w.n_in, 32);
    if (path == MatmulPath::kPanelAmx) {
      for (int64_t i = 0; i < w.n_in; ++i) xe[static_cast<size_t>(i)] = bf16_rounded(xt[i]);
    }
    std::vector<double> amax32(static_cast<size_t>((w.n_in + 31) / 32), 0.0);
    for (int64_t i = 0; i < w.n_in; ++i) {
      auto& m = amax32[static_cast<size_t>(i / 32)];
      m = std::max(m, std::fabs(double(xt[i])));
    }
    for (int64_t o = 0; o < w.n_out && failures < 3; ++o) {
      const float* wo = w.deq.data() + o * w.n_in;
      double ref = 0, abs_sum = 0, q8_bound = 0, eff = 0, eff_abs = 0;
      for (int64_t i = 0; i < w.n_in; ++i) {
        const size_t si = static_cast<size_t>(i);
        ref += double(wo[i]) * double(xt[i]);
        abs_sum += std::fabs(double(wo[i]) * double(xt[i]));
        q8_bound += std::fabs(double(wo[i])) * amax32[si / 32] / 254.0;
        const double we = path == MatmulPath::kPanelAmx ? bf16_rounded(wo[i]) : double(wo[i]);
        eff += we * xe[si];
        eff_abs += std::fabs(we * xe[si]);
      }
      const double got = y[static_cast<size_t>(t * w.n_out + o)];
      const double tight = 3e-5 * eff_abs + 1e-6;
      double loose = 1e-5 * abs_sum + 1e-6;
      if (path == MatmulPath::kQuantRows) loose += 1.01 * q8_bound;
      if (path == MatmulPath::kPanelAmx) loose += 0x1p-7 * abs_sum;  // both operands rounded to bf16
      if (!(std::fabs(got - eff) <= tight) || !(std::fabs(got - ref) <= loose)) {
        ADD_FAILURE() << what << " path " << path_name(path) << " token " << t << " row " << o << ": got " << got
                      << ", exact product of the path's operands " << eff << " (tolerance " << tight
                      << "), of the f32 inputs " << ref << " (tolerance " << loose << ")";
        ++failures;
      }
    }
  }
}

std::vector<int64_t> n_in_choices(GgmlType t) {
  const int64_t bs = ggml_traits(t).block_size;
  if (bs == 1) return {37, 160};          // float types: vector tails
  // 3 blocks (shorter than one 4-block group of the AVX-512 q4_0 kernel), 7 (odd: a single-block
  // tail for the pair kernels, a 3-block group after a full one for q4_0) and 24.
  if (bs == 32) return {96, 224, 768};
  return {256, 768};
}

class MatmulByType : public ::testing::TestWithParam<GgmlType> {};

TEST_P(MatmulByType, EveryPathMatchesDoublePrecision) {
  LevelGuard guard;
  const GgmlType type = GetParam();
  core::ThreadPool pool(2);
  uint32_t seed = 100;
  for (int64_t n_in : n_in_choices(type)) {
    for (int64_t n_out : {1, 37, 70}) {
      const Weights w = make_weights(type, n_in, n_out, seed++);
      for (int64_t n_tokens : {1, 3, 17, 45, 64}) {
        const auto x = make_acts(n_tokens, n_in, seed++);
        for (CpuLevel level : available_levels()) {
          set_cpu_level(level);
          const std::string what = std::string(ggml_type_name(type)) + " " + std::string(cpu_level_name(level)) +
                                   " n_in=" + std::to_string(n_in) + " n_out=" + std::to_string(n_out) +
                                   " tokens=" + std::to_string(n_tokens);
          check_matmul(w, x, n_tokens, nullptr, what);
          check_matmul(w, x, n_tokens, &pool, what + " (3 threads)");
        }
      }
    }
  }
}

TEST_P(MatmulByType, GetRowsIsExactDequantization) {
  LevelGuard guard;
  const GgmlType type = GetParam();
  const int64_t n_in = n_in_choices(type).back();
  const Weights w = make_weights(type, n_in, 9, 7);
  const int32_t ids[] = {3, 0, 8, 3};
  for (CpuLevel level : available_levels()) {
    set_cpu_level(level);
    std::vector<float> out(4 * static_cast<size_t>(n_in));
    get_rows(w.view(), ids, 4, out.data());
    for (int j = 0; j < 4; ++j) {
      ASSERT_EQ(std::memcmp(out.data() + j * n_in, w.deq.data() + ids[j] * n_in, static_cast<size_t>(n_in) * 4), 0)
          << ggml_type_name(type) << " " << cpu_level_name(level) << " id " << ids[j];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, MatmulByType, ::testing::ValuesIn(kTypes),
                         [](const auto& param_info) { return std::string(ggml_type_name(param_info.param)); });

// The SIMD dequantizers against the reference on arbitrary bit patterns (not just what the
// quantizers produce): every code, every packed scale.
TEST(MatmulDequantizers, BitExactOnRandomBlocks) {
  if (detected_cpu_level() < CpuLevel::kAvx2) GTEST_SKIP() << "no AVX2";
  std::mt19937 rng(5);
  for (GgmlType type : kTypes) {
    const auto fn = kernels::avx2_dequantizer(type);
    if (fn == nullptr) continue;
    const int64_t n = 256 * 8;
    std::vector<uint8_t> data(ggml_row_size(type, n));
    for (auto& b : data) b = static_cast<uint8_t>(rng());
    // Keep f16/bf16 values and block scales finite so that NaN payloads do not matter.
    if (type == GgmlType::kF16 || type == GgmlType::kBF16) {
      for (size_t i = 1; i < data.size(); i += 2) data[i] &= 0x3F;
    }
    std::vector<float> want(static_cast<size_t>(n)), got(static_cast<size_t>(n));
    dequantize_row(type, data.data(), want.data(), n);
    fn(data.data(), got.data(), n);
    for (int64_t i = 0; i < n; ++i) {
      ASSERT_EQ(std::memcmp(&want[i], &got[i], 4), 0)
          << ggml_type_name(type) << " element " << i << ": " << got[i] << " vs " << want[i];
    }
  }
}

// The SIMD activation quantizer gives the reference's codes, scales, sums and lane starts exactly,
// including ties (x * 127 / amax = k + 0.5 rounds to even) and all-zero blocks.
TEST(MatmulActivations, SimdQuantizerMatchesReference) {
  if (detected_cpu_level() < CpuLevel::kAvx2) GTEST_SKIP() << "no AVX2";
  const int64_t n = 32 * 40;
  std::vector<float> x = make_acts(1, n, 9);
  for (int i = 0; i < 32; ++i) x[static_cast<size_t>(i)] = 0.0f;  // all-zero block
  for (int i = 32; i < 64; ++i) x[static_cast<size_t>(i)] = static_cast<float>(i - 48) + 0.5f;  // ties
  x[63] = 127.0f;  // amax 127: scale exactly 1
  for (int offset : {0, 8, 32, 128}) {
    std::vector<int8_t> qa(n), qb(n);
    std::vector<float> da(n / 32), db(n / 32), ea(n / 4), eb(n / 4);
    std::vector<int16_t> ba(n / 16), bb(n / 16);
    std::vector<int32_t> la(n / 4), lb(n / 4);
    kernels::quantize_acts_ref(x.data(), n, offset, qa.data(), da.data(), ea.data(), ba.data(), la.data());
    kernels::avx2_quantize_acts()(x.data(), n, offset, qb.data(), db.data(), eb.data(), bb.data(), lb.data());
    EXPECT_EQ(qa, qb) << "offset " << offset;
    EXPECT_EQ(da, db);
    EXPECT_EQ(ea, eb);
    EXPECT_EQ(ba, bb);
    if (offset != 0) {
      EXPECT_EQ(la, lb);
    }
  }
  std::vector<int8_t> q(n);
  std::vector<float> d(n / 32), e(n / 4);
  std::vector<int16_t> b(n / 16);
  kernels::quantize_acts_ref(x.data(), n, 0, q.data(), d.data(), e.data(), b.data(), nullptr);
  EXPECT_EQ(d[0], 0.0f);
  EXPECT_EQ(q[0], 0);
  EXPECT_EQ(d[1], 1.0f);
  EXPECT_EQ(q[32], -16);  // -15.5 -> -16 (even)
  EXPECT_EQ(q[33], -14);  // -14.5 -> -14 (even)
  EXPECT_EQ(q[63], 127);
}

TEST(CpuFeaturesTest, LevelsParseAndClamp) {
  LevelGuard guard;
  EXPECT_EQ(parse_cpu_level("portable"), CpuLevel::kPortable);
  EXPECT_EQ(parse_cpu_level("avx2"), CpuLevel::kAvx2);
  EXPECT_EQ(parse_cpu_level("avx512"), CpuLevel::kAvx512);
  EXPECT_EQ(parse_cpu_level("AVX2"), std::nullopt);
  EXPECT_EQ(parse_cpu_level("sse"), std::nullopt);
  set_cpu_level(CpuLevel::kPortable);
  EXPECT_EQ(cpu_level(), CpuLevel::kPortable);
  set_cpu_level(CpuLevel::kAvx512);
  EXPECT_EQ(cpu_level(), detected_cpu_level());  // clamped to what the CPU has
  if (detected_cpu_level() >= CpuLevel::kAvx2) {
    EXPECT_TRUE(cpu_features().avx2 && cpu_features().fma && cpu_features().f16c);
  }
}

TEST(MatmulTest, ZeroTokensOrRowsWritesNothing) {
  const Weights w = make_weights(GgmlType::kQ8_0, 64, 3, 1);
  float y[3] = {1, 2, 3};
  const auto x = make_acts(1, 64, 2);
  matmul(w.view(), x.data(), 0, y, nullptr);
  EXPECT_EQ(y[0], 1);
  EXPECT_EQ(y[2], 3);
}

// parallel_run: every index exactly once, for any pool size, back to back (workers spinning or
// asleep between jobs) and from several threads at once (one caller gets the team, the others
// fall back to the thread pool).
TEST(ParallelRunTest, EveryIndexExactlyOnce) {
  for (size_t helpers : {0, 1, 3}) {
    core::ThreadPool pool(helpers);
    for (int64_t n : {1, 2, 7, 64, 1000}) {
      for (int round = 0; round < 50; ++round) {
        std::vector<std::atomic<int>> hits(static_cast<size_t>(n));
        parallel_run(&pool, n, [&](int64_t i) { hits[static_cast<size_t>(i)].fetch_add(1); });
        for (int64_t i = 0; i < n; ++i) {
          ASSERT_EQ(hits[static_cast<size_t>(i)].load(), 1) << "helpers " << helpers << " n " << n << " index " << i;
        }
      }
    }
  }
  std::vector<int> inline_hits(5, 0);
  parallel_run(nullptr, 5, [&](int64_t i) { ++inline_hits[static_cast<size_t>(i)]; });
  EXPECT_EQ(inline_hits, std::vector<int>(5, 1));
}

TEST(ParallelRunTest, ConcurrentCallersAllComplete) {
  core::ThreadPool pool(1);
  std::atomic<int64_t> total{0};
  std::vector<std::thread> callers;
  for (int c = 0; c < 4; ++c) {
    callers.emplace_back([&] {
      for (int round = 0; round < 300; ++round) {
        std::atomic<int64_t> sum{0};
        parallel_run(&pool, 16, [&](int64_t i) { sum.fetch_add(i + 1); });
        EXPECT_EQ(sum.load(), 16 * 17 / 2);
        total.fetch_add(sum.load());
      }
    });
  }
  for (auto& t : callers) t.join();
  EXPECT_EQ(total.load(), 4 * 300 * (16 * 17 / 2));
}

TEST(ParallelRunTest, MatmulWithPoolEqualsWithout) {
  const Weights w = make_weights(GgmlType::kQ4_0, 512, 301, 3);
  core::ThreadPool pool(3);
  for (int64_t n_tokens : {1, 2, 9}) {
    const auto x = make_acts(n_tokens, 512, 4);
    std::vector<float> a(static_cast<size_t>(n_tokens * 301)), b(a.size());
    matmul(w.view(), x.data(), n_tokens, a.data(), nullptr);
    matmul(w.view(), x.data(), n_tokens, b.data(), &pool);
    EXPECT_EQ(std::memcmp(a.data(), b.data(), a.size() * 4), 0) << n_tokens;  // same kernels, same order
  }
}

}  // namespace
}  // namespace anvil::engine
