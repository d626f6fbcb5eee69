// The matmul kernels whose algorithm is the same at every SIMD level, written once over a
// vector-traits type V (simd_avx2.h, simd_avx512.h) and instantiated by matmul_avx2.cpp and
// matmul_avx512.cpp, each compiled with its own instruction set: float rows (f32/f16/bf16 weights
// converted on the fly), the f32 prompt panel (pack + register-blocked micro-kernel), and the
// per-row driver of the integer row kernels. Everything is in an anonymous namespace: a copy per
// TU, so the linker cannot mix instantiations of different levels.
#pragma once

#include <immintrin.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/quants.h"

namespace anvil::engine::kernels {
namespace {

constexpr int kMaxTokens = 4;  // tokens sharing one unpacked weight block in the row kernels

// Calls body(nt_constant, t0) for token chunks of up to kMaxTokens, with the chunk size as a
// compile-time constant so accumulators stay in registers.
template <typename Body>
inline void token_chunks(int64_t n_tokens, Body&& body) {
  int64_t t0 = 0;
  for (; t0 + 4 <= n_tokens; t0 += 4) body(std::integral_constant<int, 4>{}, t0);
  switch (n_tokens - t0) {
    case 3: body(std::integral_constant<int, 3>{}, t0); break;
    case 2: body(std::integral_constant<int, 2>{}, t0); break;
    case 1: body(std::integral_constant<int, 1>{}, t0); break;
    default: break;
  }
}

// Software prefetch of the weight stream kPrefetchBytes ahead of the bytes about to be read, issued
// as each block (or group of blocks) is reached: rows are contiguous, so near the end of a row
// this fetches the next one. The hardware prefetchers alone left decode at ~60% of the read
// bandwidth; prefetching once per row left long rows (n_in = 4864) behind (docs/QUANTIZATION.md).
constexpr size_t kPrefetchBytes = 2048;

inline void prefetch_block(const void* p, size_t bytes) {
  const char* q = static_cast<const char*>(p) + kPrefetchBytes;
  for (size_t off = 0; off < bytes; off += 64) _mm_prefetch(q + off, _MM_HINT_T0);
}

// The row kernels read each weight row once, so their speed is the memory's. Two threads reading
// one sequential stream each get ~16-20 GB/s on the development machine, four streams each
// ~24-29 GB/s (stream_bench Read vs Read4: more misses in flight, as the L2 streamer and the
// software prefetches run ahead on each stream; docs/QUANTIZATION.md, "Decode streams"). So a
// call's rows [0, n) are read as kDecodeStreams interleaved streams: rows i, i + h, i + 2h, i + 3h
// (h = n / 4) for each i < h.
constexpr int kDecodeStreams = 4;

// Calls fn(r) once for every r < n_rows, in stream order (above), the n_rows % 4 last rows last.
template <typename Fn>
inline void for_rows_in_streams(int64_t n_rows, Fn&& fn) {
  const int64_t h = n_rows / kDecodeStreams;
  for (int64_t i = 0; i < h; ++i) {
#pragma GCC unroll 4
    for (int s = 0; s < kDecodeStreams; ++s) fn(i + s * h);
  }
  for (int64_t r = h * kDecodeStreams; r < n_rows; ++r) fn(r);
}

// Prefetch distance inside one stream of consecutive rows: whole rows, at least kPrefetchBytes.
inline size_t stream_ahead(size_t row_bytes) { return (kPrefetchBytes + row_bytes - 1) / row_bytes * row_bytes; }

// Integer row kernels: Row<NT>::run(row, n_in, acts, t0, out[NT]) per row and token chunk.
template <template <int> class Row>
void quant_rows(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in, const QuantActs& a,
                int64_t n_tokens, float* y, int64_t ldy) {
  for_rows_in_streams(n_rows, [&](int64_t r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    token_chunks(n_tokens, [&](auto nt, int64_t t0) {
      float out[kMaxTokens];
      Row<decltype(nt)::value>::run(row, n_in, a, t0, out);
      for (int t = 0; t < decltype(nt)::value; ++t) y[(t0 + t) * ldy + r] = out[t];
    });
  });
}

// ---------------------------------------------------------------- f32 / f16 / bf16 rows

template <class V>
struct WeightsF32 {
  static constexpr int kBytes = 4;
  static typename V::F load(const uint8_t* row, int64_t i) { return V::load(reinterpret_cast<const float*>(row) + i); }
  static typename V::F load_first(const uint8_t* row, int64_t i, int64_t n) {
    return V::load_first(reinterpret_cast<const float*>(row) + i, n);
  }
};
template <class V>
struct WeightsF16 {
  static constexpr int kBytes = 2;
  static typename V::F load(const uint8_t* row, int64_t i) { return V::load(reinterpret_cast<const uint16_t*>(row) + i); }
  static typename V::F load_first(const uint8_t* row, int64_t i, int64_t n) {
    return V::load_first(reinterpret_cast<const uint16_t*>(row) + i, n);
  }
};
template <class V>
struct WeightsBF16 {
  static constexpr int kBytes = 2;
  static typename V::F load(const uint8_t* row, int64_t i) {
    return V::load_bf16(reinterpret_cast<const uint16_t*>(row) + i);
  }
  static typename V::F load_first(const uint8_t* row, int64_t i, int64_t n) {
    return V::load_first_bf16(reinterpret_cast<const uint16_t*>(row) + i, n);
  }
};

// Dot products of one weight row with NT tokens (from t0): two vectors per step, two chains per
// token, the tail through partial loads.
template <class V, class W, int NT>
void float_row(const uint8_t* row, int64_t n_in, const float* x, int64_t t0, float* out) {
  constexpr int L = V::kLanes;
  static_assert(32 % (2 * L) == 0);
  typename V::F acc0[NT], acc1[NT];
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) acc0[t] = acc1[t] = V::zero();
  int64_t i = 0;
  for (; i + 2 * L <= n_in; i += 2 * L) {
    if (i % 32 == 0) prefetch_block(row + i * W::kBytes, 32 * W::kBytes);
    const typename V::F w0 = W::load(row, i), w1 = W::load(row, i + L);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) {
      const float* xt = x + (t0 + t) * n_in + i;
      acc0[t] = V::fmadd(w0, V::load(xt), acc0[t]);
      acc1[t] = V::fmadd(w1, V::load(xt + L), acc1[t]);
    }
  }
  for (; i < n_in; i += L) {
    const typename V::F w0 = W::load_first(row, i, n_in - i);
#pragma GCC unroll 16
    for (int t = 0; t < NT; ++t) acc0[t] = V::fmadd(w0, V::load_first(x + (t0 + t) * n_in + i, n_in - i), acc0[t]);
  }
#pragma GCC unroll 16
  for (int t = 0; t < NT; ++t) out[t] = V::hsum(V::add(acc0[t], acc1[t]));
}

