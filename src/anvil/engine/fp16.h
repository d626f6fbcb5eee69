// Half-precision conversions (IEEE binary16 "f16" and bfloat16 "bf16") to and from f32, portable
// and bit-exact with what ggml writes: f32 -> f16 and f32 -> bf16 round to nearest, ties to even.
#pragma once

#include <bit>
#include <cstdint>

namespace anvil::engine {

inline float fp16_to_fp32(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu;
  const uint32_t mant = h & 0x3ffu;
  if (exp == 0x1f) {  // inf / nan: keep the payload
    return std::bit_cast<float>(sign | 0x7f800000u | (mant << 13));
  }
  if (exp == 0) {
    // Zero or subnormal: value = mant * 2^-24, exact in f32.
    const float v = static_cast<float>(mant) * 0x1p-24f;
    return sign ? -v : v;
  }
  return std::bit_cast<float>(sign | ((exp + 112u) << 23) | (mant << 13));
}

inline uint16_t fp32_to_fp16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  const uint16_t sign = static_cast<uint16_t>((x >> 16) & 0x8000u);
  const uint32_t ax = x & 0x7fffffffu;
  if (ax > 0x7f800000u) {  // nan: quiet, keep the top payload bits
    return static_cast<uint16_t>(sign | 0x7e00u | ((ax >> 13) & 0x3ffu));
  }
  if (ax >= 0x477ff000u) {  // rounds to >= 65536: inf
    return static_cast<uint16_t>(sign | 0x7c00u);
  }
  if (ax < 0x38800000u) {
    // Result is subnormal (or zero) in f16: units of 2^-24, rounded to nearest even by the FPU
    // (adding 0.5 in the f32 domain aligns the ulp; the sum is exact up to the rounding we want).
    const float a = std::bit_cast<float>(ax);
    const float r = a + 0.5f;  // 0.5 = 2^-1: ulp of r is 2^-24, so r's low mantissa bits hold units
    return static_cast<uint16_t>(sign | (std::bit_cast<uint32_t>(r) - std::bit_cast<uint32_t>(0.5f)));
  }
  // Normal: rebias the exponent, round the 13 dropped bits to nearest even.
  const uint32_t odd = (ax >> 13) & 1u;
  const uint32_t rounded = ax + 0xfffu + odd;
  return static_cast<uint16_t>(sign | ((rounded - (112u << 23)) >> 13));
}

inline float bf16_to_fp32(uint16_t h) { return std::bit_cast<float>(static_cast<uint32_t>(h) << 16); }

inline uint16_t fp32_to_bf16(float f) {
  const uint32_t x = std::bit_cast<uint32_t>(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) {  // nan: force quiet, as ggml does
    return static_cast<uint16_t>((x >> 16) | 64u);
  }
  return static_cast<uint16_t>((x + 0x7fffu + ((x >> 16) & 1u)) >> 16);
}

}  // namespace anvil::engine
