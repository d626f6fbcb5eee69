// The time source of the gateway's policies (breaker windows and cooldowns, rate-limit windows,
// cache ages, deadlines): steady time behind an interface, so tests move it by hand, never sleep.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>

namespace anvil::gateway {

using SteadyTime = std::chrono::steady_clock::time_point;

class MonotonicClock {
 public:
  virtual ~MonotonicClock() = default;
  virtual SteadyTime now() const = 0;

  // std::chrono::steady_clock.
  static const MonotonicClock& system();
};

// A clock that moves only when told; thread-safe. Starts at 1000 s past the steady epoch so
// that "now minus a window" never goes below the epoch.
class ManualClock final : public MonotonicClock {
 public:
  SteadyTime now() const override {
    return SteadyTime(std::chrono::nanoseconds(ns_.load(std::memory_order_relaxed)));
  }
  void advance(std::chrono::nanoseconds by) { ns_.fetch_add(by.count(), std::memory_order_relaxed); }

 private:
  std::atomic<std::int64_t> ns_{std::int64_t{1000} * 1000 * 1000 * 1000};
};

}  // namespace anvil::gateway