template <class V, class W>
void float_rows(const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in, const float* x, int64_t n_tokens,
                float* y, int64_t ldy) {
  for_rows_in_streams(n_rows, [&](int64_t r) {
    const uint8_t* row = w + static_cast<size_t>(r) * row_bytes;
    token_chunks(n_tokens, [&](auto nt, int64_t t0) {
      float out[kMaxTokens];
      float_row<V, W, decltype(nt)::value>(row, n_in, x, t0, out);
      for (int t = 0; t < decltype(nt)::value; ++t) y[(t0 + t) * ldy + r] = out[t];
    });
  });
}

// ---------------------------------------------------------------- f32 panel (prompt processing)

// Panels of two vectors of rows (2 * lanes), micro-tiles of kTokens tokens: 2 * kTokens
// accumulators plus two weight registers.
template <class V, int kTokens>
struct Panel {
  static constexpr int kRows = 2 * V::kLanes;

  // Panel [n_in][kRows] (for each k, the rows' values): rows [0, n_rows) of w dequantized into
  // scratch [kRows][scratch_stride] (missing rows zero), then transposed with gathers.
  static void pack(GgmlType type, const uint8_t* w, size_t row_bytes, int64_t n_rows, int64_t n_in, float* panel,
                   float* scratch) {
    const DequantFn fn = avx2_dequantizer(type);
    const int64_t ld = PanelKernels::scratch_stride(n_in);
    for (int64_t r = 0; r < kRows; ++r) {
      float* dst = scratch + r * ld;
      const uint8_t* src = w + static_cast<size_t>(r) * row_bytes;
      if (r >= n_rows) {
        std::memset(dst, 0, static_cast<size_t>(n_in) * sizeof(float));
      } else if (type == GgmlType::kF32) {
        std::memcpy(dst, src, static_cast<size_t>(n_in) * sizeof(float));
      } else if (fn != nullptr) {
        fn(src, dst, n_in);
      } else {
        dequantize_row(type, src, dst, n_in);
      }
    }
    constexpr int L = V::kLanes;
    const float* hi = scratch + L * ld;
    const int stride = static_cast<int>(ld);
    for (int64_t k = 0; k < n_in; ++k) {
      V::store_aligned(panel + kRows * k, V::gather_column(scratch + k, stride));
      V::store_aligned(panel + kRows * k + L, V::gather_column(hi + k, stride));
    }
  }

