// STREAM-style memory bandwidth: the bound that decode (one token: every weight read once) is
// measured against. Kernels Copy (c = a), Scale (b = s*c), Add (c = a + b), Triad (a = b + s*c)
// count bytes as STREAM does (no write-allocate traffic), plus Read (sum of a: one sequential
// stream per thread) and Read4 (the same sum, each thread reading four quarters of its part at
// once: the access pattern of the decode row kernels). Arrays are far larger than the last-level
// cache.
//
//   build-x/bench/stream_bench [--threads 2] [--mib 1024] [--reps 15] [--clock wall|cpu]
//
// Prints the median and best GB/s (10^9 bytes/s) of each kernel. --clock cpu times each thread by
// its own CPU time (CLOCK_THREAD_CPUTIME_ID) instead of the wall clock: on a machine shared with
// other work that leaves out the time the threads were not running. Results: docs/BENCHMARKS.md.
#include <immintrin.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <string>
#include <thread>
#include <vector>

namespace {

struct Options {
  int threads = 2;
  size_t mib = 1024;  // per array; three arrays
  int reps = 15;
  bool cpu_clock = false;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i];
    if (k == "--threads") o.threads = std::atoi(argv[i + 1]);
    else if (k == "--mib") o.mib = std::strtoull(argv[i + 1], nullptr, 10);
    else if (k == "--reps") o.reps = std::atoi(argv[i + 1]);
    else if (k == "--clock") o.cpu_clock = std::string(argv[i + 1]) == "cpu";
    else {
      std::fprintf(stderr, "unknown option %s\n", k.c_str());
      std::exit(2);
    }
  }
  return o;
}

// Runs body(thread, begin, end) on `threads` threads over [0, n) and returns the seconds of the
// slowest. Threads are created per run: creation is outside the timed region (each waits on a
// start flag), so only the streaming is timed.
bool g_cpu_clock = false;

double now_seconds() {
  if (!g_cpu_clock) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  }
  timespec ts;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double run_parallel(int threads, size_t n, const std::function<void(int, size_t, size_t)>& body) {
  std::atomic<int> ready{0};
  std::atomic<bool> go{false};
  std::vector<double> secs(static_cast<size_t>(threads));
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&, t] {
      const size_t b = n * static_cast<size_t>(t) / static_cast<size_t>(threads);
      const size_t e = n * static_cast<size_t>(t + 1) / static_cast<size_t>(threads);
      ready.fetch_add(1);
      while (!go.load(std::memory_order_acquire)) {
      }
      const double t0 = now_seconds();
      body(t, b, e);
      secs[static_cast<size_t>(t)] = now_seconds() - t0;
    });
  }
  while (ready.load() < threads) {
  }
  go.store(true, std::memory_order_release);
  for (auto& th : pool) th.join();
  return *std::max_element(secs.begin(), secs.end());
}

