// AVX-512 (F/BW/VL/DQ + VNNI) matmul kernels. Compiled with AVX-512 flags (see
// cmake/modules.cmake); only called when cpu_level() is kAvx512.
//
// Integer rows: weights stay in their blocks; 64 codes at a time are unpacked into one zmm as
// unsigned bytes in the same order as the int8 activations, and vpdpbusd sums 4 products per
// 32-bit lane. With a zmm covering two 32-blocks (or four 16-element K-quant sub-blocks), each
// lane belongs to exactly one scale, so scales are applied per lane in f32 before accumulating.
// Float rows and the f32 prompt panel are matmul_simd.h's, instantiated here with 16-lane vectors.
// GCC 12's AVX-512 intrinsics start from _mm512_undefined_*() vectors, which trips
// -Wuninitialized once inlined (GCC bug 105593); the warnings are false positives.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "anvil/engine/simd_avx512.h"
// (after the traits it is instantiated with)
#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/matmul_simd.h"
#include "anvil/engine/quants.h"
#include "anvil/engine/quants_blocks.h"

namespace anvil::engine::kernels {
namespace {

using simd::Avx2;
using simd::Avx512;

inline float hsum(__m512 v) { return Avx512::hsum(v); }
inline float hsum256(__m256 v) { return Avx2::hsum(v); }

// ---------------------------------------------------------------- q8_0 / q4_0 rows (act block 32)

// 64 unsigned codes of blocks b, b+1 of a q8_0 row: w + 128 (vpdpbusd multiplies unsigned by
// signed; the +128 is undone by the activation lane offsets).
struct Q8_0Unpack {
  static constexpr int kBlockBytes = 34;
  static __m512i pair(const uint8_t* b0) {
    const __m512i w = _mm512_inserti64x4(
        _mm512_castsi256_si512(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + 2))),
        _mm256_loadu_si256(reinterpret_cast<const __m256i*>(b0 + kBlockBytes + 2)), 1);
    return _mm512_xor_si512(w, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
  static __m512i single(const uint8_t* b0) {
    const __m512i w = _mm512_maskz_loadu_epi8(0xFFFFFFFFull, b0 + 2);
    return _mm512_xor_si512(w, _mm512_set1_epi8(static_cast<char>(0x80)));
  }
};

// 64 codes 0..15 of blocks b, b+1 of a q4_0 row in element order: each block's 16 bytes hold
// element j in the low nibble and j+16 in the high nibble, so [bytes, bytes] shifted by 0 / 4
// per 128-bit half gives elements 0..15 then 16..31.
struct Q4_0Unpack {
  static constexpr int kBlockBytes = 18;
  static __m512i nibbles(__m512i x) {
    const __m512i shift = _mm512_set_epi64(4, 4, 0, 0, 4, 4, 0, 0);
    return _mm512_and_si512(_mm512_srlv_epi64(x, shift), _mm512_set1_epi8(0x0F));
  }
  static __m512i pair(const uint8_t* b0) {
    const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2)));
    const __m256i hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + kBlockBytes + 2)));
    return nibbles(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
  }
  static __m512i single(const uint8_t* b0) {
    const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 2)));
    return nibbles(_mm512_castsi256_si512(lo));  // upper lanes meet zero activations
  }
};

// q5_0: the q4_0 nibbles (at byte 6) plus a fifth bit per element from the block's 32-bit qh,
// which in element order is exactly a byte mask: bit j of block b's qh -> byte 32b + j.
struct Q5_0Unpack {
  static constexpr int kBlockBytes = 22;
  static uint32_t high_bits(const uint8_t* blk) {
    uint32_t qh;
    std::memcpy(&qh, blk + 2, 4);
    return qh;
  }
  static __m512i pair(const uint8_t* b0) {
    const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 6)));
    const __m256i hi = _mm256_broadcastsi128_si256(
        _mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + kBlockBytes + 6)));
    const __m512i x = Q4_0Unpack::nibbles(_mm512_inserti64x4(_mm512_castsi256_si512(lo), hi, 1));
    const __mmask64 m = high_bits(b0) | (static_cast<uint64_t>(high_bits(b0 + kBlockBytes)) << 32);
    return _mm512_mask_add_epi8(x, m, x, _mm512_set1_epi8(16));
  }
  static __m512i single(const uint8_t* b0) {
    const __m256i lo = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(b0 + 6)));
    const __m512i x = Q4_0Unpack::nibbles(_mm512_castsi256_si512(lo));
    return _mm512_mask_add_epi8(x, static_cast<__mmask64>(high_bits(b0)), x, _mm512_set1_epi8(16));
  }
};

