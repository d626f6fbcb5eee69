// Byte layouts of ggml's quantized blocks (internal to the engine's kernels). Every struct has the
// exact size and field order llama.cpp writes (ggml-common.h), so a row of blocks can be read in
// place from an mmapped GGUF tensor. Field meanings: docs/QUANTIZATION.md.
#pragma once

#include <cstdint>

namespace anvil::engine {

inline constexpr int kQK4_0 = 32;
inline constexpr int kQK4_1 = 32;
inline constexpr int kQK5_0 = 32;
inline constexpr int kQK5_1 = 32;
inline constexpr int kQK8_0 = 32;
inline constexpr int kQK_K = 256;        // elements per K-quant super-block
inline constexpr int kKScaleSize = 12;   // packed 6-bit scales and mins of q4_K / q5_K

// Half floats are stored as raw uint16 bits (fp16.h converts them).
struct BlockQ4_0 {
  uint16_t d;               // scale (f16)
  uint8_t qs[kQK4_0 / 2];   // element j in low nibble of qs[j], element j+16 in the high nibble
};
struct BlockQ4_1 {
  uint16_t d;               // scale (f16)
  uint16_t m;               // offset (f16): x = q*d + m
  uint8_t qs[kQK4_1 / 2];
};
struct BlockQ5_0 {
  uint16_t d;
  uint8_t qh[4];            // bit j = 5th bit of element j (little-endian uint32)
  uint8_t qs[kQK5_0 / 2];
};
struct BlockQ5_1 {
  uint16_t d;
  uint16_t m;
  uint8_t qh[4];
  uint8_t qs[kQK5_1 / 2];
};
struct BlockQ8_0 {
  uint16_t d;
  int8_t qs[kQK8_0];
};
struct BlockQ2_K {
  uint8_t scales[kQK_K / 16];  // per 16 elements: low nibble scale, high nibble min
  uint8_t qs[kQK_K / 4];       // 2-bit quants
  uint16_t d;                  // super-block scale of the scales (f16)
  uint16_t dmin;               // super-block scale of the mins (f16)
};
struct BlockQ3_K {
  uint8_t hmask[kQK_K / 8];    // high (3rd) bit of each quant
  uint8_t qs[kQK_K / 4];       // low 2 bits
  uint8_t scales[12];          // 16 scales of 6 bits, packed
  uint16_t d;
};
struct BlockQ4_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleSize];  // 8 scales and 8 mins of 6 bits, packed (see scale_min_k4)
  uint8_t qs[kQK_K / 2];
};
struct BlockQ5_K {
  uint16_t d;
  uint16_t dmin;
  uint8_t scales[kKScaleSize];
  uint8_t qh[kQK_K / 8];
  uint8_t qs[kQK_K / 2];
};
struct BlockQ6_K {
  uint8_t ql[kQK_K / 2];       // low 4 bits
  uint8_t qh[kQK_K / 4];       // high 2 bits
  int8_t scales[kQK_K / 16];   // 8-bit signed scales
  uint16_t d;
};
// Activations quantized for K-quant dot products (never stored in files): f32 scale, 256 int8,
// and the sums of each 16 quants (used to apply the mins of q2_K/q4_K/q5_K and offsets).
struct BlockQ8_K {
  float d;
  int8_t qs[kQK_K];
  int16_t bsums[kQK_K / 16];
};

static_assert(sizeof(BlockQ4_0) == 18);
static_assert(sizeof(BlockQ4_1) == 20);
static_assert(sizeof(BlockQ5_0) == 22);
static_assert(sizeof(BlockQ5_1) == 24);
static_assert(sizeof(BlockQ8_0) == 34);
static_assert(sizeof(BlockQ2_K) == 84);
static_assert(sizeof(BlockQ3_K) == 110);
static_assert(sizeof(BlockQ4_K) == 144);
static_assert(sizeof(BlockQ5_K) == 176);
static_assert(sizeof(BlockQ6_K) == 210);
static_assert(sizeof(BlockQ8_K) == 292);

// The 6-bit scale and min of sub-block j (0..7) of a q4_K / q5_K super-block: j < 4 use the low 6
// bits of bytes j and j+4; j >= 4 use nibbles of byte j+4 plus the top 2 bits of bytes j-4 and j.
inline void scale_min_k4(int j, const uint8_t* q, uint8_t* scale, uint8_t* min) {
  if (j < 4) {
    *scale = q[j] & 63;
    *min = q[j + 4] & 63;
  } else {
    *scale = static_cast<uint8_t>((q[j + 4] & 0xF) | ((q[j - 4] >> 6) << 4));
    *min = static_cast<uint8_t>((q[j + 4] >> 4) | ((q[j] >> 6) << 4));
  }
}

}  // namespace anvil::engine
