// AVX2 + FMA + F16C matmul kernels (the baseline of x86-64 CPUs from 2013 on); only called when
// cpu_level() >= kAvx2. Integer rows use maddubs (unsigned x signed bytes -> int16 pairs) and
// madd (-> int32), one 32-element block per ymm, so a block's scale is one broadcast. Float rows
// and the f32 prompt panel are matmul_simd.h's, instantiated here with 8-lane vectors.
#include <immintrin.h>

#include <cstring>

#include "anvil/engine/simd_avx2.h"
// (after the traits it is instantiated with)
#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/matmul_simd.h"
#include "anvil/engine/quants.h"
#include "anvil/engine/quants_blocks.h"

namespace anvil::engine::kernels {
namespace {

using simd::Avx2;

inline float hsum(__m256 v) { return Avx2::hsum(v); }

// Integer dot of 32 unsigned codes with 32 signed activations -> 8 int32 lanes (4 products each).
// Products stay below 2 * 255 * 127 only for codes <= 128: callers keep codes within 0..63 or use
// the sign trick.
inline __m256i dot_u8s8(__m256i u, __m256i s) {
  return _mm256_madd_epi16(_mm256_maddubs_epi16(u, s), _mm256_set1_epi16(1));
}

// ---------------------------------------------------------------- q8_0 / q4_0 rows

template <int NT>
void q8_0_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / 32;
  const auto* blocks = reinterpret_cast<const BlockQ8_0*>(row);
  __m256 acc[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    if ((b & 1) == 0) prefetch_block(&blocks[b], 2 * sizeof(BlockQ8_0));
    const __m256i w = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blocks[b].qs));
    const __m256i aw = _mm256_sign_epi8(w, w);  // |w| as unsigned
    const float dw = _cvtsh_ss(blocks[b].d);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + tt * n_in + 32 * b));
      const __m256i dot = dot_u8s8(aw, _mm256_sign_epi8(q, w));  // |w| * (q * sign w) = w * q
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * a.d[tt * nb + b]), acc[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
}

template <int NT>
void q4_0_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / 32;
  const int64_t lanes = n_in / 4;
  const auto* blocks = reinterpret_cast<const BlockQ4_0*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    if ((b & 1) == 0) prefetch_block(&blocks[b], 2 * sizeof(BlockQ4_0));
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[b].qs));
    // Elements 0..15 are the low nibbles, 16..31 the high ones.
    const __m256i codes = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), low4);
    const float dw = _cvtsh_ss(blocks[b].d);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + tt * n_in + 32 * b));
      const __m256i init = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.lane + tt * lanes + 8 * b));
      const __m256i dot = _mm256_add_epi32(dot_u8s8(codes, q), init);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * a.d[tt * nb + b]), acc[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
}