// y_t = sum_b d_w[b] * d_a[t,b] * sum_i (c_i - offset) * q_i: the offset part comes in through
// the lane start values. Blocks go in groups of 16: one gather brings the 16 f16 weight scales,
// times the 16 activation scales gives each block's combined scale, and a permute hands each
// pair of blocks its two scales (8 lanes each). Per pair and token: vpdpbusd, convert, permute,
// FMA.
// kPairIndex[p]: permute indices giving lanes 0..7 block 2p's scale and lanes 8..15 block 2p+1's.
alignas(64) constexpr int32_t kPairIndex[8][16] = {
    {0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1},         {2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3},
    {4, 4, 4, 4, 4, 4, 4, 4, 5, 5, 5, 5, 5, 5, 5, 5},         {6, 6, 6, 6, 6, 6, 6, 6, 7, 7, 7, 7, 7, 7, 7, 7},
    {8, 8, 8, 8, 8, 8, 8, 8, 9, 9, 9, 9, 9, 9, 9, 9},         {10, 10, 10, 10, 10, 10, 10, 10, 11, 11, 11, 11, 11, 11, 11, 11},
    {12, 12, 12, 12, 12, 12, 12, 12, 13, 13, 13, 13, 13, 13, 13, 13}, {14, 14, 14, 14, 14, 14, 14, 14, 15, 15, 15, 15, 15, 15, 15, 15},
};

// Byte offsets of the 16 blocks of a group (gather indices), for a block size.
template <int kBytes>
struct GroupOffsets {
  alignas(64) int32_t v[16];
};
template <int kBytes>
constexpr GroupOffsets<kBytes> make_group_offsets() {
  GroupOffsets<kBytes> g{};
  for (int i = 0; i < 16; ++i) g.v[i] = i * kBytes;
  return g;
}
template <int kBytes>
constexpr GroupOffsets<kBytes> kGroupOffsets = make_group_offsets<kBytes>();

