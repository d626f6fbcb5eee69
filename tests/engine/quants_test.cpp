// Dequantization and quantization against the independent NumPy oracle
// (tests/engine/reference/quants.py, run with /usr/bin/python3): random blocks of every type must
// dequantize to the same floats bit for bit, and the types the oracle quantizes must encode to the
// same bytes. Plus f16/bf16 conversion corner cases and round-trip error bounds per type.
#include "anvil/engine/quants.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include "anvil/engine/fp16.h"
#include "testing/temp_dir.h"

namespace anvil::engine {
namespace {

constexpr GgmlType kAllTypes[] = {
    GgmlType::kF32,  GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ4_0, GgmlType::kQ4_1,
    GgmlType::kQ5_0, GgmlType::kQ5_1, GgmlType::kQ8_0, GgmlType::kQ2_K, GgmlType::kQ3_K,
    GgmlType::kQ4_K, GgmlType::kQ5_K, GgmlType::kQ6_K};

// Types whose quantization the oracle reproduces (the rest are checked by round-trip bounds).
constexpr GgmlType kOracleQuantTypes[] = {GgmlType::kF16,  GgmlType::kBF16, GgmlType::kQ8_0,
                                          GgmlType::kQ4_0, GgmlType::kQ4_K, GgmlType::kQ6_K};

std::string type_id(GgmlType t) { return std::to_string(static_cast<uint32_t>(t)); }

bool oracle_available() {
  static const bool ok =
      std::system("/usr/bin/python3 -c 'import numpy' > /dev/null 2>&1") == 0;
  return ok;
}

std::vector<uint8_t> read_bytes(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Runs quants.py `cmd` (dequantize | quantize) on `input`; returns the output file's bytes.
std::vector<uint8_t> run_oracle(const std::string& cmd, GgmlType type, int64_t n,
                                const void* input, size_t input_bytes) {
  testing::TempDir dir;
  const auto in = dir.write("in.bin", std::string_view(static_cast<const char*>(input), input_bytes));
  const auto out = dir / "out.bin";
  const std::string script = (testing::source_dir() / "tests/engine/reference/quants.py").string();
  const std::string line = "/usr/bin/python3 " + script + " " + cmd + " " + type_id(type) + " " +
                           std::to_string(n) + " " + in.string() + " " + out.string();
  EXPECT_EQ(std::system(line.c_str()), 0) << line;
  return read_bytes(out);
}

// f16 bits of a "sane" scale: magnitude 2^-12 .. 2^2, either sign, so products stay finite.
uint16_t sane_f16(std::mt19937& rng) {
  std::uniform_real_distribution<float> mag(-12.0f, 2.0f);
  const float v = std::exp2(mag(rng)) * ((rng() & 1) ? -1.0f : 1.0f);
  return fp32_to_fp16(v);
}

// Offsets of the f16 fields inside one block of each quantized type.
std::vector<int> f16_field_offsets(GgmlType t) {
  switch (t) {
    case GgmlType::kQ4_0: case GgmlType::kQ5_0: case GgmlType::kQ8_0: return {0};
    case GgmlType::kQ4_1: case GgmlType::kQ5_1: case GgmlType::kQ4_K: case GgmlType::kQ5_K:
      return {0, 2};
    case GgmlType::kQ2_K: return {80, 82};
    case GgmlType::kQ3_K: return {108};
    case GgmlType::kQ6_K: return {208};
    default: return {};
  }
}

// Random encoded data for n elements of t: random bit patterns for the quants and the packed
// scales, sane values in the float fields (f16/bf16/f32 elements are finite, varied magnitudes).
std::vector<uint8_t> random_encoded(GgmlType t, int64_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> bytes(ggml_row_size(t, n));
  for (auto& b : bytes) b = static_cast<uint8_t>(rng());
  auto put16 = [&](size_t off, uint16_t v) { std::memcpy(bytes.data() + off, &v, 2); };
  if (t == GgmlType::kF16) {
    for (int64_t i = 0; i < n; ++i) put16(2 * i, sane_f16(rng));
  } else if (t == GgmlType::kBF16) {
    std::normal_distribution<float> nd(0.0f, 3.0f);
    for (int64_t i = 0; i < n; ++i) put16(2 * i, static_cast<uint16_t>(std::bit_cast<uint32_t>(nd(rng)) >> 16));
  } else if (t == GgmlType::kF32) {
    std::normal_distribution<float> nd(0.0f, 3.0f);
    for (int64_t i = 0; i < n; ++i) {
      const float v = nd(rng);
      std::memcpy(bytes.data() + 4 * i, &v, 4);
    }
  } else {
    const auto& tr = ggml_traits(t);
    for (int64_t b = 0; b < n / tr.block_size; ++b) {
      for (int off : f16_field_offsets(t)) put16(b * tr.type_size + off, sane_f16(rng));
    }
  }
  return bytes;
}

// Test inputs for quantizers: n values per named distribution, including blocks that exercise
// the edge cases (all zeros, constant, all positive, one outlier, small magnitudes). With
// tiny = 1e-4 the scales of most formats fall into f16's subnormal range, where the format itself
// loses precision: good for comparing encoders, not for round-trip bounds.
std::vector<float> quantizer_input(int64_t n, uint32_t seed, float tiny = 1e-4f) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n));
  for (auto& v : x) v = nd(rng);
  const int64_t seg = n / 8;
  for (int64_t i = 0; i < seg; ++i) x[i] = 0.0f;                                 // zeros
  for (int64_t i = seg; i < 2 * seg; ++i) x[i] = 0.75f;                          // constant
  for (int64_t i = 2 * seg; i < 3 * seg; ++i) x[i] = std::fabs(x[i]) + 0.1f;     // positive
  for (int64_t i = 3 * seg; i < 4 * seg; ++i) x[i] = -std::fabs(x[i]);           // negative
  for (int64_t i = 4 * seg; i < 5 * seg; ++i) x[i] *= tiny;                      // small
  x[5 * seg + 7] = 40.0f;                                                        // outlier
  for (int64_t i = 6 * seg; i < 7 * seg; ++i) x[i] = static_cast<float>(i % 9) - 4.0f;  // on grid
  return x;
}