  // NR tokens (packed: x[k * kTokens + t]) x the panel's rows, of which n_rows are stored.
  template <int NR>
  static void tile(const float* panel, int64_t n_in, const float* x, float* y, int64_t ldy, int64_t n_rows) {
    constexpr int L = V::kLanes;
    typename V::F c0[NR], c1[NR];
#pragma GCC unroll 16
    for (int t = 0; t < NR; ++t) c0[t] = c1[t] = V::zero();
    for (int64_t k = 0; k < n_in; ++k) {
      const typename V::F w0 = V::load_aligned(panel + kRows * k);
      const typename V::F w1 = V::load_aligned(panel + kRows * k + L);
#pragma GCC unroll 16
      for (int t = 0; t < NR; ++t) {
        const typename V::F xb = V::set1(x[k * kTokens + t]);
        c0[t] = V::fmadd(w0, xb, c0[t]);
        c1[t] = V::fmadd(w1, xb, c1[t]);
      }
    }
#pragma GCC unroll 16
    for (int t = 0; t < NR; ++t) {
      V::store_first(y + t * ldy, c0[t], n_rows);
      if (n_rows > L) V::store_first(y + t * ldy + L, c1[t], n_rows - L);
    }
  }

  // The last tile, of `rest` < kTokens tokens, with its size as a compile-time constant.
  template <int NR>
  static void rest_tile(int64_t rest, const float* panel, int64_t n_in, const float* x, float* y, int64_t ldy,
                        int64_t n_rows) {
    if constexpr (NR > 0) {
      if (rest == NR) {
        tile<NR>(panel, n_in, x, y, ldy, n_rows);
      } else {
        rest_tile<NR - 1>(rest, panel, n_in, x, y, ldy, n_rows);
      }
    }
  }

  // Token tiles of kTokens (x packed by pack_tokens), then the remainder.
  static void gemm(const float* panel, int64_t n_in, int64_t n_rows, const float* x, int64_t n_tokens, float* y,
                   int64_t ldy) {
    int64_t t = 0;
    for (; t + kTokens <= n_tokens; t += kTokens) tile<kTokens>(panel, n_in, x + t * n_in, y + t * ldy, ldy, n_rows);
    rest_tile<kTokens - 1>(n_tokens - t, panel, n_in, x + t * n_in, y + t * ldy, ldy, n_rows);
  }

  static PanelKernels kernels() { return {kRows, kTokens, pack, gemm}; }
};

// The float-row and f32-panel entries of a level's kernel table.
template <class V, int kPanelTokens>
void add_shared_kernels(KernelSet& k) {
  k.floats[static_cast<int>(GgmlType::kF32)] = float_rows<V, WeightsF32<V>>;
  k.floats[static_cast<int>(GgmlType::kF16)] = float_rows<V, WeightsF16<V>>;
  k.floats[static_cast<int>(GgmlType::kBF16)] = float_rows<V, WeightsBF16<V>>;
  k.panel = Panel<V, kPanelTokens>::kernels();
  for (int i = 0; i < 40; ++i) k.dequantize[i] = avx2_dequantizer(static_cast<GgmlType>(i));
}

}  // namespace
}  // namespace anvil::engine::kernels
