// Peak fp32 FMA throughput: the bound that prompt processing (compute-bound matmuls) is measured
// against. Each thread runs independent chains acc = acc * a + b (16 chains: enough to cover the
// FMA latency on two ports) with the widest vector unit the CPU has, and with AVX2 for reference.
//
//   build-x/bench/fma_peak_bench [--threads 2] [--reps 11] [--clock wall|cpu]
//
// Prints the median and best GFLOP/s (an FMA counts 2 FLOPs per lane). --clock cpu times each
// thread by its own CPU time (the time it really ran; for a shared machine). Results:
// docs/BENCHMARKS.md.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <string>
#include <thread>
#include <vector>

namespace {

constexpr long kIters = 20'000'000;
constexpr int kChains = 16;

__attribute__((target("avx512f"))) float fma_avx512(long iters) {
  __m512 acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = _mm512_set1_ps(static_cast<float>(k));
  const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-3f);
  for (long i = 0; i < iters; ++i) {
    // Fully unrolled so the chains live in registers (-O2 does not unroll on its own).
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm512_fmadd_ps(acc[k], a, b);
  }
  __m512 s = acc[0];
  for (int k = 1; k < kChains; ++k) s = _mm512_add_ps(s, acc[k]);
  // (GCC 12's _mm512_reduce_add_ps trips -Wuninitialized, so sum through memory.)
  float out[16];
  _mm512_storeu_ps(out, s);
  return out[0] + out[15];
}

__attribute__((target("avx2,fma"))) float fma_avx2(long iters) {
  __m256 acc[kChains];
  for (int k = 0; k < kChains; ++k) acc[k] = _mm256_set1_ps(static_cast<float>(k));
  const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-3f);
  for (long i = 0; i < iters; ++i) {
#pragma GCC unroll 16
    for (int k = 0; k < kChains; ++k) acc[k] = _mm256_fmadd_ps(acc[k], a, b);
  }
  __m256 s = acc[0];
  for (int k = 1; k < kChains; ++k) s = _mm256_add_ps(s, acc[k]);
  float out[8];
  _mm256_storeu_ps(out, s);
  return out[0] + out[7];
}

bool g_cpu_clock = false;

double thread_cpu_seconds() {
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

// Seconds for `threads` threads each running fn(kIters), timed from a common start (wall clock)
// or, with --clock cpu, the largest per-thread CPU time.
template <typename Fn>
double run(int threads, Fn fn, float* sink) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<std::thread> pool;
  std::vector<float> out(static_cast<size_t>(threads));
  std::vector<double> cpu(static_cast<size_t>(threads));
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      const double c0 = thread_cpu_seconds();
      out[static_cast<size_t>(t)] = fn(kIters);
      cpu[static_cast<size_t>(t)] = thread_cpu_seconds() - c0;
    });
  }
  while (ready.load() < threads) {
  }
  const auto t0 = std::chrono::steady_clock::now();
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  const double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  for (float v : out) *sink += v;
  return g_cpu_clock ? *std::max_element(cpu.begin(), cpu.end()) : sec;
}

template <typename Fn>
void report(const char* name, int lanes, int threads, int reps, Fn fn) {
  float sink = 0;
  std::vector<double> g;
  for (int r = 0; r < reps; ++r) {
    const double sec = run(threads, fn, &sink);
    g.push_back(2.0 * lanes * kChains * static_cast<double>(kIters) * threads / sec / 1e9);
  }
  std::sort(g.begin(), g.end());
  std::printf("%-8s %8.1f GFLOP/s %8.1f GFLOP/s   (sink %g)\n", name, g[g.size() / 2], g.back(),
              static_cast<double>(sink));
}

}  // namespace

int main(int argc, char** argv) {
  int threads = 2, reps = 11;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--threads") threads = std::atoi(argv[i + 1]);
    else if (k == "--reps") reps = std::atoi(argv[i + 1]);
    else if (k == "--clock") g_cpu_clock = std::string(argv[i + 1]) == "cpu";
  }
  std::printf("fma_peak_bench: %d thread(s), %d repetitions, %s clock; fp32, FMA = 2 FLOPs per lane\n", threads,
              reps, g_cpu_clock ? "per-thread CPU" : "wall");
  std::printf("%-8s %16s %16s\n", "unit", "median", "best");
  if (__builtin_cpu_supports("avx512f")) report("avx512", 16, threads, reps, fma_avx512);
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) report("avx2", 8, threads, reps, fma_avx2);
  return 0;
}
