// Prompt processing on AMX (Sapphire Rapids and later): quantized weights dequantized to bf16,
// activations rounded to bf16, products accumulated in f32 by the tile unit (TDPBF16PS: a 16 x 16
// f32 tile += 16 x 32 bf16 times 32 x 16 bf16). Compiled with AVX-512 flags plus AMX through
// function attributes; used only when the CPU reports AMX-BF16 and Linux grants the tile state
// (arch_prctl ARCH_REQ_XCOMP_PERM). Layouts: docs/QUANTIZATION.md ("AMX panels").
//
// Tiles: A = 16 tokens x 32 k of the bf16 activations (row-major, straight from the converted
// rows); B = 32 k x 16 weight rows in the "VNNI" layout (each 64-byte tile row holds one pair of
// k for 16 weight rows); C = 16 tokens x 16 rows, stored straight into y. One step uses 2 A tiles
// (32 tokens), 2 B tiles (32 rows) and 4 C tiles.
#pragma GCC diagnostic ignored "-Wuninitialized"
#pragma GCC diagnostic ignored "-Wmaybe-uninitialized"
#include <immintrin.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>

#include "anvil/engine/cpu_features.h"
#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/quants.h"

namespace anvil::engine::kernels {
namespace {

constexpr int kRows = 32;    // weight rows per panel: two B tiles
constexpr int kTokens = 32;  // tokens per step: two A tiles

struct TileConfig {
  uint8_t palette_id = 1;
  uint8_t start_row = 0;
  uint8_t reserved[14] = {};
  uint16_t colsb[16] = {};
  uint8_t rows[16] = {};
};

// Every tile: 16 rows of 64 bytes (16 f32, or 32 bf16).
TileConfig full_tiles() {
  TileConfig c;
  for (int i = 0; i < 8; ++i) {
    c.colsb[i] = 64;
    c.rows[i] = 16;
  }
  return c;
}

bool os_grants_amx() {
  constexpr long kArchReqXcompPerm = 0x1023;
  constexpr long kXfeatureXtiledata = 18;
  return syscall(SYS_arch_prctl, kArchReqXcompPerm, kXfeatureXtiledata) == 0;
}

// Rows [0, n_rows) of w as bf16 pairs: panel[(k / 2) * 64 + 2 * r + (k & 1)] for r < 32 (missing
// rows zero). Dequantized to f32 rows first (bit-exact dequantizers), then 8 rows' (k, k+1) pairs
// per gather, rounded to bf16 (nearest even).
void pack(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in, uint16_t* panel,
          float* scratch) {
  const DequantFn fn = avx2_dequantizer(type);
  const int64_t ld = PanelKernels::scratch_stride(n_in);
  for (int64_t r = 0; r < kRows; ++r) {
    float* dst = scratch + r * ld;
    if (r >= n_rows) {
      std::memset(dst, 0, static_cast<size_t>(n_in) * sizeof(float));
    } else if (fn != nullptr) {
      fn(w + static_cast<size_t>(r) * row_bytes, dst, n_in);
    } else {
      dequantize_row(type, w + static_cast<size_t>(r) * row_bytes, dst, n_in);
    }
  }
  const __m256i idx = _mm256_mullo_epi32(_mm256_set_epi32(7, 6, 5, 4, 3, 2, 1, 0),
                                         _mm256_set1_epi32(static_cast<int>(ld * 4)));
  for (int64_t k = 0; k < n_in; k += 2) {
    for (int g = 0; g < 4; ++g) {
      const __m512d pairs = _mm512_i32gather_pd(idx, scratch + g * 8 * ld + k, 1);
      const __m256bh bf = _mm512_cvtneps_pbh(_mm512_castpd_ps(pairs));
      _mm256_store_si256(reinterpret_cast<__m256i*>(panel + 32 * k + 16 * g), (__m256i)bf);
    }
  }
}

// Tokens [t0, t1) of x (f32 [n_tokens][n_in]) as bf16 rows of xb; rows from n_tokens on are zero.
void convert(const float* x, int64_t n_tokens, int64_t n_in, int64_t t0, int64_t t1, uint16_t* xb) {
  for (int64_t t = t0; t < t1; ++t) {
    uint16_t* out = xb + t * n_in;
    if (t >= n_tokens) {
      std::memset(out, 0, static_cast<size_t>(n_in) * 2);
      continue;
    }
    const float* in = x + t * n_in;
    int64_t i = 0;
    for (; i + 16 <= n_in; i += 16) {
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(out + i), (__m256i)_mm512_cvtneps_pbh(_mm512_loadu_ps(in + i)));
    }
    if (i < n_in) {
      const __mmask16 m = static_cast<__mmask16>((1u << (n_in - i)) - 1);
      _mm256_mask_storeu_epi16(out + i, m, (__m256i)_mm512_cvtneps_pbh(_mm512_maskz_loadu_ps(m, in + i)));
    }
  }
}

// y[t * ldy + r] for r < n_rows, t < n_tokens. xb: bf16 rows padded with zeros to a multiple of
// 32 tokens; n_in a multiple of 32.
__attribute__((target("amx-tile,amx-bf16"))) void gemm(const uint16_t* panel, int64_t n_in, int64_t n_rows,
                                                        const uint16_t* xb, int64_t n_tokens, float* y, int64_t ldy) {
  static const TileConfig config = full_tiles();
  _tile_loadconfig(&config);
  const size_t x_stride = static_cast<size_t>(n_in) * 2;  // bytes between token rows
  alignas(64) float tmp[16 * 16];
  for (int64_t t0 = 0; t0 < n_tokens; t0 += kTokens) {
    _tile_zero(0);
    _tile_zero(1);
    _tile_zero(2);
    _tile_zero(3);
    const uint16_t* a0 = xb + t0 * n_in;
    const uint16_t* a1 = a0 + 16 * n_in;
    for (int64_t k = 0; k < n_in; k += 32) {
      _tile_loadd(4, a0 + k, x_stride);
      _tile_loadd(5, a1 + k, x_stride);
      _tile_loadd(6, panel + 32 * k, 128);       // rows 0..15: 16 k-pairs of 64 bytes
      _tile_loadd(7, panel + 32 * k + 32, 128);  // rows 16..31
      _tile_dpbf16ps(0, 4, 6);
      _tile_dpbf16ps(1, 4, 7);
      _tile_dpbf16ps(2, 5, 6);
      _tile_dpbf16ps(3, 5, 7);
    }
    // C tile (tokens tb..tb+15) x (rows rb..rb+15): straight into y when whole, else via tmp.
    const auto store = [&](int tile, int64_t tb, int64_t rb) {
      const int64_t live_t = std::min<int64_t>(16, n_tokens - tb);
      const int64_t live_r = std::min<int64_t>(16, n_rows - rb);
      if (live_t <= 0 || live_r <= 0) return;
      float* dst = y + tb * ldy + rb;
      if (live_t == 16 && live_r == 16) {
        switch (tile) {
          case 0: _tile_stored(0, dst, ldy * 4); break;
          case 1: _tile_stored(1, dst, ldy * 4); break;
          case 2: _tile_stored(2, dst, ldy * 4); break;
          default: _tile_stored(3, dst, ldy * 4); break;
        }
        return;
      }
      switch (tile) {
        case 0: _tile_stored(0, tmp, 64); break;
        case 1: _tile_stored(1, tmp, 64); break;
        case 2: _tile_stored(2, tmp, 64); break;
        default: _tile_stored(3, tmp, 64); break;
      }
      const __mmask16 m = static_cast<__mmask16>((1u << live_r) - 1);
      for (int64_t t = 0; t < live_t; ++t) _mm512_mask_storeu_ps(dst + t * ldy, m, _mm512_load_ps(tmp + 16 * t));
    };
    store(0, t0, 0);
    store(1, t0, 16);
    store(2, t0 + 16, 0);
    store(3, t0 + 16, 16);
  }
  _tile_release();
}

AmxPanel make_panel() {
  AmxPanel p;
  const CpuFeatures& f = cpu_features();
  if (!(f.amx_tile && f.amx_bf16 && f.avx512bf16 && f.os_zmm) || !os_grants_amx()) return p;
  p.rows = kRows;
  p.tokens = kTokens;
  p.pack = pack;
  p.convert = convert;
  p.gemm = gemm;
  return p;
}

}  // namespace

const AmxPanel* amx_panel() {
  static const AmxPanel panel = make_panel();
  return panel.gemm != nullptr ? &panel : nullptr;
}

}  // namespace anvil::engine::kernels
