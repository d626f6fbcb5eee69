// AVX-512 q4_0 row kernel that unpacks four 32-element blocks per zmm (the pair kernel of
// matmul_avx512.cpp unpacks two). Compiled with the AVX-512 flags of cmake/modules.cmake; the
// byte permute needs AVX512-VBMI and the nibble shift GFNI as well (Ice Lake and later), enabled
// for this file's functions only and checked at run time (avx512_q4_0_kernel() is empty without
// them).
//
// Per group of four blocks (128 weights, 72 bytes) and row: two overlapping loads, one vpermt2b
// gathering the 64 code bytes (block k in 128-bit lane k), the low and high nibbles as two
// vectors of unsigned codes, and two vpdpbusd against activations laid out in the same order
// (QuantActs::packed, made once per matmul by pack_acts below), so lanes 4k..4k+3 of the int32
// result belong to block k. Per lane one convert and one FMA with the combined scale
// d_w * d_a of its block. Algorithm and measurements: docs/QUANTIZATION.md.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>

#include <algorithm>
#include <cstring>

#include "anvil/engine/simd_avx512.h"
// (after the traits it is instantiated with)
#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/matmul_simd.h"
#include "anvil/engine/quants_blocks.h"

#pragma GCC push_options
#pragma GCC target("avx512vbmi,gfni")

namespace anvil::engine::kernels {
namespace {

constexpr int kBlockBytes = sizeof(BlockQ4_0);  // 18
constexpr int kGroupBytes = 4 * kBlockBytes;    // 72: four blocks, one zmm of codes
constexpr int kDecodeRows = 4;                  // rows per tile for one token (shared activation loads)

// Activations of one token for 128 weights, in the unpacked weights' order: lo[16k + j] is
// element j of block k, hi[16k + j] element 16 + j; lane[4k + m] = -8 * (sum of lo and hi codes
// 4m..4m+3 of block k), the start of the int32 lane that then holds sum (c - 8) * q over the
// block's 8 elements it sees (q4_0 codes are c - 8, c in 0..15 unsigned for vpdpbusd).
struct Record {
  int8_t lo[64];
  int8_t hi[64];
  int32_t lane[16];
};
static_assert(sizeof(Record) == 192);

int64_t groups(int64_t n_in) { return (n_in + 127) / 128; }

int64_t packed_bytes(int64_t n_in) { return groups(n_in) * static_cast<int64_t>(sizeof(Record)); }

__mmask64 first_bytes(int64_t n) {
  return n >= 64 ? ~__mmask64{0} : n <= 0 ? __mmask64{0} : (__mmask64{1} << n) - 1;
}

// qs: one token's n_in codes (block order) -> groups(n_in) Records at out (a missing block of the
// last group has zero codes and lane starts, so it adds nothing whatever the weights hold).
void pack_acts(const int8_t* qs, int64_t n_in, uint8_t* out) {
  const __m512i lo_idx = _mm512_set_epi64(13, 12, 9, 8, 5, 4, 1, 0);
  const __m512i hi_idx = _mm512_set_epi64(15, 14, 11, 10, 7, 6, 3, 2);
  const __m512i ones = _mm512_set1_epi8(1);
  for (int64_t g = 0; g < groups(n_in); ++g) {
    const int64_t left = n_in - 128 * g;  // codes of this group present
    const __m512i c0 = _mm512_maskz_loadu_epi8(first_bytes(left), qs + 128 * g);
    const __m512i c1 = _mm512_maskz_loadu_epi8(first_bytes(left - 64), qs + 128 * g + 64);
    const __m512i lo = _mm512_permutex2var_epi64(c0, lo_idx, c1);
    const __m512i hi = _mm512_permutex2var_epi64(c0, hi_idx, c1);
    const __m512i sum4 = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), ones, lo), ones, hi);
    auto* r = reinterpret_cast<Record*>(out) + g;
    _mm512_storeu_si512(r->lo, lo);
    _mm512_storeu_si512(r->hi, hi);
    _mm512_storeu_si512(r->lane, _mm512_sub_epi32(_mm512_setzero_si512(), _mm512_slli_epi32(sum4, 3)));
  }
}

