#include "anvil/rag/bm25/lucene_norms.h"

#include <algorithm>
#include <bit>
#include <limits>

namespace anvil::rag::bm25 {
namespace {

// A float-like code for non-negative integers: 3 explicit mantissa bits below an implicit
// leading one, and a 5-bit shift; codes 0..7 are the exact values 0..7 ("subnormals").
constexpr uint32_t long_to_int4(uint64_t i) {
  const int num_bits = 64 - std::countl_zero(i);
  if (num_bits < 4) return static_cast<uint32_t>(i);
  const int shift = num_bits - 4;
  uint32_t encoded = static_cast<uint32_t>(i >> shift) & 0x07;  // drop the implicit leading one
  encoded |= static_cast<uint32_t>(shift + 1) << 3;              // 0 is reserved for subnormals
  return encoded;
}

uint64_t int4_to_long(uint32_t i) {
  const uint64_t bits = i & 0x07;
  const int shift = static_cast<int>(i >> 3) - 1;
  return shift == -1 ? bits : (bits | 0x08) << shift;
}

// Codes above long_to_int4(INT32_MAX) = 231 are unused by int4, so the first 24 byte values are
// spent on the exact small lengths 0..23 and int4 encodes (length - 24).
constexpr uint32_t kMaxInt4 = 231;
constexpr uint32_t kNumFreeValues = 255 - kMaxInt4;  // 24
static_assert(long_to_int4(std::numeric_limits<int32_t>::max()) == kMaxInt4);

}  // namespace

uint8_t length_to_norm(uint64_t length) {
  const uint64_t i = std::min<uint64_t>(length, std::numeric_limits<int32_t>::max());
  if (i < kNumFreeValues) return static_cast<uint8_t>(i);
  return static_cast<uint8_t>(kNumFreeValues + long_to_int4(i - kNumFreeValues));
}

uint32_t norm_to_length(uint8_t norm) {
  if (norm < kNumFreeValues) return norm;
  const uint64_t decoded = kNumFreeValues + int4_to_long(norm - kNumFreeValues);
  return static_cast<uint32_t>(std::min<uint64_t>(decoded, std::numeric_limits<int32_t>::max()));
}

const std::array<float, 256>& norm_length_table() {
  static const std::array<float, 256> table = [] {
    std::array<float, 256> t{};
    for (int k = 0; k < 256; ++k) t[k] = static_cast<float>(norm_to_length(static_cast<uint8_t>(k)));
    return t;
  }();
  return table;
}

}  // namespace anvil::rag::bm25
