// The engine's matmuls on the shapes of a Qwen2.5-0.5B decoder (24 layers, d=896, 14 heads / 2
// KV heads of 64, FFN 4864, vocab 151,936, tied output): every weight matrix of the model laid out
// in memory once (no reuse across layers, as in a real forward pass), random blocks with sane
// scales (kernel speed does not depend on the values).
//
//   tg: one token through all 24 x 7 layer matmuls + the output projection: ms per token and the
//       bandwidth it implies (weight bytes / time), to compare with bench/stream_bench.
//   pp: N tokens (default 512) through the 24 x 7 layer matmuls (the output projection runs for
//       the last token only in a prompt): tokens/s and GFLOP/s (2 x params x tokens), to compare
//       with bench/fma_peak_bench.
//   overhead: the cost of one parallel_run on the team, the fixed cost each matmul pays.
//
//   build-x/bench/matmul_bench --type q4_0 --mode tg [--threads 2] [--reps 9] [--tokens 512]
//                              [--cpu portable|avx2|avx512] [--hot 1] [--clock wall|cpu]
//                              [--reference 1]
//
// Prints medians (and min / max) over the repetitions. --reference 1 alternates each repetition
// with the bound it is judged against, on the same threads and clock: tg with a read-only
// stream over 512 MiB (stream_bench's Read), pp with the AVX-512 FMA loop of fma_peak_bench. The
// median of the per-repetition ratios is then robust to a machine whose load changes between
// separate runs. --clock cpu divides the process CPU time
// by the thread count instead of reading the wall clock: on a machine shared with other work it
// leaves out the time the threads were not running (spinning workers still count).
// Results: docs/BENCHMARKS.md.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "anvil/core/thread_pool.h"
#include "anvil/engine/cpu_features.h"
#include "anvil/engine/fp16.h"
#include "anvil/engine/ggml_type.h"
#include "anvil/engine/matmul.h"
#include "anvil/engine/parallel.h"

namespace {

using anvil::engine::GgmlType;
using anvil::engine::MatrixView;

struct Options {
  std::string type = "q4_0";
  std::string mode = "tg";
  int threads = 2;
  int reps = 9;
  int64_t tokens = 512;
  std::string cpu;
  bool hot = false;  // every layer uses layer 0's weights (cache-resident): compute speed alone
  bool cpu_clock = false;
  bool reference = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--type") o.type = v;
    else if (k == "--mode") o.mode = v;
    else if (k == "--threads") o.threads = std::atoi(v.c_str());
    else if (k == "--reps") o.reps = std::atoi(v.c_str());
    else if (k == "--tokens") o.tokens = std::atoll(v.c_str());
    else if (k == "--cpu") o.cpu = v;
    else if (k == "--hot") o.hot = v == "1";
    else if (k == "--clock") o.cpu_clock = v == "cpu";
    else if (k == "--reference") o.reference = v == "1";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

// One weight matrix [n_out, n_in] of random blocks; f16 scale fields hold values in
// [2^-10, 2^-4] so that outputs stay finite.
struct Matrix {
  std::vector<uint8_t> data;
  MatrixView view;
};

std::vector<int> f16_offsets(GgmlType t) {
  switch (t) {
    case GgmlType::kQ4_0: case GgmlType::kQ5_0: case GgmlType::kQ8_0: return {0};
    case GgmlType::kQ4_1: case GgmlType::kQ5_1: case GgmlType::kQ4_K: case GgmlType::kQ5_K: return {0, 2};
    case GgmlType::kQ2_K: return {80, 82};
    case GgmlType::kQ3_K: return {108};
    case GgmlType::kQ6_K: return {208};
    default: return {};
  }
}

Matrix make_matrix(GgmlType type, int64_t n_in, int64_t n_out, std::mt19937& rng) {
  Matrix m;
  const size_t rb = anvil::engine::ggml_row_size(type, n_in);
  m.data.resize(rb * static_cast<size_t>(n_out));
  for (size_t i = 0; i < m.data.size(); i += 4) {
    const uint32_t r = rng();
    std::memcpy(&m.data[i], &r, std::min<size_t>(4, m.data.size() - i));
  }
  const auto& tr = anvil::engine::ggml_traits(type);
  std::uniform_real_distribution<float> ex(-10.0f, -4.0f);
  if (tr.block_size == 1) {
    for (size_t i = 0; i < m.data.size(); i += static_cast<size_t>(tr.type_size)) {
      const float v = std::exp2(ex(rng)) * ((rng() & 1) ? 1.0f : -1.0f);
      if (type == GgmlType::kF32) std::memcpy(&m.data[i], &v, 4);
      else {
        const uint16_t h = type == GgmlType::kF16 ? anvil::engine::fp32_to_fp16(v) : anvil::engine::fp32_to_bf16(v);
        std::memcpy(&m.data[i], &h, 2);
      }
    }
  } else {
    for (size_t b = 0; b < m.data.size(); b += static_cast<size_t>(tr.type_size)) {
      for (int off : f16_offsets(type)) {
        const uint16_t h = anvil::engine::fp32_to_fp16(std::exp2(ex(rng)));
        std::memcpy(&m.data[b + static_cast<size_t>(off)], &h, 2);
      }
    }
  }
  m.view = {type, m.data.data(), n_in, n_out, rb};
  return m;
}

struct Model {
  std::vector<Matrix> layers;  // 24 x {q, k, v, o, gate, up, down}
  Matrix output;
  double layer_params = 0;
  double layer_bytes = 0;
};

constexpr int kLayers = 24;
constexpr int64_t kDim = 896, kKv = 128, kFfn = 4864, kVocab = 151936;

Model make_model(GgmlType type) {
  std::mt19937 rng(42);
  Model m;
  const int64_t shapes[7][2] = {{kDim, kDim}, {kDim, kKv}, {kDim, kKv}, {kDim, kDim},
                                {kDim, kFfn}, {kDim, kFfn}, {kFfn, kDim}};  // {n_in, n_out}
  for (int l = 0; l < kLayers; ++l) {
    for (const auto& s : shapes) {
      m.layers.push_back(make_matrix(type, s[0], s[1], rng));
      m.layer_params += static_cast<double>(s[0] * s[1]);
      m.layer_bytes += static_cast<double>(m.layers.back().data.size());
    }
  }
  m.output = make_matrix(type, kDim, kVocab, rng);
  return m;
}

struct Stats {
  double median, min, max;
};

Stats stats(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return {v[v.size() / 2], v.front(), v.back()};
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double process_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// The bounds, run on `threads` std::threads (started before timing): a read-only pass over `buf`
// split in contiguous parts (bytes read), or kFmaIters iterations of 16 independent AVX-512 FMA
// chains per thread (FLOPs).
__attribute__((target("avx2"))) int64_t read_part(const uint8_t* p, size_t n) {
  __m256i a0 = _mm256_setzero_si256(), a1 = a0;
  for (size_t i = 0; i + 64 <= n; i += 64) {
    a0 = _mm256_add_epi64(a0, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i)));
    a1 = _mm256_add_epi64(a1, _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + i + 32)));
  }
  alignas(32) int64_t o[4];
  _mm256_store_si256(reinterpret_cast<__m256i*>(o), _mm256_add_epi64(a0, a1));
  return o[0] + o[3];
}