class QuantsByType : public ::testing::TestWithParam<GgmlType> {};

TEST_P(QuantsByType, DequantizeMatchesNumpyBitForBit) {
  if (!oracle_available()) GTEST_SKIP() << "/usr/bin/python3 with numpy is needed for the oracle";
  const GgmlType t = GetParam();
  const int64_t n = 256 * 24;  // 24 super-blocks / 192 legacy blocks
  for (uint32_t seed : {1u, 2u, 3u}) {
    const auto enc = random_encoded(t, n, seed);
    std::vector<float> got(static_cast<size_t>(n));
    dequantize_row(t, enc.data(), got.data(), n);
    const auto want_bytes = run_oracle("dequantize", t, n, enc.data(), enc.size());
    ASSERT_EQ(want_bytes.size(), static_cast<size_t>(n) * 4);
    std::vector<float> want(static_cast<size_t>(n));
    std::memcpy(want.data(), want_bytes.data(), want_bytes.size());
    int mismatches = 0;
    for (int64_t i = 0; i < n && mismatches < 5; ++i) {
      if (std::bit_cast<uint32_t>(got[i]) != std::bit_cast<uint32_t>(want[i])) {
        ADD_FAILURE() << ggml_type_name(t) << " seed " << seed << " element " << i << ": C++ "
                      << got[i] << " numpy " << want[i];
        ++mismatches;
      }
    }
  }
}

// Round trip x -> quantize -> dequantize: the error of each element is bounded by a fraction of
// the largest magnitude in its block (the tolerance each format guarantees or, for the K-quants
// with searched scales, a loose bound). Measured maxima are in docs/QUANTIZATION.md.
double round_trip_bound(GgmlType t) {
  switch (t) {
    case GgmlType::kF32: return 0.0;
    case GgmlType::kF16: return 1.0 / 1024;   // relative, per element
    case GgmlType::kBF16: return 1.0 / 128;   // relative, per element
    case GgmlType::kQ8_0: return 0.5 / 127 + 1e-3;
    case GgmlType::kQ4_0: return 1.0 / 8;  // half a step of max/8, plus the clamped top code
    case GgmlType::kQ4_1: return 0.5 / 15 * 2 + 1e-3;
    case GgmlType::kQ5_0: return 1.0 / 16;
    case GgmlType::kQ5_1: return 0.5 / 31 * 2 + 1e-3;
    case GgmlType::kQ2_K: return 0.5;
    case GgmlType::kQ3_K: return 0.35;
    case GgmlType::kQ4_K: return 0.15;
    case GgmlType::kQ5_K: return 0.08;
    case GgmlType::kQ6_K: return 0.04;
    default: return 0.0;
  }
}