template <typename U, int NT>
void block32_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / 32;
  const int64_t lanes = n_in / 4;
  __m512 acc[NT], acc2[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = acc2[t] = _mm512_setzero_ps();
  const __m512i offsets = _mm512_load_si512(kGroupOffsets<U::kBlockBytes>.v);
  for (int64_t g0 = 0; g0 < nb; g0 += 16) {
    const int gb = static_cast<int>(std::min<int64_t>(16, nb - g0));
    const __mmask16 gm = static_cast<__mmask16>((1u << gb) - 1u);
    const uint8_t* grp = row + g0 * U::kBlockBytes;
    prefetch_block(grp, 16 * U::kBlockBytes);
    // Each gathered dword holds a block's f16 scale in its low half.
    const __m512i raw = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), gm, offsets, grp, 1);
    const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(raw));
    __m512 s16[NT];
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) s16[t] = _mm512_mul_ps(dw, _mm512_maskz_loadu_ps(gm, a.d + (t0 + t) * nb + g0));
    int p = 0;
    // Two pairs per step into two accumulators: one FMA chain per pair would cap a single token
    // at one pair per FMA latency.
    for (; 2 * p + 4 <= gb; p += 2) {
      const int64_t b = g0 + 2 * p;
      const __m512i w0 = U::pair(row + b * U::kBlockBytes);
      const __m512i w1 = U::pair(row + (b + 2) * U::kBlockBytes);
      const __m512i idx0 = _mm512_load_si512(kPairIndex[p]);
      const __m512i idx1 = _mm512_load_si512(kPairIndex[p + 1]);
#pragma GCC unroll 16
      for (int t = 0; t < NT; ++t) {
        const int64_t tt = t0 + t;
        const int32_t* ln = a.lane + tt * lanes + 8 * b;
        const int8_t* q = a.qs + tt * n_in + 32 * b;
        const __m512i dot0 = _mm512_dpbusd_epi32(_mm512_loadu_si512(ln), w0, _mm512_loadu_si512(q));
        const __m512i dot1 = _mm512_dpbusd_epi32(_mm512_loadu_si512(ln + 16), w1, _mm512_loadu_si512(q + 64));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot0), _mm512_permutexvar_ps(idx0, s16[t]), acc[t]);
        acc2[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot1), _mm512_permutexvar_ps(idx1, s16[t]), acc2[t]);
      }
    }
    for (; 2 * p + 2 <= gb; ++p) {
      const int64_t b = g0 + 2 * p;
      const __m512i w = U::pair(row + b * U::kBlockBytes);
      const __m512i idx = _mm512_load_si512(kPairIndex[p]);
#pragma GCC unroll 16
      for (int t = 0; t < NT; ++t) {
        const int64_t tt = t0 + t;
        const __m512i init = _mm512_loadu_si512(a.lane + tt * lanes + 8 * b);
        const __m512i q = _mm512_loadu_si512(a.qs + tt * n_in + 32 * b);
        const __m512i dot = _mm512_dpbusd_epi32(init, w, q);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(idx, s16[t]), acc[t]);
      }
    }
    if (2 * p < gb) {  // odd block count: the upper 8 lanes see zero activations and zero starts
      const int64_t b = g0 + 2 * p;
      const __m512i w = U::single(row + b * U::kBlockBytes);
      const __m512i idx = _mm512_set1_epi32(2 * p);
#pragma GCC unroll 16
      for (int t = 0; t < NT; ++t) {
        const int64_t tt = t0 + t;
        const __m512i init = _mm512_maskz_loadu_epi32(0x00FF, a.lane + tt * lanes + 8 * b);
        const __m512i q = _mm512_maskz_loadu_epi8(0xFFFFFFFFull, a.qs + tt * n_in + 32 * b);
        const __m512i dot = _mm512_dpbusd_epi32(init, w, q);
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(idx, s16[t]), acc[t]);
      }
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(_mm512_add_ps(acc[t], acc2[t]));
}