// q5_0: q4_0's nibbles (at byte 6) plus bit j of the 32-bit qh as bit 4 of element j.
template <int NT>
void q5_0_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / 32;
  const int64_t lanes = n_in / 4;
  const auto* blocks = reinterpret_cast<const BlockQ5_0*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  // Byte i of the expansion tests bit i % 8 of qh byte i / 8.
  const __m256i spread = _mm256_set_epi64x(0x0303030303030303, 0x0202020202020202, 0x0101010101010101, 0);
  const __m256i bit = _mm256_set1_epi64x(static_cast<long long>(0x8040201008040201ull));
  __m256 acc[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t b = 0; b < nb; ++b) {
    if ((b & 1) == 0) prefetch_block(&blocks[b], 2 * sizeof(BlockQ5_0));
    const __m128i x = _mm_loadu_si128(reinterpret_cast<const __m128i*>(blocks[b].qs));
    uint32_t qh;
    std::memcpy(&qh, blocks[b].qh, 4);
    const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32(static_cast<int>(qh)), spread);
    const __m256i high = _mm256_and_si256(_mm256_cmpeq_epi8(_mm256_and_si256(bytes, bit), bit), _mm256_set1_epi8(16));
    const __m256i codes = _mm256_or_si256(_mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(x, 4), x), low4), high);
    const float dw = _cvtsh_ss(blocks[b].d);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const __m256i q = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.qs + tt * n_in + 32 * b));
      const __m256i init = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.lane + tt * lanes + 8 * b));
      const __m256i dot = _mm256_add_epi32(dot_u8s8(codes, q), init);
      acc[t] = _mm256_fmadd_ps(_mm256_cvtepi32_ps(dot), _mm256_set1_ps(dw * a.d[tt * nb + b]), acc[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
}

// ---------------------------------------------------------------- q4_K / q6_K rows (act block 256)

// Sub-block scales enter through madd's second operand (int32 lanes of sc_j * products); each
// sub-block of 32 is one activation block, whose scale comes from dexp (8 equal lanes). The mins
// come in through the activation bsums.
template <int NT>
void q4_k_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / kQK_K;
  const int64_t nb32 = n_in / 32, lanes = n_in / 4, groups = n_in / 16;
  const auto* blocks = reinterpret_cast<const BlockQ4_K*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0F);
  __m256 acc[NT], accm[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = accm[t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ4_K& blk = blocks[i];
    prefetch_block(&blk, sizeof(BlockQ4_K));
    alignas(32) int16_t mins[16];
    int16_t sc[8];
    for (int j = 0; j < 8; ++j) {
      uint8_t s, m;
      scale_min_k4(j, blk.scales, &s, &m);
      sc[j] = s;
      mins[2 * j] = mins[2 * j + 1] = m;
    }
    __m256i codes[8];
#pragma GCC unroll 4
    for (int c = 0; c < 4; ++c) {
      const __m256i x = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qs + 32 * c));
      codes[2 * c] = _mm256_and_si256(x, low4);
      codes[2 * c + 1] = _mm256_and_si256(_mm256_srli_epi16(x, 4), low4);
    }
    const __m256i mins16 = _mm256_load_si256(reinterpret_cast<const __m256i*>(mins));
    const float d = _cvtsh_ss(blk.d), dmin = _cvtsh_ss(blk.dmin);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const int8_t* q = a.qs + tt * n_in + i * kQK_K;
      const float* dx = a.dexp + tt * lanes + i * 64;
      __m256 accb = _mm256_setzero_ps();
#pragma GCC unroll 8
      for (int j = 0; j < 8; ++j) {
        const __m256i p = _mm256_maddubs_epi16(codes[j], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * j)));
        const __m256i v = _mm256_madd_epi16(p, _mm256_set1_epi16(sc[j]));
        accb = _mm256_fmadd_ps(_mm256_cvtepi32_ps(v), _mm256_loadu_ps(dx + 8 * j), accb);
      }
      acc[t] = _mm256_fmadd_ps(accb, _mm256_set1_ps(d), acc[t]);
      const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums + tt * groups + i * 16));
      const __m256 msum = _mm256_cvtepi32_ps(_mm256_madd_epi16(bs, mins16));  // lane j: m_j * asum_j
      accm[t] = _mm256_fmadd_ps(_mm256_mul_ps(msum, _mm256_loadu_ps(a.d + tt * nb32 + i * 8)), _mm256_set1_ps(dmin),
                                accm[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(_mm256_sub_ps(acc[t], accm[t]));
}

// Each quarter (32 elements, two 16-element sub-blocks) is one activation block. The -32 of every
// code comes in through the bsums: per activation block j, 32 * (sc_2j bs_2j + sc_2j+1 bs_2j+1).
template <int NT>
void q6_k_row(const uint8_t* row, int64_t n_in, const QuantActs& a, int64_t t0, float* out) {
  const int64_t nb = n_in / kQK_K;
  const int64_t nb32 = n_in / 32, lanes = n_in / 4, groups = n_in / 16;
  const auto* blocks = reinterpret_cast<const BlockQ6_K*>(row);
  const __m256i low4 = _mm256_set1_epi8(0x0F), top2 = _mm256_set1_epi8(0x30);
  __m256 acc[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc[t] = _mm256_setzero_ps();
  for (int64_t i = 0; i < nb; ++i) {
    const BlockQ6_K& blk = blocks[i];
    prefetch_block(&blk, sizeof(BlockQ6_K));
    __m256i codes[8];   // quarter q of half h at 4h + q, each 32 elements in element order
    __m256i scales[8];  // the two 16-element sub-block scales of each quarter, as int16 x 8 each
#pragma GCC unroll 2
    for (int h = 0; h < 2; ++h) {
      const __m256i x0 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h));
      const __m256i x1 = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.ql + 64 * h + 32));
      const __m256i hb = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(blk.qh + 32 * h));
      codes[4 * h + 0] = _mm256_or_si256(_mm256_and_si256(x0, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 4), top2));
      codes[4 * h + 1] = _mm256_or_si256(_mm256_and_si256(x1, low4), _mm256_and_si256(_mm256_slli_epi16(hb, 2), top2));
      codes[4 * h + 2] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x0, 4), low4), _mm256_and_si256(hb, top2));
      codes[4 * h + 3] = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(x1, 4), low4),
                                         _mm256_and_si256(_mm256_srli_epi16(hb, 2), top2));
    }
