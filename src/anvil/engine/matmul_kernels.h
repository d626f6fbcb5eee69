// Internal to matmul.cpp: the kernel tables each CPU level provides (matmul_avx2.cpp,
// matmul_avx512.cpp) and the prepared activations they read. Algorithms: docs/QUANTIZATION.md
// ("Kernels").
#pragma once

#include <cstddef>
#include <cstdint>

#include "anvil/engine/ggml_type.h"
#include "anvil/engine/quants_blocks.h"

namespace anvil::engine::kernels {

// Activations quantized once per matmul for integer dot products, in blocks of 32 whatever the
// weight type (K-quant kernels apply them per 32-element sub-block: llama.cpp's 256-element
// activation blocks measured 2-3x less accurate with outlier channels). Per token t, row-major:
//   qs[t * n_in + i]          int8 codes, round(x / d) in [-127, 127]
//   d[t * n_in/32 + b]        f32 scale of block b
//   dexp[t * n_in/4 + j]      d of the block holding codes 4j..4j+3: each d repeated 8 times, one
//                             per 32-bit lane of a vpdpbusd / madd result
//   bsums[t * n_in/16 + g]    sum of the 16 codes of group g (K-quant mins and offsets)
//   lane[t * n_in/4 + j]      -offset * (sum of codes 4j .. 4j+3): the starting value of an
//                             integer dot-product lane, so that sum (c - offset) * q comes out of
//                             one vpdpbusd / maddubs chain on unsigned weight codes c
struct QuantActs {
  int64_t n_in = 0;
  int64_t n_tokens = 0;
  const int8_t* qs = nullptr;
  const float* d = nullptr;
  const float* dexp = nullptr;
  const int16_t* bsums = nullptr;
  const int32_t* lane = nullptr;  // only when the kernel asked for an offset
  // Kernels with their own activation layout (QuantKernel::pack): per token t, packed_stride
  // bytes at packed + t * packed_stride (64-byte aligned).
  const uint8_t* packed = nullptr;
  int64_t packed_stride = 0;
};

// Dot products of n_rows consecutive weight rows (starting at w, row_bytes apart) with tokens
// [0, n_tokens): y[t * ldy + r].
using QuantRowsFn = void (*)(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in,
                             const QuantActs& a, int64_t n_tokens, float* y, int64_t ldy);
using FloatRowsFn = void (*)(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in,
                             const float* x, int64_t n_tokens, float* y, int64_t ldy);

// Quantizes one token's n_in activations (a multiple of 32) into the QuantActs arrays of that
// token: qs [n_in], d [n_in/32], dexp [n_in/4], bsums [n_in/16], and lane [n_in/4] when
// offset != 0. Every implementation rounds the same way (x * (127 / amax), ties to even), so all
// levels produce identical codes.
using QuantizeActsFn = void (*)(const float* x, int64_t n_in, int offset, int8_t* qs, float* d, float* dexp,
                                int16_t* bsums, int32_t* lane);
void quantize_acts_ref(const float* x, int64_t n_in, int offset, int8_t* qs, float* d, float* dexp,
                       int16_t* bsums, int32_t* lane);
// The AVX2 one (matmul_avx2.cpp); the AVX-512 level uses it too.
QuantizeActsFn avx2_quantize_acts();

struct QuantKernel {
  QuantRowsFn fn = nullptr;
  int offset = 0;  // weight code offset folded into QuantActs::lane (0: lane not needed)
  // Optional second layout of the quantized activations that fn reads from QuantActs::packed:
  // packed_bytes(n_in) bytes per token, written by pack from that token's codes qs [n_in].
  int64_t (*packed_bytes)(int64_t n_in) = nullptr;
  void (*pack)(const int8_t* qs, int64_t n_in, uint8_t* out) = nullptr;
};

// The AVX-512 q4_0 kernel unpacking four blocks per zmm (matmul_q4_0_avx512.cpp); empty (null
// fn) on CPUs without AVX512-VBMI. Only call at the avx512 level.
QuantKernel avx512_q4_0_kernel();

// Prompt processing: weights dequantized a panel of `mr` rows at a time into a packed f32
// layout ([n_in][mr]: for each k, the mr rows' values) that the micro-kernel streams, reused
// across all tokens; the activations packed once per matmul in tiles of `nr` tokens
// ([tile][n_in][nr], see pack_tokens), so the micro-kernel's broadcasts read one stream.
struct PanelKernels {
  int mr = 0;  // rows per panel
  int nr = 0;  // tokens per micro-tile
  // Packs rows [0, n_rows) (n_rows <= mr; missing rows are zero) of w, each n_in elements of
  // `type`, into panel (64-byte aligned). scratch: mr rows of scratch_stride(n_in) floats.
  void (*pack)(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in,
               float* panel, float* scratch) = nullptr;
  // y[t * ldy + r] for r < n_rows, t < n_tokens; xpack: the tokens packed by pack_tokens.
  void (*gemm)(const float* panel, int64_t n_in, int64_t n_rows, const float* xpack, int64_t n_tokens,
               float* y, int64_t ldy) = nullptr;
  size_t panel_floats(int64_t n_in) const { return static_cast<size_t>(mr * n_in); }
  // Rows of the dequantized scratch are padded by 64 bytes: at a row stride that is a multiple of
  // 4 KiB (n_in = 1024, 2048, ...) the transposing gathers would hit one L1 set 16 times over.
  static int64_t scratch_stride(int64_t n_in) { return n_in + 16; }
  size_t scratch_floats(int64_t n_in) const { return static_cast<size_t>(mr * scratch_stride(n_in)); }
};

// Prompt processing on AMX tiles (matmul_amx_avx512.cpp): quantized weights as bf16 panels of
// `rows` rows ([n_in/2][rows][2]), activations as bf16 rows padded to a multiple of `tokens`.
struct AmxPanel {
  int rows = 0;
  int tokens = 0;
  void (*pack)(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in,
               uint16_t* panel, float* scratch) = nullptr;  // scratch as PanelKernels::pack
  // Tokens [t0, t1) of x into xb (rows past n_tokens zero).
  void (*convert)(const float* x, int64_t n_tokens, int64_t n_in, int64_t t0, int64_t t1, uint16_t* xb) = nullptr;
  void (*gemm)(const uint16_t* panel, int64_t n_in, int64_t n_rows, const uint16_t* xb, int64_t n_tokens,
               float* y, int64_t ldy) = nullptr;
};
// Null unless the CPU has AMX-BF16 and the OS grants the tile state.
const AmxPanel* amx_panel();

struct KernelSet {
  const char* name;
  QuantKernel quant[40] = {};   // by GgmlType id
  QuantizeActsFn quantize_acts = nullptr;
  FloatRowsFn floats[40] = {};  // by GgmlType id (f32, f16, bf16)
  PanelKernels panel;           // prompt processing
  // Fast dequantization of one row (null: use quants.cpp's reference dequantize_row).
  void (*dequantize[40])(const uint8_t* src, float* dst, int64_t n) = {};
};

// Tiles [tile0, tile1) of x [n_tokens, n_in] into xpack[tile][k][j] = x[tile * nr + j][k] (zero
// past the last token).
void pack_tokens(const float* x, int64_t n_tokens, int64_t n_in, int nr, int64_t tile0, int64_t tile1,
                 float* xpack);

// Bit-exact AVX2 dequantization of one row (same values as dequantize_row), for the types that
// have one (quants_avx2.cpp); null otherwise. Only call when cpu_level() >= kAvx2.
using DequantFn = void (*)(const uint8_t* src, float* dst, int64_t n);
DequantFn avx2_dequantizer(GgmlType type);

// Which kernel family matmul() uses for a weight type and token count at the current cpu_level()
// (tests use it to apply the right error bound).
enum class MatmulPath { kPortable, kFloatRows, kQuantRows, kPanel, kPanelAmx };
MatmulPath matmul_path(GgmlType type, int64_t n_in, int64_t n_tokens);

// Null when the level is not compiled in.
const KernelSet* avx2_kernels();
const KernelSet* avx512_kernels();

}  // namespace anvil::engine::kernels