// One token, two rows at a time: the activation loads are shared and the two rows' chains are
// independent, which keeps both vector ports busy (decode's common case).
template <typename U>
void block32_two_rows(const uint8_t* row0, const uint8_t* row1, int64_t n_in, const QuantActs& a,
                      size_t ahead, float* out) {
  const int64_t nb = n_in / 32;
  __m512 acc0 = _mm512_setzero_ps(), acc1 = _mm512_setzero_ps();
  const __m512i offsets = _mm512_load_si512(kGroupOffsets<U::kBlockBytes>.v);
  for (int64_t g0 = 0; g0 < nb; g0 += 16) {
    const int gb = static_cast<int>(std::min<int64_t>(16, nb - g0));
    const __mmask16 gm = static_cast<__mmask16>((1u << gb) - 1u);
    const uint8_t* grp0 = row0 + g0 * U::kBlockBytes;
    const uint8_t* grp1 = row1 + g0 * U::kBlockBytes;
    // Two streams: prefetch both `ahead` bytes on.
    for (int off = 0; off < 16 * U::kBlockBytes; off += 64) {
      _mm_prefetch(reinterpret_cast<const char*>(grp0 + ahead + off), _MM_HINT_T0);
      _mm_prefetch(reinterpret_cast<const char*>(grp1 + ahead + off), _MM_HINT_T0);
    }
    const __m512 da = _mm512_maskz_loadu_ps(gm, a.d + g0);
    const __m512 s0 = _mm512_mul_ps(
        _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_mask_i32gather_epi32(_mm512_setzero_si512(), gm, offsets, grp0, 1))), da);
    const __m512 s1 = _mm512_mul_ps(
        _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_mask_i32gather_epi32(_mm512_setzero_si512(), gm, offsets, grp1, 1))), da);
    int p = 0;
    for (; 2 * p + 2 <= gb; ++p) {
      const int64_t b = g0 + 2 * p;
      const __m512i idx = _mm512_load_si512(kPairIndex[p]);
      const __m512i init = _mm512_loadu_si512(a.lane + 8 * b);
      const __m512i q = _mm512_loadu_si512(a.qs + 32 * b);
      const __m512i dot0 = _mm512_dpbusd_epi32(init, U::pair(row0 + b * U::kBlockBytes), q);
      const __m512i dot1 = _mm512_dpbusd_epi32(init, U::pair(row1 + b * U::kBlockBytes), q);
      acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot0), _mm512_permutexvar_ps(idx, s0), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot1), _mm512_permutexvar_ps(idx, s1), acc1);
    }
    if (2 * p < gb) {
      const int64_t b = g0 + 2 * p;
      const __m512i idx = _mm512_set1_epi32(2 * p);
      const __m512i init = _mm512_maskz_loadu_epi32(0x00FF, a.lane + 8 * b);
      const __m512i q = _mm512_maskz_loadu_epi8(0xFFFFFFFFull, a.qs + 32 * b);
      const __m512i dot0 = _mm512_dpbusd_epi32(init, U::single(row0 + b * U::kBlockBytes), q);
      const __m512i dot1 = _mm512_dpbusd_epi32(init, U::single(row1 + b * U::kBlockBytes), q);
      acc0 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot0), _mm512_permutexvar_ps(idx, s0), acc0);
      acc1 = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot1), _mm512_permutexvar_ps(idx, s1), acc1);
    }
  }
  out[0] = hsum(acc0);
  out[1] = hsum(acc1);
}

template <typename U>
void block32_rows(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in,
                  const QuantActs& a, int64_t n_tokens, float* y, int64_t ldy) {
  int64_t r = 0;
  if (n_tokens == 1) {
    // Four streams (kDecodeStreams), two at a time: rows i and i + h, then i + 2h and i + 3h.
    const int64_t h = n_rows / kDecodeStreams;
    const size_t ahead = stream_ahead(row_bytes);
    const auto row = [&](int64_t i) { return w + static_cast<size_t>(i) * row_bytes; };
    for (int64_t i = 0; i < h; ++i) {
      float out[4];
      block32_two_rows<U>(row(i), row(i + h), n_in, a, ahead, out);
      block32_two_rows<U>(row(i + 2 * h), row(i + 3 * h), n_in, a, ahead, out + 2);
      for (int s = 0; s < 4; ++s) y[i + s * h] = out[s];
    }
    r = h * kDecodeStreams;
  }
  for (; r < n_rows; ++r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    token_chunks(n_tokens, [&](auto nt, int64_t t0) {
      float out[kMaxTokens];
      block32_row<U, decltype(nt)::value>(row, n_in, a, t0, out);
      for (int t = 0; t < decltype(nt)::value; ++t) y[(t0 + t) * ldy + r] = out[t];
    });
  }
}

// ---------------------------------------------------------------- q4_K rows (act block 256)

// The 8 six-bit scales and mins of a q4_K block as bytes of two uint64 (scale_min_k4 for all j at
// once, in 32-bit registers: no byte stores that a vector load would have to wait for).
inline void unpack_scales_k4(const uint8_t* q, uint64_t* scales, uint64_t* mins) {
  uint32_t u0, u1, u2;
  std::memcpy(&u0, q, 4);
  std::memcpy(&u1, q + 4, 4);
  std::memcpy(&u2, q + 8, 4);
  const uint32_t sc_lo = u0 & 0x3f3f3f3fu, m_lo = u1 & 0x3f3f3f3fu;
  const uint32_t sc_hi = (u2 & 0x0f0f0f0fu) | ((u0 >> 2) & 0x30303030u);
  const uint32_t m_hi = ((u2 >> 4) & 0x0f0f0f0fu) | ((u1 >> 2) & 0x30303030u);
  *scales = sc_lo | (static_cast<uint64_t>(sc_hi) << 32);
  *mins = m_lo | (static_cast<uint64_t>(m_hi) << 32);
}