#pragma GCC unroll 8
    for (int k = 0; k < 8; ++k) {
      scales[k] = _mm256_set_m128i(_mm_set1_epi16(blk.scales[2 * k + 1]), _mm_set1_epi16(blk.scales[2 * k]));
    }
    const __m256i sc16 = _mm256_cvtepi8_epi16(_mm_loadu_si128(reinterpret_cast<const __m128i*>(blk.scales)));
    const float d = _cvtsh_ss(blk.d);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const int64_t tt = t0 + t;
      const int8_t* q = a.qs + tt * n_in + i * kQK_K;
      const float* dx = a.dexp + tt * lanes + i * 64;
      __m256 accb = _mm256_setzero_ps();
#pragma GCC unroll 8
      for (int k = 0; k < 8; ++k) {
        const __m256i p = _mm256_maddubs_epi16(codes[k], _mm256_loadu_si256(reinterpret_cast<const __m256i*>(q + 32 * k)));
        accb = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(p, scales[k])), _mm256_loadu_ps(dx + 8 * k), accb);
      }
      const __m256i bs = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(a.bsums + tt * groups + i * 16));
      const __m256 offs = _mm256_mul_ps(_mm256_cvtepi32_ps(_mm256_madd_epi16(bs, sc16)),
                                        _mm256_loadu_ps(a.d + tt * nb32 + i * 8));
      accb = _mm256_fnmadd_ps(offs, _mm256_set1_ps(32.0f), accb);
      acc[t] = _mm256_fmadd_ps(accb, _mm256_set1_ps(d), acc[t]);
    }
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = hsum(acc[t]);
}

template <int NT>
struct Q8_0Row { static void run(const uint8_t* r, int64_t n, const QuantActs& a, int64_t t0, float* o) { q8_0_row<NT>(r, n, a, t0, o); } };
template <int NT>
struct Q4_0Row { static void run(const uint8_t* r, int64_t n, const QuantActs& a, int64_t t0, float* o) { q4_0_row<NT>(r, n, a, t0, o); } };
template <int NT>
struct Q5_0Row { static void run(const uint8_t* r, int64_t n, const QuantActs& a, int64_t t0, float* o) { q5_0_row<NT>(r, n, a, t0, o); } };
template <int NT>
struct Q4KRow { static void run(const uint8_t* r, int64_t n, const QuantActs& a, int64_t t0, float* o) { q4_k_row<NT>(r, n, a, t0, o); } };
template <int NT>
struct Q6KRow { static void run(const uint8_t* r, int64_t n, const QuantActs& a, int64_t t0, float* o) { q6_k_row<NT>(r, n, a, t0, o); } };

// ---------------------------------------------------------------- activation quantization