TEST_P(QuantsByType, RoundTripErrorIsBounded) {
  const GgmlType t = GetParam();
  ASSERT_TRUE(can_quantize(t));
  const int64_t n = 256 * 16;
  const auto x = quantizer_input(n, 7, 1e-2f);
  std::vector<uint8_t> enc(ggml_row_size(t, n));
  ASSERT_EQ(quantize_row(t, x.data(), enc.data(), n), enc.size());
  std::vector<float> y(static_cast<size_t>(n));
  dequantize_row(t, enc.data(), y.data(), n);
  const int64_t bs = std::max<int64_t>(ggml_traits(t).block_size, 32);
  const double bound = round_trip_bound(t);
  for (int64_t b = 0; b < n / bs; ++b) {
    double amax = 0;
    for (int64_t i = b * bs; i < (b + 1) * bs; ++i) amax = std::max(amax, std::fabs(double(x[i])));
    for (int64_t i = b * bs; i < (b + 1) * bs; ++i) {
      const bool per_element = t == GgmlType::kF16 || t == GgmlType::kBF16 || t == GgmlType::kF32;
      const double ref = per_element ? std::fabs(double(x[i])) : amax;
      ASSERT_LE(std::fabs(double(y[i]) - double(x[i])), bound * ref + 1e-30)
          << ggml_type_name(t) << " element " << i << " x=" << x[i] << " y=" << y[i];
    }
  }
}

INSTANTIATE_TEST_SUITE_P(AllTypes, QuantsByType, ::testing::ValuesIn(kAllTypes),
                         [](const auto& param_info) { return std::string(ggml_type_name(param_info.param)); });

class QuantizeOracle : public ::testing::TestWithParam<GgmlType> {};

TEST_P(QuantizeOracle, QuantizeMatchesNumpyByteForByte) {
  if (!oracle_available()) GTEST_SKIP() << "/usr/bin/python3 with numpy is needed for the oracle";
  const GgmlType t = GetParam();
  const int64_t n = 256 * 16;
  for (uint32_t seed : {11u, 12u}) {
    auto x = quantizer_input(n, seed);
    if (t == GgmlType::kF16 || t == GgmlType::kBF16) {
      // Also cover overflow, subnormals and ties of the f32 -> 16-bit rounding.
      std::mt19937 rng(seed);
      for (int64_t i = 0; i < n; i += 3) x[i] = std::bit_cast<float>(static_cast<uint32_t>(rng()) & 0xBFFFFFFFu);
      x[1] = 65520.0f;
      x[2] = 65519.0f;
      x[4] = 1.0f + 0x1p-11f;  // f16 tie: rounds to even (1.0)
      x[5] = 0x1p-25f;         // f16 subnormal tie: rounds to 0
      x[7] = 3.0f * 0x1p-25f;  // rounds up to 2^-23
    }
    std::vector<uint8_t> got(ggml_row_size(t, n));
    quantize_row(t, x.data(), got.data(), n);
    const auto want = run_oracle("quantize", t, n, x.data(), x.size() * sizeof(float));
    ASSERT_EQ(want.size(), got.size());
    const int64_t bsz = ggml_traits(t).type_size;
    int mismatches = 0;
    for (size_t i = 0; i < got.size() && mismatches < 5; ++i) {
      if (got[i] != want[i]) {
        ADD_FAILURE() << ggml_type_name(t) << " seed " << seed << " byte " << i << " (block "
                      << i / bsz << ", offset " << i % bsz << "): C++ " << int(got[i]) << " numpy "
                      << int(want[i]);
        ++mismatches;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(OracleTypes, QuantizeOracle, ::testing::ValuesIn(kOracleQuantTypes),
                         [](const auto& param_info) { return std::string(ggml_type_name(param_info.param)); });

TEST(Fp16Test, EveryHalfSurvivesARoundTrip) {
  for (uint32_t h = 0; h < 0x10000; ++h) {
    const float f = fp16_to_fp32(static_cast<uint16_t>(h));
    if (std::isnan(f)) {
      EXPECT_TRUE(std::isnan(fp16_to_fp32(fp32_to_fp16(f)))) << h;
      continue;
    }
    ASSERT_EQ(fp32_to_fp16(f), h) << "half 0x" << std::hex << h;
  }
}

TEST(Fp16Test, GoldenValues) {
  EXPECT_EQ(fp16_to_fp32(0x3c00), 1.0f);
  EXPECT_EQ(fp16_to_fp32(0xc000), -2.0f);
  EXPECT_EQ(fp16_to_fp32(0x0001), 0x1p-24f);
  EXPECT_EQ(fp16_to_fp32(0x7bff), 65504.0f);
  EXPECT_TRUE(std::isinf(fp16_to_fp32(0x7c00)));
  EXPECT_EQ(fp32_to_fp16(65519.0f), 0x7bff);
  EXPECT_EQ(fp32_to_fp16(65520.0f), 0x7c00);   // halfway to 65536 rounds to even: inf
  EXPECT_EQ(fp32_to_fp16(-1e9f), 0xfc00);
  EXPECT_EQ(fp32_to_fp16(1.0f + 0x1p-11f), 0x3c00);             // tie to even
  EXPECT_EQ(fp32_to_fp16(1.0f + 3 * 0x1p-11f), 0x3c02);         // tie to even, upward
  EXPECT_EQ(fp32_to_fp16(0x1p-25f), 0x0000);                    // subnormal tie to even
  EXPECT_EQ(fp32_to_fp16(0x1p-25f + 0x1p-40f), 0x0001);
  EXPECT_EQ(fp32_to_fp16(0x1p-14f - 0x1p-26f), 0x0400);         // rounds up to the least normal
  EXPECT_EQ(fp32_to_fp16(-0.0f), 0x8000);
  EXPECT_EQ(fp32_to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3f808000u)), 0x3f80);  // tie to even
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x3f818000u)), 0x3f82);
  EXPECT_EQ(fp32_to_bf16(std::bit_cast<float>(0x7fc00001u)), 0x7fc0);  // quiet nan kept
  EXPECT_EQ(bf16_to_fp32(0xc040), -3.0f);
}