// Per super-block: y += d * sum_j sc_j * d_a[j] * dot_j - dmin * sum_j m_j * d_a[j] * asum_j,
// with dot_j the code . activation sum of sub-block j (32 elements = activation block j) and
// asum_j its activation code sum (two bsums).
template <int NT>
void q4_k_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / kQK_K;
  const int64_t nb32 = n_in / 32, lanes = n_in / 4, groups = n_in / 16;
  const auto* blocks = reinterpret_cast<const BlockQ4_K*>(row);
  __m512 acc[NT];
  __m256 accm[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) {
    acc[t] = _mm512_setzero_ps();
    accm[t] = _mm256_setzero_ps();
  }
  const __m512i shift = _mm512_set_epi64(4, 4, 4, 4, 0, 0, 0, 0);
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ4_K& blk = blocks[i];
    prefetch_block(&blk, sizeof(BlockQ4_K));
    uint64_t sc8, m8;
    unpack_scales_k4(blk.scales, &sc8, &m8);
    const float d = _cvtsh_ss(blk.d);
    const float dmin = _cvtsh_ss(blk.dmin);
    // Lane scale of sub-blocks 2c (lanes 0..7) and 2c+1 (lanes 8..15), times d.
    const __m512 scf = _mm512_mul_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm_cvtsi64_si128(static_cast<long long>(sc8)))),
                                     _mm512_set1_ps(d));
    __m512i codes[4];
    __m512 lane_scale[4];
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m512i x = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * c)));
      codes[c] = _mm512_and_si512(_mm512_srlv_epi64(x, shift), low4);
      const __m512i idx = _mm512_add_epi32(_mm512_set_epi32(1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0),
                                           _mm512_set1_epi32(2 * c));
      lane_scale[c] = _mm512_permutexvar_ps(idx, scf);
    }
    // [m0, m0, m1, m1, ..., m7, m7] as int16, against the 16 bsums of the block.
    const __m256i mins16 = _mm256_cvtepu8_epi16(
        _mm_shuffle_epi8(_mm_cvtsi64_si128(static_cast<long long>(m8)),
                         _mm_set_epi8(7, 7, 6, 6, 5, 5, 4, 4, 3, 3, 2, 2, 1, 1, 0, 0)));
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const int8_t* q = a.qs + tt * n_in + i * kQK_K;
      const float* dx = a.dexp + tt * lanes + i * 64;
#pragma GCC unroll 4
      for (int c = 0; c < 4; ++c) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_setzero_si512(), codes[c], _mm512_loadu_si512(q + 64 * c));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(lane_scale[c], _mm512_loadu_ps(dx + 16 * c)),
                                 acc[t]);
      }
      const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums + tt * groups + i * 16));
      const __m256 msum = _mm256_cvtepi32_ps(_mm256_madd_epi16(bs, mins16));  // lane j: m_j * asum_j
      accm[t] = _mm256_fmadd_ps(_mm256_mul_ps(msum, _mm256_loadu_ps(a.d + tt * nb32 + i * 8)), _mm256_set1_ps(dmin),
                                accm[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]) - hsum256(accm[t]);
}

// ---------------------------------------------------------------- q6_K rows (act block 256)

