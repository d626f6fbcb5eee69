// Sustained throughput of the usage ledger: producer threads call record() as I/O threads would,
// and the clock stops when close() has committed the last record to anvil.db.
//
//   usage_ledger_bench [records=400000] [producers=2] [data_dir=a fresh temporary directory]
//
// Prints records/s (end to end, committed), the record() cost seen by producers, how often the
// queue was full, and the batches the writer committed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <sys/resource.h>

#include <fmt/format.h>

#include "anvil/gateway/usage_ledger.h"

namespace {

using Clock = std::chrono::steady_clock;

// CPU seconds (user + system) of the whole process so far.
double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return static_cast<double>(t.tv_sec) + 1e-6 * static_cast<double>(t.tv_usec); };
  return s(u.ru_utime) + s(u.ru_stime);
}

anvil::store::UsageRecord make_record(int producer, int i) {
  static const char* kModels[] = {"gpt-4o-mini", "llama-3-8b", "qwen2-7b", "embed-small"};
  anvil::store::UsageRecord r;
  r.request_id = fmt::format("req-{:02d}-{:09d}-5f0c9a7e", producer, i);
  r.time_us = 1'764'000'000'000'000 + static_cast<int64_t>(i) * 50;
  r.key_id = std::to_string(1 + (i % 16));
  r.tenant = fmt::format("tenant-{}", i % 4);
  r.model = kModels[i % 4];
  r.deployment = r.model + "-east";
  r.operation = i % 4 == 3 ? "embeddings" : "chat";
  r.prompt_tokens = 200 + i % 300;
  r.completion_tokens = 50 + i % 100;
  r.cached_tokens = i % 3 == 0 ? 128 : 0;
  r.cost_usd = 1e-6 * static_cast<double>(r.prompt_tokens + 3 * r.completion_tokens);
  r.latency_ms = 12.5;
  r.upstream_latency_ms = 11.75;
  r.http_status = i % 50 == 0 ? 502 : 200;
  r.outcome = i % 50 == 0 ? "error:http_status" : "ok";
  r.attempts = 1;
  r.stream = i % 2 == 0;
  if (i % 2 == 0) r.tags = {"team:search", "env:prod"};
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const int records = argc > 1 ? std::atoi(argv[1]) : 400000;
  const int producers = argc > 2 ? std::atoi(argv[2]) : 2;
  std::filesystem::path dir = argc > 3 ? std::filesystem::path(argv[3])
                                       : std::filesystem::temp_directory_path() /
                                             fmt::format("anvil-ledger-bench-{}", std::random_device{}());
  std::filesystem::create_directories(dir);
  const auto db = dir / "anvil.db";

  anvil::core::MetricsRegistry metrics;
  auto ledger = anvil::gateway::UsageLedger::open({.database = db, .metrics = &metrics});
  if (!ledger.ok()) {
    std::fprintf(stderr, "%s\n", ledger.status().to_string().c_str());
    return 1;
  }
  // Records are built before the clock starts: the bench measures the ledger, not fmt.
  std::vector<std::vector<anvil::store::UsageRecord>> inputs(producers);
  for (int p = 0; p < producers; ++p) {
    for (int i = p; i < records; i += producers) inputs[p].push_back(make_record(p, i));
  }
  std::vector<double> record_ns(producers);
  const double cpu_start = cpu_seconds();
  const auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      const auto t0 = Clock::now();
      for (auto& r : inputs[p]) {
        auto s = (*ledger)->record(std::move(r));
        if (!s.ok()) std::fprintf(stderr, "%s\n", s.to_string().c_str());
      }
      record_ns[p] = std::chrono::duration<double, std::nano>(Clock::now() - t0).count() /
                     static_cast<double>(std::max<size_t>(1, inputs[p].size()));
    });
  }
  for (auto& t : threads) t.join();
  const auto recorded = Clock::now();
  auto closed = (*ledger)->close();
  const auto end = Clock::now();
  const double cpu = cpu_seconds() - cpu_start;
  if (!closed.ok()) {
    std::fprintf(stderr, "%s\n", closed.to_string().c_str());
    return 1;
  }
  const auto st = (*ledger)->stats();
  const double seconds = std::chrono::duration<double>(end - start).count();
  double mean_ns = 0;
  for (double ns : record_ns) mean_ns += ns / producers;
  std::printf("records: %llu written of %d, %d producer threads, database %s\n",
              static_cast<unsigned long long>(st.written), records, producers, db.c_str());
  std::printf("throughput: %.0f records/s committed (%.3f s; producers done after %.3f s)\n",
              static_cast<double>(st.written) / seconds, seconds,
              std::chrono::duration<double>(recorded - start).count());
  // On a machine shared with other work the wall clock counts time the threads were not running;
  // records per CPU-second is what the ledger would sustain with its cores to itself.
  std::printf("cpu: %.3f s for producers and writer together -> %.0f records per CPU-second\n", cpu,
              static_cast<double>(st.written) / cpu);
  std::printf("record(): %.0f ns per call on average (including waits on a full queue)\n", mean_ns);
  std::printf("queue full waits: %llu; batches: %llu (%.0f records per batch); dropped: %llu\n",
              static_cast<unsigned long long>(st.full_waits), static_cast<unsigned long long>(st.batches),
              st.batches ? static_cast<double>(st.written) / static_cast<double>(st.batches) : 0.0,
              static_cast<unsigned long long>(st.dropped));
  if (argc <= 3) std::filesystem::remove_all(dir);
  return st.written == static_cast<uint64_t>(records) ? 0 : 1;
}
