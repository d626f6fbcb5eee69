// Random numbers for jitter and weighted routing, shared by every I/O thread without a lock:
// SplitMix64 over one atomic counter. Seeded, so a test that seeds it sees the same draws.
#pragma once

#include <atomic>
#include <cstdint>

namespace anvil::gateway {

class SharedRandom {
 public:
  explicit SharedRandom(std::uint64_t seed) : state_(seed) {}

  // Uniform over all 64-bit values. One atomic add, then a bijective mix of the counter, so
  // concurrent callers never see the same value twice.
  std::uint64_t next() {
    std::uint64_t z = state_.fetch_add(kGamma, std::memory_order_relaxed) + kGamma;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }

  // Uniform in [0, 1): the top 53 bits as a double.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }

 private:
  static constexpr std::uint64_t kGamma = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio
  std::atomic<std::uint64_t> state_;
};

}  // namespace anvil::gateway