// Codes 0..63 per element (value = code - 32, the 32 folded into the lane start values); each
// 64-element group spans four 16-element sub-blocks = four lanes each.
template <int NT>
void q6_k_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / kQK_K;
  const auto* blocks = reinterpret_cast<const BlockQ6_K*>(row);
  __m512 acc[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = _mm512_setzero_ps();
  const __m512i low4 = _mm512_set1_epi8(0x0F);
  const __m512i top2 = _mm512_set1_epi8(0x30);
  const __m512i shl01 = _mm512_set_epi64(2, 2, 2, 2, 4, 4, 4, 4);  // quarter 0: << 4, quarter 1: << 2
  const __m512i shr23 = _mm512_set_epi64(2, 2, 2, 2, 0, 0, 0, 0);  // quarter 2: >> 0, quarter 3: >> 2
  const int64_t lanes = n_in / 4;
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_K& blk = blocks[i];
    prefetch_block(&blk, sizeof(BlockQ6_K));
    const __m512 scf = _mm512_mul_ps(
        _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales)))),
        _mm512_set1_ps(_cvtsh_ss(blk.d)));
    __m512i codes[4];
    __m512 lane_scale[4];
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m512i x = _mm512_loadu_si512(blk.ql + 64 * h);
      const __m512i hb = _mm512_broadcast_i64x4(_mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h)));
      // 0xEA: (a & b) | c
      codes[2 * h] = _mm512_ternarylogic_epi32(x, low4, _mm512_and_si512(_mm512_sllv_epi64(hb, shl01), top2), 0xEA);
      codes[2 * h + 1] = _mm512_ternarylogic_epi32(_mm512_srli_epi16(x, 4), low4,
                                                   _mm512_and_si512(_mm512_srlv_epi64(hb, shr23), top2), 0xEA);
    }
#pragma GCC unroll 4
    for (int g = 0; g < 4; ++g) {
      const __m512i idx = _mm512_add_epi32(_mm512_set_epi32(3, 3, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0, 0, 0),
                                           _mm512_set1_epi32(4 * g));
      lane_scale[g] = _mm512_permutexvar_ps(idx, scf);
    }
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const int8_t* q = a.qs + tt * n_in + i * kQK_K;
      const int32_t* ln = a.lane + tt * lanes + i * 64;
      const float* dx = a.dexp + tt * lanes + i * 64;
#pragma GCC unroll 4
      for (int g = 0; g < 4; ++g) {
        const __m512i dot = _mm512_dpbusd_epi32(_mm512_loadu_si512(ln + 16 * g), codes[g], _mm512_loadu_si512(q + 64 * g));
        acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_mul_ps(lane_scale[g], _mm512_loadu_ps(dx + 16 * g)),
                                 acc[t]);
      }
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
}

template <int NT>
struct Q4KRow {
  static void run(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
    q4_k_row<NT>(row, n_in, a, t0, out);
  }
};
template <int NT>
struct Q6KRow {
  static void run(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
    q6_k_row<NT>(row, n_in, a, t0, out);
  }
};

KernelSet make_set() {
  KernelSet k{"avx512"};
  k.quantize_acts = avx2_quantize_acts();
  const auto id = [](GgmlType t) { return static_cast<int>(t); };
  k.quant[id(GgmlType::kQ8_0)] = {block32_rows<Q8_0Unpack>, 128};
  // Four blocks per zmm where the CPU has VBMI's byte permute, else two (block32_rows).
  k.quant[id(GgmlType::kQ4_0)] = avx512_q4_0_kernel();
  if (k.quant[id(GgmlType::kQ4_0)].fn == nullptr) k.quant[id(GgmlType::kQ4_0)] = {block32_rows<Q4_0Unpack>, 8};
  k.quant[id(GgmlType::kQ5_0)] = {block32_rows<Q5_0Unpack>, 16};
  k.quant[id(GgmlType::kQ4_K)] = {quant_rows<Q4KRow>, 0};
  k.quant[id(GgmlType::kQ6_K)] = {quant_rows<Q6KRow>, 32};
  // f32/f16/bf16 rows; prompt panels of 32 rows x 12 tokens (24 accumulators + 2 weight
  // registers). (An AVX512-BF16 panel - vdpbf16ps on bf16 pairs - measured slower than this f32
  // one on Sapphire Rapids: see docs/QUANTIZATION.md.)
  add_shared_kernels<Avx512, 12>(k);
  return k;
}

}  // namespace

const KernelSet* avx512_kernels() {
  static const KernelSet set = make_set();
  return &set;
}

}  // namespace anvil::engine::kernels