// vpermt2b indices over [bytes 0..63 of the group, bytes 8..71]: output byte 16k + j is code byte
// j of block k, at group byte 18k + 2 + j.
struct CodeIndex {
  alignas(64) uint8_t v[64];
};
constexpr CodeIndex make_code_index() {
  CodeIndex c{};
  for (int k = 0; k < 4; ++k) {
    for (int j = 0; j < 16; ++j) {
      const int s = kBlockBytes * k + 2 + j;
      c.v[16 * k + j] = static_cast<uint8_t>(s < 64 ? s : 64 + (s - 8));
    }
  }
  return c;
}
constexpr CodeIndex kCodeIndex = make_code_index();

// Scale permutes: for group q of 16 blocks, lanes 4k..4k+3 take block 4q + k's scale.
alignas(64) constexpr int32_t kScaleIndex[4][16] = {
    {0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3},
    {4, 4, 4, 4, 5, 5, 5, 5, 6, 6, 6, 6, 7, 7, 7, 7},
    {8, 8, 8, 8, 9, 9, 9, 9, 10, 10, 10, 10, 11, 11, 11, 11},
    {12, 12, 12, 12, 13, 13, 13, 13, 14, 14, 14, 14, 15, 15, 15, 15},
};

alignas(64) constexpr int32_t kBlockOffsets[16] = {0,   18,  36,  54,  72,  90,  108, 126,
                                                   144, 162, 180, 198, 216, 234, 252, 270};

// The 64 codes (0..15) of a group as low and high nibbles; `full` false: only the first
// `bytes` bytes of the group exist (masked loads: nothing past the row is read).
template <bool kFull>
inline void unpack(const uint8_t* p, int64_t bytes, __m512i idx, __m512i* lo, __m512i* hi) {
  __m512i l0, l1;
  if constexpr (kFull) {
    l0 = _mm512_loadu_si512(p);
    l1 = _mm512_loadu_si512(p + 8);
  } else {
    l0 = _mm512_maskz_loadu_epi8(first_bytes(bytes), p);
    l1 = _mm512_maskz_loadu_epi8(first_bytes(bytes - 8), p + 8);
  }
  const __m512i x = _mm512_permutex2var_epi8(l0, idx, l1);
  *lo = _mm512_and_si512(_mm512_set1_epi8(0x0F), x);
  // x >> 4 in each byte as one GF(2) affine transform (shift + mask would be two operations on
  // the port that also runs vpdpbusd): byte 7 - i of the matrix selects the source bits of result
  // bit i, bit i + 4 for i < 4, none above.
  *hi = _mm512_gf2p8affine_epi64_epi8(x, _mm512_set1_epi64(0x1020408000000000LL), 0);
}

// R rows (row_bytes apart) x NT tokens (from t0): out[t * R + r]. Each stream prefetches `ahead`
// bytes on as it reaches each 16 blocks.
template <int R, int NT>
void rows_tile(const uint8_t* w, size_t row_bytes, int64_t n_in, const QuantActs& a, int64_t t0, size_t ahead,
               float* out) {
  const int64_t nb = n_in / 32;
  __m512 acc[R][NT];
#pragma GCC unroll 16
  for (int r = 0; r < R; ++r) {
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) acc[r][t] = _mm512_setzero_ps();
  }
  const __m512i idx = _mm512_load_si512(kCodeIndex.v);
  const __m512i offsets = _mm512_load_si512(kBlockOffsets);
  for (int64_t b0 = 0; b0 < nb; b0 += 16) {
    const int gb = static_cast<int>(std::min<int64_t>(16, nb - b0));
    const __mmask16 gm = static_cast<__mmask16>((1u << gb) - 1u);
    // s16[r][t] lane i: d_w * d_a of block b0 + i.
    __m512 s16[R][NT];
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) {
      const uint8_t* grp = w + r * row_bytes + b0 * kBlockBytes;
      for (int off = 0; off < 16 * kBlockBytes; off += 64) _mm_prefetch(reinterpret_cast<const char*>(grp + ahead + off), _MM_HINT_T0);
      const __m512i raw = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), gm, offsets, grp, 1);
      const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(raw));
