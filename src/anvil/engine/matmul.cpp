// matmul / get_rows entry points: choose a kernel for the weight type and CPU level, prepare the
// activations in the form that kernel reads, and split output rows across threads.
//
// Paths (docs/QUANTIZATION.md, "Kernels"):
//   portable  every type: dequantize a weight row to f32, dot it with each token in f32.
//   rows      few tokens (decode): q4_0/q8_0/q4_K/q6_K rows against int8-quantized activations;
//             f32/f16/bf16 rows against the f32 activations. Memory-bound: each weight row is
//             streamed once and reused for every token while it sits in L1.
//   panel     many tokens (prompt): a panel of weight rows dequantized once into a packed f32
//             layout, then a register-blocked micro-kernel over all tokens (compute-bound).
//             On CPUs with AMX, quantized weights use bf16 tiles instead (matmul_amx_avx512.cpp).
#include "anvil/engine/matmul.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstring>
#include <span>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/matmul_kernels.h"
#include "anvil/engine/parallel.h"
#include "anvil/engine/quants.h"

namespace anvil::engine {
namespace {

using kernels::KernelSet;
using kernels::QuantActs;

// From this many tokens on, the panel path wins over the row kernels: packing a panel costs about
// 0.4 ns per weight, which ~32 tokens of register-blocked FMAs amortize (measured on 1024 x 1024
// q4_0 / q4_K; see docs/QUANTIZATION.md, "Kernels").
constexpr int64_t kPanelMinTokens = 32;

const KernelSet* kernel_set(CpuLevel level) {
  switch (level) {
    case CpuLevel::kAvx512: return kernels::avx512_kernels();
    case CpuLevel::kAvx2: return kernels::avx2_kernels();
    case CpuLevel::kPortable: return nullptr;
  }
  return nullptr;
}

int type_index(GgmlType t) { return static_cast<int>(t); }

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

// Portable rows: dequantize each weight row once into `row`, then dot it with every token.
void rows_portable(const MatrixView& w, const float* x, int64_t n_tokens, float* y, int64_t o0,
                   int64_t o1, const KernelSet* ks) {
  thread_local std::vector<float> row;
  row.resize(static_cast<size_t>(w.n_in));
  auto* fast = ks != nullptr ? ks->dequantize[type_index(w.type)] : nullptr;
  for (int64_t o = o0; o < o1; ++o) {
    const uint8_t* src = w.data + static_cast<size_t>(o) * w.row_bytes;
    const float* wr = row.data();
    if (w.type == GgmlType::kF32) {
      wr = reinterpret_cast<const float*>(src);
    } else if (fast != nullptr) {
      fast(src, row.data(), w.n_in);
    } else {
      dequantize_row(w.type, src, row.data(), w.n_in);
    }
    for (int64_t t = 0; t < n_tokens; ++t) {
      y[t * w.n_out + o] = dot_f32(wr, x + t * w.n_in, w.n_in);
    }
  }
}

// Buffers behind a QuantActs, reused across calls on the calling thread.
struct QuantActsStorage {
  std::vector<int8_t> qs;
  std::vector<float> d;
  std::vector<int16_t> bsums;
  std::vector<int32_t> lane;
  std::vector<float> dexp;
  std::vector<uint8_t> packed;
};

// Quantizes x [n_tokens, n_in] for the int8 row kernels (one f32 scale per 32 values; see
// QuantActs) with the level's quantizer.
QuantActs quantize_acts(const KernelSet* ks, const float* x, int64_t n_tokens, int64_t n_in,
                        const kernels::QuantKernel& qk, QuantActsStorage& s) {
  const int offset = qk.offset;
  s.qs.resize(static_cast<size_t>(n_tokens * n_in));
  s.d.resize(static_cast<size_t>(n_tokens * n_in / 32));
  s.dexp.resize(static_cast<size_t>(n_tokens * n_in / 4));
  s.bsums.resize(static_cast<size_t>(n_tokens * n_in / 16));
  if (offset != 0) s.lane.resize(static_cast<size_t>(n_tokens * n_in / 4));
  const kernels::QuantizeActsFn fn = ks->quantize_acts != nullptr ? ks->quantize_acts : kernels::quantize_acts_ref;
  for (int64_t t = 0; t < n_tokens; ++t) {
    fn(x + t * n_in, n_in, offset, s.qs.data() + t * n_in, s.d.data() + t * (n_in / 32),
       s.dexp.data() + t * (n_in / 4), s.bsums.data() + t * (n_in / 16),
       offset != 0 ? s.lane.data() + t * (n_in / 4) : nullptr);
  }
  QuantActs a;
  a.n_in = n_in;
  a.n_tokens = n_tokens;
  a.qs = s.qs.data();
  a.d = s.d.data();
  a.dexp = s.dexp.data();
  a.bsums = s.bsums.data();
  a.lane = offset != 0 ? s.lane.data() : nullptr;
  if (qk.pack != nullptr) {
    // Rounded to whole cache lines, so every token's records start 64-byte aligned.
    a.packed_stride = (qk.packed_bytes(n_in) + 63) / 64 * 64;
    s.packed.resize(static_cast<size_t>(n_tokens * a.packed_stride + 64));
    auto* base = reinterpret_cast<uint8_t*>((reinterpret_cast<uintptr_t>(s.packed.data()) + 63) & ~uintptr_t{63});
    for (int64_t t = 0; t < n_tokens; ++t) qk.pack(s.qs.data() + t * n_in, n_in, base + t * a.packed_stride);
    a.packed = base;
  }
  return a;
}

// Row chunks of the matrices of one matmul_many call, numbered back to back: chunk c is rows
// [o0, o1) of target j, chunks of `grain` rows (a matrix's last one shorter). Panel paths use a
// grain of one panel.
class RowChunks {
 public:
  RowChunks(std::span<const MatmulTarget> targets, int64_t grain) : targets_(targets), grain_(grain) {
    for (const MatmulTarget& t : targets) total_ += (t.w.n_out + grain - 1) / grain;
  }
  int64_t size() const { return total_; }

