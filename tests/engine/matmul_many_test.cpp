// matmul_many (several matrices sharing one input in one parallel region) and the matrix views
// the decoder slices its feed-forward with (row_slice, column_slice): on every kernel path the
// CPU offers, each target's product is bit-identical to matmul's on the same view (the kernels
// compute every output row independently of the others), and a column slice multiplies exactly
// the columns it names.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/matmul.h"
#include "anvil/engine/quants.h"

namespace anvil::engine {
namespace {

struct LevelGuard {
  ~LevelGuard() { set_cpu_level(std::nullopt); }
};

std::vector<CpuLevel> available_levels() {
  std::vector<CpuLevel> out = {CpuLevel::kPortable};
  if (detected_cpu_level() >= CpuLevel::kAvx2) out.push_back(CpuLevel::kAvx2);
  if (detected_cpu_level() >= CpuLevel::kAvx512) out.push_back(CpuLevel::kAvx512);
  return out;
}

struct Matrix {
  GgmlType type;
  int64_t n_in, n_out;
  std::vector<uint8_t> data;
  MatrixView view() const { return {type, data.data(), n_in, n_out, ggml_row_size(type, n_in)}; }
};

Matrix random_matrix(GgmlType type, int64_t n_in, int64_t n_out, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 0.05f);
  Matrix m{type, n_in, n_out, {}};
  const size_t rb = ggml_row_size(type, n_in);
  m.data.resize(rb * static_cast<size_t>(n_out));
  std::vector<float> row(static_cast<size_t>(n_in));
  for (int64_t o = 0; o < n_out; ++o) {
    for (auto& v : row) v = nd(rng);
    quantize_row(type, row.data(), m.data.data() + rb * static_cast<size_t>(o), n_in);
  }
  return m;
}

std::vector<float> random_acts(int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = nd(rng);
  return x;
}

std::vector<float> product(const MatrixView& w, const std::vector<float>& x, int64_t n_tokens,
                           core::ThreadPool* pool) {
  std::vector<float> y(static_cast<size_t>(n_tokens * w.n_out));
  matmul(w, x.data(), n_tokens, y.data(), pool);
  return y;
}

bool same_bits(const std::vector<float>& a, const std::vector<float>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

// Q/K/V-like targets of one type (one shared region), then a mix of types (runs of one type
// share a region; the order of the targets is kept).
TEST(MatmulMany, EachTargetEqualsItsOwnMatmul) {
  LevelGuard guard;
  core::ThreadPool pool(2);
  const int64_t n_in = 256;
  const std::vector<std::vector<GgmlType>> sets = {
      {GgmlType::kQ4_0, GgmlType::kQ4_0, GgmlType::kQ4_0},
      {GgmlType::kQ8_0, GgmlType::kQ8_0},
      {GgmlType::kF16, GgmlType::kF16, GgmlType::kF16},
      {GgmlType::kQ4_K, GgmlType::kQ4_K, GgmlType::kQ6_K},
      {GgmlType::kQ8_0, GgmlType::kF32, GgmlType::kQ8_0},
  };
  uint32_t seed = 1;
  for (const auto& types : sets) {
    std::vector<Matrix> ms;
    for (size_t j = 0; j < types.size(); ++j) {
      ms.push_back(random_matrix(types[j], n_in, j == 0 ? 96 : 40 + 24 * static_cast<int64_t>(j), seed++));
    }
    for (int64_t n_tokens : {1, 5, 40}) {
      const auto x = random_acts(n_tokens * n_in, seed++);
      for (CpuLevel level : available_levels()) {
        set_cpu_level(level);
        for (core::ThreadPool* p : {static_cast<core::ThreadPool*>(nullptr), &pool}) {
          std::vector<std::vector<float>> ys;
          std::vector<MatmulTarget> targets;
          for (const Matrix& m : ms) ys.emplace_back(static_cast<size_t>(n_tokens * m.n_out), -1.0f);
          for (size_t j = 0; j < ms.size(); ++j) targets.push_back({ms[j].view(), ys[j].data()});
          matmul_many(targets, x.data(), n_tokens, p);
          for (size_t j = 0; j < ms.size(); ++j) {
            EXPECT_TRUE(same_bits(ys[j], product(ms[j].view(), x, n_tokens, p)))
                << ggml_type_name(types[j]) << " target " << j << " of " << ms.size() << ", " << n_tokens
                << " tokens, " << cpu_level_name(level) << (p ? ", 3 threads" : ", 1 thread");
          }
        }
      }
    }
  }
}

// A column slice of W times x equals W times x with every other column zeroed; a row slice gives
// those rows of the full product.
TEST(MatmulSlices, ColumnAndRowSlicesMultiplyWhatTheyName) {
  LevelGuard guard;
  const int64_t n_in = 768, n_out = 70;
  for (GgmlType type : {GgmlType::kF32, GgmlType::kF16, GgmlType::kQ8_0, GgmlType::kQ4_0, GgmlType::kQ4_K}) {
    const Matrix m = random_matrix(type, n_in, n_out, 11);
    const int64_t block = ggml_traits(type).block_size == 1 ? 32 : ggml_traits(type).block_size;
    const int64_t c0 = block, nc = 2 * block;
    for (int64_t n_tokens : {1, 40}) {
      const auto x = random_acts(n_tokens * n_in, 12);
      std::vector<float> x_cols(static_cast<size_t>(n_tokens * nc)), x_masked(x.size(), 0.0f);
      for (int64_t t = 0; t < n_tokens; ++t) {
        for (int64_t i = 0; i < nc; ++i) {
          x_cols[static_cast<size_t>(t * nc + i)] = x[static_cast<size_t>(t * n_in + c0 + i)];
          x_masked[static_cast<size_t>(t * n_in + c0 + i)] = x[static_cast<size_t>(t * n_in + c0 + i)];
        }
      }
      for (CpuLevel level : available_levels()) {
        set_cpu_level(level);
        const std::string what = std::string(ggml_type_name(type)) + " " + std::string(cpu_level_name(level)) +
                                 " tokens=" + std::to_string(n_tokens);
        const auto sliced = product(column_slice(m.view(), c0, nc), x_cols, n_tokens, nullptr);
        const auto masked = product(m.view(), x_masked, n_tokens, nullptr);
        ASSERT_EQ(sliced.size(), masked.size());
        for (size_t i = 0; i < sliced.size(); ++i) {
          // Same products; only the zero columns' (exact) terms and the summation order differ.
          ASSERT_NEAR(sliced[i], masked[i], 1e-4f + 1e-4f * std::abs(masked[i])) << what << " element " << i;
        }
        const auto full = product(m.view(), x, n_tokens, nullptr);
        const auto rows = product(row_slice(m.view(), 30, 33), x, n_tokens, nullptr);
        for (int64_t t = 0; t < n_tokens; ++t) {
          for (int64_t r = 0; r < 33; ++r) {
            // Near, not equal: the row kernels group rows by 2 or 4, and a row's place in its group may
            // change the order of its sums.
            const float want = full[static_cast<size_t>(t * n_out + 30 + r)];
            ASSERT_NEAR(rows[static_cast<size_t>(t * 33 + r)], want, 1e-5f + 1e-5f * std::abs(want))
                << what << " token " << t << " row " << r;
          }
        }
      }
    }
  }
}

}  // namespace
}  // namespace anvil::engine