#pragma GCC unroll 16
      for (int t = 0; t < NT; ++t) s16[r][t] = _mm512_mul_ps(dw, _mm512_maskz_loadu_ps(gm, a.d + (t0 + t) * nb + b0));
    }
    for (int q = 0; 4 * q < gb; ++q) {
      const int64_t g = b0 / 4 + q;
      const __m512i sidx = _mm512_load_si512(kScaleIndex[q]);
      const bool full = 4 * q + 4 <= gb;
      __m512i lo[R], hi[R];
#pragma GCC unroll 16
      for (int r = 0; r < R; ++r) {
        const uint8_t* p = w + r * row_bytes + g * kGroupBytes;
        if (full) {
          unpack<true>(p, kGroupBytes, idx, &lo[r], &hi[r]);
        } else {
          unpack<false>(p, (gb - 4 * q) * kBlockBytes, idx, &lo[r], &hi[r]);
        }
      }
#pragma GCC unroll 16
      for (int t = 0; t < NT; ++t) {
        const Record* rec = reinterpret_cast<const Record*>(a.packed + (t0 + t) * a.packed_stride) + g;
        const __m512i init = _mm512_loadu_si512(rec->lane);
        const __m512i qlo = _mm512_loadu_si512(rec->lo);
        const __m512i qhi = _mm512_loadu_si512(rec->hi);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
          const __m512i dot = _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(init, lo[r], qlo), hi[r], qhi);
          acc[r][t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(dot), _mm512_permutexvar_ps(sidx, s16[r][t]), acc[r][t]);
        }
      }
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) {
#pragma GCC unroll 16
    for (int r = 0; r < R; ++r) out[t * R + r] = simd::Avx512::hsum(acc[r][t]);
  }
}

void q4_0_rows(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in, const QuantActs& a,
               int64_t n_tokens, float* y, int64_t ldy) {
  int64_t r = 0;
  if (n_tokens == 1) {
    // One row from each of kDecodeStreams streams per tile: rows i + s * h (matmul_simd.h).
    static_assert(kDecodeRows == kDecodeStreams);
    const int64_t h = n_rows / kDecodeStreams;
    const size_t ahead = stream_ahead(row_bytes);
    for (int64_t i = 0; i < h; ++i) {
      float out[kDecodeRows];
      rows_tile<kDecodeRows, 1>(w + i * row_bytes, h * row_bytes, n_in, a, 0, ahead, out);
      for (int s = 0; s < kDecodeRows; ++s) y[i + s * h] = out[s];
    }
    r = h * kDecodeStreams;
  }
  const size_t ahead = stream_ahead(row_bytes);
  for (; r < n_rows; ++r) {
    const uint8_t* row = w + r * row_bytes;
    int64_t t0 = 0;
    float out[kMaxTokens];
    for (; t0 + kMaxTokens <= n_tokens; t0 += kMaxTokens) {
      rows_tile<1, kMaxTokens>(row, row_bytes, n_in, a, t0, ahead, out);
      for (int t = 0; t < kMaxTokens; ++t) y[(t0 + t) * ldy + r] = out[t];
    }
    const int64_t left = n_tokens - t0;
    if (left == 3) rows_tile<1, 3>(row, row_bytes, n_in, a, t0, ahead, out);
    if (left == 2) rows_tile<1, 2>(row, row_bytes, n_in, a, t0, ahead, out);
    if (left == 1) rows_tile<1, 1>(row, row_bytes, n_in, a, t0, ahead, out);
    for (int t = 0; t < left; ++t) y[(t0 + t) * ldy + r] = out[t];
  }
}

}  // namespace

QuantKernel avx512_q4_0_kernel() {
  if (!__builtin_cpu_supports("avx512vbmi") || !__builtin_cpu_supports("gfni")) return {};
  QuantKernel k;
  k.fn = q4_0_rows;
  k.offset = 0;  // the lane starts travel in the packed records
  k.packed_bytes = packed_bytes;
  k.pack = pack_acts;
  return k;
}

}  // namespace anvil::engine::kernels

#pragma GCC pop_options