  template <typename Fn>  // fn(target, o0, o1)
  void run(int64_t c, const Fn& fn) const {
    for (const MatmulTarget& t : targets_) {
      const int64_t n = (t.w.n_out + grain_ - 1) / grain_;
      if (c < n) {
        fn(t, c * grain_, std::min(t.w.n_out, (c + 1) * grain_));
        return;
      }
      c -= n;
    }
  }

 private:
  std::span<const MatmulTarget> targets_;
  int64_t grain_;
  int64_t total_ = 0;
};

// Runs fn(target, o0, o1) over every chunk on the team (inline when there is no pool or a single
// chunk).
template <typename Fn>
void for_chunks(const RowChunks& chunks, core::ThreadPool* pool, const Fn& fn) {
  if (pool == nullptr || chunks.size() <= 1) {
    for (int64_t c = 0; c < chunks.size(); ++c) chunks.run(c, fn);
    return;
  }
  parallel_run(pool, chunks.size(), [&](int64_t c) { chunks.run(c, fn); });
}

// Splits [0, n) into chunks of `grain` and runs fn(begin, end) on the team (or inline when there
// is no pool or a single chunk).
template <typename Fn>
void for_row_chunks(int64_t n, int64_t grain, core::ThreadPool* pool, const Fn& fn) {
  const int64_t n_chunks = (n + grain - 1) / grain;
  if (pool == nullptr || n_chunks <= 1) {
    fn(int64_t{0}, n);
    return;
  }
  parallel_run(pool, n_chunks, [&](int64_t c) {
    const int64_t b = c * grain;
    fn(b, std::min(n, b + grain));
  });
}

// Rows per chunk: about 16 chunks per thread, a multiple of `align`, at least 16 rows. A chunk
// costs little to start (no per-chunk setup in the row kernels), and with small chunks a thread
// that was descheduled or got the slower rows is balanced by the others instead of keeping them
// waiting at the end of every one of the ~100 matmul regions of a decode step.
int64_t row_grain(int64_t n_rows, core::ThreadPool* pool, int64_t align) {
  const int64_t threads = pool != nullptr ? static_cast<int64_t>(pool->size()) + 1 : 1;
  int64_t grain = (n_rows + threads * 16 - 1) / (threads * 16);
  grain = std::max<int64_t>(grain, 16);
  return (grain + align - 1) / align * align;
}

int64_t total_rows(std::span<const MatmulTarget> targets) {
  int64_t n = 0;
  for (const MatmulTarget& t : targets) n += t.w.n_out;
  return n;
}

void matmul_panel(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens, core::ThreadPool* pool,
                  const kernels::PanelKernels& pk) {
  const int64_t n_in = targets[0].w.n_in;
  const int64_t n_tiles = (n_tokens + pk.nr - 1) / pk.nr;
  thread_local std::vector<float> xpack;
  xpack.resize(static_cast<size_t>(n_tiles * n_in * pk.nr));
  float* xp = xpack.data();
  for_row_chunks(n_tiles, 4, pool, [&](int64_t t0, int64_t t1) {
    kernels::pack_tokens(x, n_tokens, n_in, pk.nr, t0, t1, xp);
  });
  for_chunks(RowChunks(targets, pk.mr), pool, [&](const MatmulTarget& t, int64_t r0, int64_t r1) {
    thread_local std::vector<float> panel;
    thread_local std::vector<float> scratch;
    panel.resize(pk.panel_floats(n_in) + 16);
    scratch.resize(pk.scratch_floats(n_in));
    // 64-byte aligned panel start: the micro-kernels use aligned loads.
    float* pp = reinterpret_cast<float*>((reinterpret_cast<uintptr_t>(panel.data()) + 63) & ~uintptr_t{63});
    const MatrixView& w = t.w;
    pk.pack(w.type, w.data + static_cast<size_t>(r0) * w.row_bytes, w.row_bytes, r1 - r0, n_in, pp, scratch.data());
    pk.gemm(pp, n_in, r1 - r0, xp, n_tokens, t.y + r0, w.n_out);
  });
}

// Prompt on AMX tiles: activations to bf16 once, then per panel of rows a bf16 pack and the tile
// product over all tokens.
void matmul_panel_amx(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens,
                      core::ThreadPool* pool, const kernels::AmxPanel& ap) {
  const int64_t n_in = targets[0].w.n_in;
  const int64_t padded = (n_tokens + ap.tokens - 1) / ap.tokens * ap.tokens;
  thread_local std::vector<uint16_t> xb;
  xb.resize(static_cast<size_t>(padded * n_in));
  uint16_t* xbp = xb.data();
  for_row_chunks(padded, 16, pool, [&](int64_t t0, int64_t t1) { ap.convert(x, n_tokens, n_in, t0, t1, xbp); });
  for_chunks(RowChunks(targets, ap.rows), pool, [&](const MatmulTarget& t, int64_t r0, int64_t r1) {
    thread_local std::vector<uint16_t> panel;
    thread_local std::vector<float> scratch;
    panel.resize(static_cast<size_t>(ap.rows * n_in) + 32);
    scratch.resize(static_cast<size_t>(ap.rows * kernels::PanelKernels::scratch_stride(n_in)));
    auto* pp = reinterpret_cast<uint16_t*>((reinterpret_cast<uintptr_t>(panel.data()) + 63) & ~uintptr_t{63});
    const MatrixView& w = t.w;
    ap.pack(w.type, w.data + static_cast<size_t>(r0) * w.row_bytes, w.row_bytes, r1 - r0, n_in, pp, scratch.data());
    ap.gemm(pp, n_in, r1 - r0, xbp, n_tokens, t.y + r0, w.n_out);
  });
}

bool is_float_type(GgmlType t) { return t == GgmlType::kF32 || t == GgmlType::kF16 || t == GgmlType::kBF16; }

// The kernel family for a weight type and token count (see the comment at the top).
kernels::MatmulPath choose_path(const KernelSet* ks, GgmlType type, int64_t n_in, int64_t n_tokens) {
  using kernels::MatmulPath;
  if (ks == nullptr) return MatmulPath::kPortable;
  const int ti = type_index(type);
  if (n_tokens >= kPanelMinTokens) {
    // Quantized weights go to the AMX tiles when there are any (bf16 products, ~3x the f32 panel);
    // float weights keep the f32 panel, which is exact to f32 rounding.
    if (ks == kernels::avx512_kernels() && !is_float_type(type) && n_in % 32 == 0 && kernels::amx_panel() != nullptr) {
      return MatmulPath::kPanelAmx;
    }
    if (ks->panel.gemm != nullptr) return MatmulPath::kPanel;
  }
  if (ks->quant[ti].fn != nullptr && n_in % 32 == 0) return MatmulPath::kQuantRows;
  if (ks->floats[ti] != nullptr) return MatmulPath::kFloatRows;
  return MatmulPath::kPortable;
}

}  // namespace

// d = amax / 127, q = round(x * (127 / amax)) with ties to even (the 1.5 * 2^23 trick: libm's
// nearbyint is a function call on baseline x86-64, ~50x slower than the SIMD versions).
void kernels::quantize_acts_ref(const float* x, int64_t n_in, int offset, int8_t* qs, float* d, float* dexp,
                                int16_t* bsums, int32_t* lane) {
  for (int64_t b = 0; b < n_in / 32; ++b) {
    const float* xb = x + b * 32;
    int8_t* qb = qs + b * 32;
    float amax = 0.0f;
    for (int i = 0; i < 32; ++i) amax = std::max(amax, std::fabs(xb[i]));
    const float db = amax / 127.0f;
    const float id = db != 0.0f ? 127.0f / amax : 0.0f;
    for (int i = 0; i < 32; ++i) {
      const float v = xb[i] * id + 12582912.0f;  // |x * id| <= 127: exact integer in the mantissa
      int32_t bits;
      std::memcpy(&bits, &v, 4);
      qb[i] = static_cast<int8_t>(std::clamp((bits & 0x007fffff) - 0x00400000, -127, 127));
    }
    d[b] = db;
    std::fill_n(dexp + b * 8, 8, db);
  }
  for (int64_t g = 0; g < n_in / 16; ++g) {
    int sum = 0;
    for (int i = 0; i < 16; ++i) sum += qs[g * 16 + i];
    bsums[g] = static_cast<int16_t>(sum);
  }
  if (offset != 0) {
    for (int64_t j = 0; j < n_in / 4; ++j) lane[j] = -offset * (qs[4 * j] + qs[4 * j + 1] + qs[4 * j + 2] + qs[4 * j + 3]);
  }
}

void kernels::pack_tokens(const float* x, int64_t n_tokens, int64_t n_in, int nr, int64_t tile0, int64_t tile1,
                          float* xpack) {
  for (int64_t tile = tile0; tile < tile1; ++tile) {
    float* dst = xpack + tile * n_in * nr;
    const int live = static_cast<int>(std::min<int64_t>(nr, n_tokens - tile * nr));
    const float* src = x + tile * nr * n_in;
    // k outer: the writes are one contiguous stream, the reads `live` sequential ones.
    for (int64_t k = 0; k < n_in; ++k) {
      float* d = dst + k * nr;
      for (int j = 0; j < live; ++j) d[j] = src[j * n_in + k];
      for (int j = live; j < nr; ++j) d[j] = 0.0f;
    }
  }
}

kernels::MatmulPath kernels::matmul_path(GgmlType type, int64_t n_in, int64_t n_tokens) {
  return choose_path(kernel_set(cpu_level()), type, n_in, n_tokens);
}

namespace {

// matmul_many for targets of one type.
void matmul_same_type(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens,
                      core::ThreadPool* pool) {
  using kernels::MatmulPath;
  const GgmlType type = targets[0].w.type;
  const int64_t n_in = targets[0].w.n_in;
  const KernelSet* ks = kernel_set(cpu_level());
  const int ti = type_index(type);
  const MatmulPath path = choose_path(ks, type, n_in, n_tokens);
  if (path == MatmulPath::kPanel) {
    matmul_panel(targets, x, n_tokens, pool, ks->panel);
    return;
  }
  if (path == MatmulPath::kPanelAmx) {
    matmul_panel_amx(targets, x, n_tokens, pool, *kernels::amx_panel());
    return;
  }
  const int64_t rows = total_rows(targets);
  if (path == MatmulPath::kQuantRows) {
    const kernels::QuantKernel& qk = ks->quant[ti];
    thread_local QuantActsStorage storage;
    const QuantActs a = quantize_acts(ks, x, n_tokens, n_in, qk, storage);
    for_chunks(RowChunks(targets, row_grain(rows, pool, 4)), pool,
               [&](const MatmulTarget& t, int64_t o0, int64_t o1) {
                 qk.fn(t.w.data + static_cast<size_t>(o0) * t.w.row_bytes, t.w.row_bytes, o1 - o0, n_in, a, n_tokens,
                       t.y + o0, t.w.n_out);
               });
    return;
  }
  if (path == MatmulPath::kFloatRows) {
    const auto fn = ks->floats[ti];
    for_chunks(RowChunks(targets, row_grain(rows, pool, 4)), pool,
               [&](const MatmulTarget& t, int64_t o0, int64_t o1) {
                 fn(t.w.data + static_cast<size_t>(o0) * t.w.row_bytes, t.w.row_bytes, o1 - o0, n_in, x, n_tokens,
                    t.y + o0, t.w.n_out);
               });
    return;
  }
  for_chunks(RowChunks(targets, row_grain(rows, pool, 1)), pool,
             [&](const MatmulTarget& t, int64_t o0, int64_t o1) { rows_portable(t.w, x, n_tokens, t.y, o0, o1, ks); });
}

}  // namespace

void matmul_many(std::span<const MatmulTarget> targets, const float* x, int64_t n_tokens,
                 core::ThreadPool* pool) {
  if (n_tokens <= 0 || targets.empty()) return;
  for (const MatmulTarget& t : targets) {
    assert(t.w.n_in == targets[0].w.n_in);
    assert(t.w.n_in % ggml_traits(t.w.type).block_size == 0);
    (void)t;
  }
  // Runs of consecutive targets of one type share the prepared activations and one region.
  size_t b = 0;
  while (b < targets.size()) {
    size_t e = b + 1;
    while (e < targets.size() && targets[e].w.type == targets[b].w.type) ++e;
    matmul_same_type(targets.subspan(b, e - b), x, n_tokens, pool);
    b = e;
  }
}

void matmul(const MatrixView& w, const float* x, int64_t n_tokens, float* y,
            core::ThreadPool* pool) {
  const MatmulTarget t{w, y};
  matmul_many(std::span(&t, 1), x, n_tokens, pool);
}

MatrixView row_slice(const MatrixView& w, int64_t r0, int64_t n) {
  assert(r0 >= 0 && n >= 0 && r0 + n <= w.n_out);
  MatrixView v = w;
  v.data = w.data + static_cast<size_t>(r0) * w.row_bytes;
  v.n_out = n;
  return v;
}

MatrixView column_slice(const MatrixView& w, int64_t c0, int64_t n) {
  const GgmlTypeTraits& tr = ggml_traits(w.type);
  assert(c0 >= 0 && n >= 0 && c0 + n <= w.n_in && c0 % tr.block_size == 0 && n % tr.block_size == 0);
  MatrixView v = w;
  v.data = w.data + static_cast<size_t>(c0 / tr.block_size * tr.type_size);
  v.n_in = n;
  return v;
}

void get_rows(const MatrixView& w, const int32_t* ids, int64_t n_ids, float* out) {
  const KernelSet* ks = kernel_set(cpu_level());
  auto* fast = ks != nullptr ? ks->dequantize[type_index(w.type)] : nullptr;
  for (int64_t j = 0; j < n_ids; ++j) {
    assert(ids[j] >= 0 && ids[j] < w.n_out);
    const uint8_t* src = w.data + static_cast<size_t>(ids[j]) * w.row_bytes;
    if (fast != nullptr) {
      fast(src, out + j * w.n_in, w.n_in);
    } else {
      dequantize_row(w.type, src, out + j * w.n_in, w.n_in);
    }
  }
}

}  // namespace anvil::engine