constexpr long kFmaIters = 4'000'000;

__attribute__((target("avx512f"))) float fma_part() {
  __m512 acc[16];
  for (int k = 0; k < 16; ++k) acc[k] = _mm512_set1_ps(static_cast<float>(k));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-3f);
  for (long i = 0; i < kFmaIters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < 16; ++k) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  }
  __m512 sum = acc[0];
  for (int k = 1; k < 16; ++k) sum = _mm512_add_ps(sum, acc[k]);
  alignas(64) float out[16];
  _mm512_store_ps(out, sum);
  return out[0];
}

// Seconds of fn(thread) on `threads` threads, by the same clock as the matmuls.
template <typename Fn>
double timed_threads(int threads, bool cpu_clock, Fn fn) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> ts;
  for (int t = 0; t < threads; ++t) {
    ts.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      fn(t);
    });
  }
  while (ready.load() < threads) {
  }
  const auto t0 = std::chrono::steady_clock::now();
  const double c0 = process_cpu_seconds();
  go.store(true, std::memory_order_release);
  for (auto& th : ts) th.join();
  return cpu_clock ? (process_cpu_seconds() - c0) / threads : seconds_since(t0);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (!o.cpu.empty()) {
    const auto level = anvil::engine::parse_cpu_level(o.cpu);
    if (!level) {
      std::fprintf(stderr, "unknown --cpu %s\n", o.cpu.c_str());
      return 2;
    }
    anvil::engine::set_cpu_level(*level);
  }
  std::unique_ptr<anvil::core::ThreadPool> pool;
  if (o.threads > 1) pool = std::make_unique<anvil::core::ThreadPool>(static_cast<size_t>(o.threads - 1));
  const std::string level = std::string(anvil::engine::cpu_level_name(anvil::engine::cpu_level())) +
                            (o.cpu_clock ? " (cpu clock)" : "");

  if (o.mode == "overhead") {
    // 170 parallel_runs of 2 trivial tasks (what a decode step's matmuls pay besides the math).
    std::vector<double> us;
    volatile int64_t sink = 0;
    for (int r = 0; r < o.reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      for (int i = 0; i < 1000; ++i) {
        anvil::engine::parallel_run(pool.get(), o.threads, [&](int64_t j) { sink = sink + j; });
      }
      us.push_back(seconds_since(t0) / 1000 * 1e6);
    }
    const Stats s = stats(us);
    std::printf("parallel_run, %d threads: %.2f us per call (min %.2f, max %.2f); x170 per token = %.2f ms\n",
                o.threads, s.median, s.min, s.max, s.median * 170 / 1000);
    return 0;
  }

  const auto type = anvil::engine::ggml_type_from_name(o.type);
  if (!type) {
    std::fprintf(stderr, "unknown --type %s\n", o.type.c_str());
    return 2;
  }
  if (kDim % anvil::engine::ggml_traits(*type).block_size != 0) {
    std::fprintf(stderr, "%s blocks (%lld elements) do not divide the model width %lld; llama.cpp stores such "
                 "tensors in q5_0 / q8_0 instead\n", o.type.c_str(),
                 static_cast<long long>(anvil::engine::ggml_traits(*type).block_size), static_cast<long long>(kDim));
    return 2;
  }
  const Model model = make_model(*type);
  const int64_t n_tok = o.mode == "pp" ? o.tokens : 1;
  std::mt19937 rng(7);
  std::normal_distribution<float> nd(0.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(n_tok * kFfn)), y(static_cast<size_t>(n_tok * kFfn));
  for (auto& v : x) v = nd(rng);
  std::vector<float> logits(kVocab);

  auto run_layers = [&] {
    for (size_t i = 0; i < model.layers.size(); ++i) {
      const Matrix& m = model.layers[o.hot ? i % 7 : i];
      anvil::engine::matmul(m.view, x.data(), n_tok, y.data(), pool.get());
    }
  };
  // Warm-up: one pass (page faults, thread start-up, kernel tables).
  run_layers();
  std::vector<uint8_t> stream_buf;
  if (o.reference && o.mode == "tg") stream_buf.assign(size_t{512} << 20, 1);
  std::vector<double> secs, ratios;
  std::vector<int64_t> sinks(static_cast<size_t>(o.threads));
  const double layer_flops_per_token = 2.0 * model.layer_params;
  const double tg_bytes = model.layer_bytes + static_cast<double>(model.output.data.size());
  for (int r = 0; r < o.reps; ++r) {
    const auto t0 = std::chrono::steady_clock::now();
    const double c0 = process_cpu_seconds();
    run_layers();
    if (o.mode == "tg") anvil::engine::matmul(model.output.view, x.data(), 1, logits.data(), pool.get());
    secs.push_back(o.cpu_clock ? (process_cpu_seconds() - c0) / o.threads : seconds_since(t0));
    if (!o.reference) continue;
    if (o.mode == "tg") {
      const size_t part = stream_buf.size() / static_cast<size_t>(o.threads);
      const double sec = timed_threads(o.threads, o.cpu_clock, [&](int t) {
        sinks[static_cast<size_t>(t)] += read_part(stream_buf.data() + part * static_cast<size_t>(t), part);
      });
      ratios.push_back((tg_bytes / secs.back()) / (static_cast<double>(stream_buf.size()) / sec));
    } else {
      const double sec = timed_threads(o.threads, o.cpu_clock, [&](int t) {
        sinks[static_cast<size_t>(t)] += static_cast<int64_t>(fma_part());
      });
      const double peak = 2.0 * 16 * 16 * static_cast<double>(kFmaIters) * o.threads / sec;
      ratios.push_back((layer_flops_per_token * static_cast<double>(n_tok) / secs.back()) / peak);
    }
  }
  const Stats s = stats(secs);
  if (o.reference) {
    const Stats rs = stats(ratios);
    std::printf("reference (%s, alternated with each repetition): median ratio %.1f%% (min %.1f%%, max %.1f%%)%s\n",
                o.mode == "tg" ? "read bandwidth of 512 MiB" : "AVX-512 FMA peak", 100 * rs.median, 100 * rs.min,
                100 * rs.max, sinks[0] == 42 ? " " : "");
  }
  if (o.mode == "tg") {
    const double bytes = model.layer_bytes + static_cast<double>(model.output.data.size());
    std::printf("tg %s %s, %d threads: %.2f ms/token (min %.2f, max %.2f) = %.1f tokens/s; "
                "weights %.1f MB/token -> %.2f GB/s (best %.2f GB/s)\n",
                o.type.c_str(), level.c_str(), o.threads, s.median * 1e3, s.min * 1e3, s.max * 1e3, 1.0 / s.median,
                bytes / 1e6, bytes / s.median / 1e9, bytes / s.min / 1e9);
  } else {
    const double flops = 2.0 * model.layer_params * static_cast<double>(n_tok);
    std::printf("pp%lld %s %s, %d threads: %.1f ms (min %.1f, max %.1f) = %.1f tokens/s; %.1f GFLOP/s "
                "(best %.1f GFLOP/s) over %.1fM layer params\n",
                static_cast<long long>(n_tok), o.type.c_str(), level.c_str(), o.threads, s.median * 1e3, s.min * 1e3,
                s.max * 1e3, static_cast<double>(n_tok) / s.median, flops / s.median / 1e9, flops / s.min / 1e9,
                model.layer_params / 1e6);
  }
  return 0;
}