// quantize_acts_ref in AVX2: per 32 values, |x| max, codes by cvtps (round to nearest even under
// the default MXCSR, like the reference), packed with signed saturation (codes are within +-127
// already), then the 4-code lane sums (madd of the bytes against ones) and the 16-code bsums.
void quantize_acts(const float* x, int64_t n_in, int offset, int8_t* qs, float* d, float* dexp, int16_t* bsums,
                   int32_t* lane) {
  const __m256 sign = _mm256_set1_ps(-0.0f);
  const __m256i ones8 = _mm256_set1_epi8(1);
  const __m256i ones16 = _mm256_set1_epi16(1);
  for (int64_t b = 0; b < n_in / 32; ++b) {
    const float* xb = x + b * 32;
    __m256 v[4];
    __m256 m = _mm256_setzero_ps();
    for (int k = 0; k < 4; ++k) {
      v[k] = _mm256_loadu_ps(xb + 8 * k);
      m = _mm256_max_ps(m, _mm256_andnot_ps(sign, v[k]));
    }
    __m128 m4 = _mm_max_ps(_mm256_castps256_ps128(m), _mm256_extractf128_ps(m, 1));
    m4 = _mm_max_ps(m4, _mm_movehl_ps(m4, m4));
    m4 = _mm_max_ss(m4, _mm_movehdup_ps(m4));
    const float amax = _mm_cvtss_f32(m4);
    const float db = amax / 127.0f;
    const __m256 id = _mm256_set1_ps(db != 0.0f ? 127.0f / amax : 0.0f);
    __m256i q32[4];
    for (int k = 0; k < 4; ++k) q32[k] = _mm256_cvtps_epi32(_mm256_mul_ps(v[k], id));
    // packs interleave 128-bit lanes; the permute puts the 32 codes back in order.
    const __m256i q16a = _mm256_packs_epi32(q32[0], q32[1]), q16b = _mm256_packs_epi32(q32[2], q32[3]);
    const __m256i q8 = _mm256_permutevar8x32_epi32(_mm256_packs_epi16(q16a, q16b), _mm256_setr_epi32(0, 4, 1, 5, 2, 6, 3, 7));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(qs + b * 32), q8);
    d[b] = db;
    _mm256_storeu_ps(dexp + b * 8, _mm256_set1_ps(db));
    // Sums of 4 codes (8 lanes), then of 16 (2 bsums).
    const __m256i s4 = _mm256_madd_epi16(_mm256_maddubs_epi16(ones8, q8), ones16);
    if (offset != 0) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(lane + b * 8), _mm256_mullo_epi32(s4, _mm256_set1_epi32(-offset)));
    }
    alignas(32) int32_t s[8];
    _mm256_store_si256(reinterpret_cast<__m256i*>(s), s4);
    bsums[2 * b] = static_cast<int16_t>(s[0] + s[1] + s[2] + s[3]);
    bsums[2 * b + 1] = static_cast<int16_t>(s[4] + s[5] + s[6] + s[7]);
  }
}

KernelSet make_set() {
  KernelSet k{"avx2"};
  k.quantize_acts = quantize_acts;
  const auto id = [](GgmlType t) { return static_cast<int>(t); };
  k.quant[id(GgmlType::kQ8_0)] = {quant_rows<Q8_0Row>, 0};
  k.quant[id(GgmlType::kQ4_0)] = {quant_rows<Q4_0Row>, 8};
  k.quant[id(GgmlType::kQ5_0)] = {quant_rows<Q5_0Row>, 16};
  k.quant[id(GgmlType::kQ4_K)] = {quant_rows<Q4KRow>, 0};
  k.quant[id(GgmlType::kQ6_K)] = {quant_rows<Q6KRow>, 0};
  // f32/f16/bf16 rows; prompt panels of 16 rows x 6 tokens (12 accumulators + 2 weight registers
  // + 1 broadcast of the 16 ymm).
  add_shared_kernels<Avx2, 6>(k);
  return k;
}

}  // namespace

QuantizeActsFn avx2_quantize_acts() { return quantize_acts; }

const KernelSet* avx2_kernels() {
  static const KernelSet set = make_set();
  return &set;
}

}  // namespace anvil::engine::kernels
