// matmul / get_rows entry points: choose a kernel for the weight type and CPU level, prepare the
// activations in the form that kernel reads, and split output rows across threads.
#include "anvil/engine/matmul.h"

#include <algorithm>
#include <cassert>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/quants.h"

namespace anvil::engine {
namespace {

// f32 dot product with 8 independent accumulators, so the compiler can keep them in vector
// registers without reassociating a single sum (which -O2 will not do for floats).
float dot_f32(const float* a, const float* b, int64_t n) {
  float acc[8] = {0, 0, 0, 0, 0, 0, 0, 0};
  int64_t i = 0;
  for (; i + 8 <= n; i += 8) {
    for (int k = 0; k < 8; ++k) acc[k] += a[i + k] * b[i + k];
  }
  float sum = ((acc[0] + acc[4]) + (acc[1] + acc[5])) + ((acc[2] + acc[6]) + (acc[3] + acc[7]));
  for (; i < n; ++i) sum += a[i] * b[i];
  return sum;
}

// Portable kernel: dequantize each weight row once into `row`, then dot it with every token.
void rows_portable(const MatrixView& w, const float* x, int64_t n_tokens, float* y, int64_t o0,
                   int64_t o1, std::vector<float>& row) {
  row.resize(static_cast<size_t>(w.n_in));
  for (int64_t o = o0; o < o1; ++o) {
    const float* wr = row.data();
    if (w.type == GgmlType::kF32) {
      wr = reinterpret_cast<const float*>(w.data + static_cast<size_t>(o) * w.row_bytes);
    } else {
      dequantize_row(w.type, w.data + static_cast<size_t>(o) * w.row_bytes, row.data(), w.n_in);
    }
    for (int64_t t = 0; t < n_tokens; ++t) {
      y[t * w.n_out + o] = dot_f32(wr, x + t * w.n_in, w.n_in);
    }
  }
}

}  // namespace

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y,
            core::ThreadPool* pool) {
  assert(w.n_in % ggml_traits(w.type).block_size == 0);
  if (n_tokens <= 0 || w.n_out <= 0) return;
  constexpr int64_t kRowsPerChunk = 16;
  const int64_t n_chunks = (w.n_out + kRowsPerChunk - 1) / kRowsPerChunk;
  auto run_chunk = [&](size_t c) {
    thread_local std::vector<float> row;
    const int64_t o0 = static_cast<int64_t>(c) * kRowsPerChunk;
    rows_portable(w, x, n_tokens, y, o0, std::min(w.n_out, o0 + kRowsPerChunk), row);
  };
  if (pool == nullptr || n_chunks == 1) {
    for (int64_t c = 0; c < n_chunks; ++c) run_chunk(static_cast<size_t>(c));
  } else {
    pool->parallel_for(0, static_cast<size_t>(n_chunks), run_chunk);
  }
}

void get_rows(const MatrixView& w, const int32_t* ids, int64_t n_ids, float* out) {
  for (int64_t j = 0; j < n_ids; ++j) {
    assert(ids[j] >= 0 && ids[j] < w.n_out);
    dequantize_row(w.type, w.data + static_cast<size_t>(ids[j]) * w.row_bytes, out + j * w.n_in,
                   w.n_in);
  }
}

}  // namespace anvil::engine