// Q8_0 of a known block: d = 127/127 = 1 exactly, codes are the rounded values (halves away
// from zero, as C's roundf).
TEST(QuantsGolden, Q8_0Block) {
  float x[32];
  for (int i = 0; i < 32; ++i) x[i] = static_cast<float>(i) - 16.5f;
  x[31] = 127.0f;
  uint8_t enc[34];
  ASSERT_EQ(quantize_row(GgmlType::kQ8_0, x, enc, 32), 34u);
  EXPECT_EQ(enc[0] | (enc[1] << 8), 0x3c00);  // d = 1.0
  EXPECT_EQ(static_cast<int8_t>(enc[2]), -17);  // -16.5 -> -17
  EXPECT_EQ(static_cast<int8_t>(enc[3]), -16);  // -15.5 -> -16
  EXPECT_EQ(static_cast<int8_t>(enc[2 + 16]), -1);  // -0.5 -> -1 (away from zero)
  EXPECT_EQ(static_cast<int8_t>(enc[2 + 17]), 1);   // 0.5 -> 1
  EXPECT_EQ(static_cast<int8_t>(enc[2 + 31]), 127);
}

// Q4_0 of a known block: the largest magnitude (-8 here) defines d = -8 / -8 = 1 and maps to
// code 0; +7.9 rounds to code 15 (value 7).
TEST(QuantsGolden, Q4_0Block) {
  float x[32] = {};
  x[0] = -8.0f;
  x[1] = 7.9f;
  x[16] = 3.0f;
  x[17] = -2.5f;  // -2.5 + 8.5 = 6 -> code 6 (value -2)
  uint8_t enc[18];
  quantize_row(GgmlType::kQ4_0, x, enc, 32);
  EXPECT_EQ(enc[0] | (enc[1] << 8), 0x3c00);
  EXPECT_EQ(enc[2], 0x00 | (11 << 4));   // x[0] code 0, x[16] code 11
  EXPECT_EQ(enc[3], 15 | (6 << 4));      // x[1] code 15, x[17] code 6
  EXPECT_EQ(enc[4], 8 | (8 << 4));       // zeros are code 8
  float y[32];
  dequantize_row(GgmlType::kQ4_0, enc, y, 32);
  EXPECT_EQ(y[0], -8.0f);
  EXPECT_EQ(y[1], 7.0f);
  EXPECT_EQ(y[16], 3.0f);
  EXPECT_EQ(y[17], -2.0f);
}

TEST(QuantsGolden, CanQuantizeOnlySupportedTypes) {
  EXPECT_TRUE(can_quantize(GgmlType::kQ4_K));
  EXPECT_FALSE(can_quantize(GgmlType::kQ8_K));
  EXPECT_FALSE(can_quantize(GgmlType::kIQ2_XXS));
  EXPECT_FALSE(can_quantize(GgmlType::kI32));
}

}  // namespace
}  // namespace anvil::engine
