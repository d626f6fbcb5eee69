// One connection to the fake upstream: reads requests (keep-alive), injects the chosen fault,
// answers. Runs on its acceptor's thread; `ThreadState` belongs to that thread alone.
#pragma once

#include <cstdint>
#include <mutex>
#include <random>
#include <string>
#include <unordered_map>
#include <unordered_set>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "fake_upstream/fault_plan.h"
#include "fake_upstream/options.h"
#include "fake_upstream/stats.h"

namespace anvil::fake {

// Prompts seen so far, for --prompt-cache (a prompt seen before is reported as cached).
class PromptMemory {
 public:
  bool seen_before(uint64_t prompt_hash) {
    std::lock_guard lock(mutex_);
    return !seen_.insert(prompt_hash).second;
  }
  void clear() {
    std::lock_guard lock(mutex_);
    seen_.clear();
  }

 private:
  std::mutex mutex_;
  std::unordered_set<uint64_t> seen_;
};

struct SharedState {
  const FakeUpstreamOptions& options;
  Stats& stats;
  FaultPlan& plan;
  PromptMemory& prompts;
  int64_t created;  // the "created" of every answer: the start time, so answers repeat exactly
};

struct ThreadState {
  std::mt19937_64 rng;
  // Bodies of successful non-streamed answers, keyed by route and request body: a repeated
  // request (the benchmark's case) is one lookup, one small head and one write.
  std::unordered_map<std::string, std::string> replies;
};

boost::asio::awaitable<void> serve_connection(boost::asio::ip::tcp::socket socket,
                                              SharedState& shared, ThreadState& thread);

}  // namespace anvil::fake