// Sum of x[0..n): 256-bit loads into four accumulators, the access pattern of a matmul streaming
// its weights (-O2 would not vectorize a plain loop over doubles).
__attribute__((target("avx2"))) double read_sum_avx2(const double* x, size_t n) {
  __m256d acc0 = _mm256_setzero_pd(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
  size_t i = 0;
  for (; i + 16 <= n; i += 16) {
    acc0 = _mm256_add_pd(acc0, _mm256_loadu_pd(x + i));
    acc1 = _mm256_add_pd(acc1, _mm256_loadu_pd(x + i + 4));
    acc2 = _mm256_add_pd(acc2, _mm256_loadu_pd(x + i + 8));
    acc3 = _mm256_add_pd(acc3, _mm256_loadu_pd(x + i + 12));
  }
  double out[4];
  _mm256_storeu_pd(out, _mm256_add_pd(_mm256_add_pd(acc0, acc1), _mm256_add_pd(acc2, acc3)));
  double s = out[0] + out[1] + out[2] + out[3];
  for (; i < n; ++i) s += x[i];
  return s;
}

double read_sum(const double* x, size_t n) {
  if (__builtin_cpu_supports("avx2")) return read_sum_avx2(x, n);
  double s = 0;
  for (size_t i = 0; i < n; ++i) s += x[i];
  return s;
}

// Sum of x[0..n) read as four streams at once (its quarters, 256 bytes of each in turn): the
// access pattern of the decode row kernels, which read four parts of their rows together
// (engine/matmul_simd.h, kDecodeStreams).
__attribute__((target("avx2"))) double read4_sum_avx2(const double* x, size_t n) {
  const size_t part = n / 4 / 32 * 32;
  __m256d acc[4] = {_mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd(), _mm256_setzero_pd()};
  for (size_t i = 0; i < part; i += 32) {
    for (int s = 0; s < 4; ++s) {
      const double* p = x + s * part + i;
      for (int k = 0; k < 8; ++k) acc[s] = _mm256_add_pd(acc[s], _mm256_loadu_pd(p + 4 * k));
    }
  }
  double out[4];
  _mm256_storeu_pd(out, _mm256_add_pd(_mm256_add_pd(acc[0], acc[1]), _mm256_add_pd(acc[2], acc[3])));
  double s = out[0] + out[1] + out[2] + out[3];
  for (size_t i = 4 * part; i < n; ++i) s += x[i];
  return s;
}

double read4_sum(const double* x, size_t n) {
  return __builtin_cpu_supports("avx2") ? read4_sum_avx2(x, n) : read_sum(x, n);
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  g_cpu_clock = o.cpu_clock;
  const size_t n = o.mib * 1024 * 1024 / sizeof(double);
  std::vector<double> a(n), b(n), c(n);
  // First touch on the threads that will use each part (matters on NUMA machines).
  run_parallel(o.threads, n, [&](int, size_t lo, size_t hi) {
    for (size_t i = lo; i < hi; ++i) {
      a[i] = 1.0;
      b[i] = 2.0;
      c[i] = 0.0;
    }
  });
  const double s = 3.0;
  std::vector<double> sink(static_cast<size_t>(o.threads) * 8);
  struct Kernel {
    const char* name;
    double bytes_per_elem;
    std::function<void(int, size_t, size_t)> body;
  };
  std::vector<Kernel> kernels = {
      {"Copy", 16, [&](int, size_t lo, size_t hi) { std::memcpy(&c[lo], &a[lo], (hi - lo) * 8); }},
      {"Scale", 16, [&](int, size_t lo, size_t hi) { for (size_t i = lo; i < hi; ++i) b[i] = s * c[i]; }},
      {"Add", 24, [&](int, size_t lo, size_t hi) { for (size_t i = lo; i < hi; ++i) c[i] = a[i] + b[i]; }},
      {"Triad", 24, [&](int, size_t lo, size_t hi) { for (size_t i = lo; i < hi; ++i) a[i] = b[i] + s * c[i]; }},
      {"Read", 8, [&](int t, size_t lo, size_t hi) { sink[static_cast<size_t>(t) * 8] = read_sum(&a[lo], hi - lo); }},
      {"Read4", 8, [&](int t, size_t lo, size_t hi) { sink[static_cast<size_t>(t) * 8] = read4_sum(&a[lo], hi - lo); }},
  };
  std::printf("stream_bench: %d thread(s), 3 arrays of %zu MiB, %d repetitions, %s clock\n", o.threads, o.mib,
              o.reps, o.cpu_clock ? "per-thread CPU" : "wall");
  std::printf("%-6s %10s %10s\n", "kernel", "median", "best");
  for (const auto& k : kernels) {
    std::vector<double> gbs;
    for (int r = 0; r < o.reps; ++r) {
      const double sec = run_parallel(o.threads, n, k.body);
      gbs.push_back(k.bytes_per_elem * static_cast<double>(n) / sec / 1e9);
    }
    std::sort(gbs.begin(), gbs.end());
    std::printf("%-6s %7.2f GB/s %7.2f GB/s\n", k.name, gbs[gbs.size() / 2], gbs.back());
  }
  double check = 0;
  for (double v : sink) check += v;
  std::printf("(checksum %.1f)\n", check);
  return 0;
}
