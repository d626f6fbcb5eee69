// The engine's matrix products: weights in any supported type times f32 activations, with the
// fastest kernel the CPU offers chosen at run time, split across threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "anvil/engine/ggml_type.h"

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

// A weight matrix of n_out rows, each of n_in elements stored contiguously as `type`
// (PyTorch's [n_out, n_in]; GGUF's ne = {n_in, n_out}).
struct MatrixView {
  GgmlType type = GgmlType::kF32;
  const uint8_t* data = nullptr;
  int64_t n_in = 0;
  int64_t n_out = 0;
  size_t row_bytes = 0;
};

// y[t, o] = sum_i W[o, i] * x[t, i] for t < n_tokens.
// x: [n_tokens, n_in] f32 row-major; y: [n_tokens, n_out] f32 row-major.
// pool may be null (runs on the calling thread).
void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y,
            core::ThreadPool* pool);

// Rows [r0, r0 + n) of w: a matrix of n rows (output features r0 ..).
MatrixView row_slice(const MatrixView& w, int64_t r0, int64_t n);
// Columns [c0, c0 + n) of every row of w (input features c0 ..): c0 and n must be multiples of
// the type's block size; the rows keep w's stride.
MatrixView column_slice(const MatrixView& w, int64_t c0, int64_t n);

// One weight matrix of a matmul_many call and where its product goes: y [n_tokens, w.n_out].
struct MatmulTarget {
  MatrixView w;
  float* y = nullptr;
};

// matmul for several matrices that read the same activations (Q/K/V, gate/up): x is prepared
// (quantized, packed or converted) once, and the rows of all matrices share one parallel region
// instead of one each. Matrices of different types are multiplied one after the other, as by
// matmul. Every target needs w.n_in equal to the first's.
void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens,
                 core::ThreadPool* pool);

// out[j, :] = dequantized row ids[j] of w (an embedding lookup). out: [n_ids, n_in] f32.
void get_rows(const MatrixView& w, const int32_t* ids, int64_t n_ids, float* out);

}  // namespace anvil::engine
