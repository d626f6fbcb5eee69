// A circuit breaker per deployment: closed (calls flow), open (calls are refused for a cooldown),
// half-open (one probe call decides). It opens on an error rate over a sliding time window or
// on a run of consecutive failures, so a failing upstream is left alone instead of hammered.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/metrics.h"
#include "anvil/gateway/monotonic_clock.h"

namespace anvil::gateway {

struct BreakerSettings {
  // Sliding window: `buckets` slices of window / buckets each, a ring reused as time moves.
  std::chrono::milliseconds window{60000};
  int buckets = 12;                  // 5 s resolution with the default window
  int min_requests = 20;             // the error rate is judged over at least this many calls
  double error_rate = 0.05;          // opens when failures / calls in the window exceed this
  int consecutive_failures = 5;      // opens after this many failures in a row; 0: never
  std::chrono::milliseconds cooldown{30000};  // open -> half-open
};

enum class BreakerState { kClosed = 0, kHalfOpen = 1, kOpen = 2 };  // the gauge's values

// "closed", "half_open", "open".
std::string_view breaker_state_name(BreakerState state);

// What admit() decided. A kProbe caller must report its outcome (record), or the breaker stays
// half-open with no probe allowed.
enum class Admission { kRefused, kAllowed, kProbe };

// What an admitted call came to: kFailure for the failures that count against the breaker
// (retry_policy.h: counts_against_breaker), kSuccess for any answer from the upstream (a 400
// still shows it is up), kIgnored when the call says nothing about the upstream (cancelled).
enum class BreakerOutcome { kSuccess, kFailure, kIgnored };

struct BreakerSnapshot {
  std::string deployment;
  BreakerState state = BreakerState::kClosed;
  std::int64_t window_requests = 0;
  std::int64_t window_failures = 0;
  int consecutive_failures = 0;
  std::chrono::milliseconds open_remaining{0};  // kOpen: until half-open
  std::int64_t times_opened = 0;                // since start
};

// Where a breaker reports its state; any pointer may be null.
struct BreakerMetrics {
  core::Gauge* state = nullptr;  // 0 closed, 1 half-open, 2 open
  core::Counter* to_closed = nullptr;
  core::Counter* to_half_open = nullptr;
  core::Counter* to_open = nullptr;
};

// Thread-safe. In the closed state admit() is one atomic load; record() takes a per-breaker
// mutex for a few dozen instructions (one bucket update, a sum over the ring).
class CircuitBreaker {
 public:
  CircuitBreaker(std::string deployment, BreakerSettings settings, const MonotonicClock& clock,
                 BreakerMetrics metrics = {});

  Admission admit();
  // `admission` is what admit() returned for this call (kRefused is ignored). Outcomes of calls
  // admitted while closed that arrive after the breaker opened are dropped: it already decided.
  void record(Admission admission, BreakerOutcome outcome);

  BreakerState state() const { return static_cast<BreakerState>(state_.load(std::memory_order_acquire)); }
  BreakerSnapshot snapshot() const;
  const std::string& deployment() const { return deployment_; }

 private:
  struct Bucket {
    std::int64_t slot_time = -1;  // which window slice it counts (now / bucket width)
    std::int64_t requests = 0;
    std::int64_t failures = 0;
  };

  std::int64_t slice_of(SteadyTime t) const;
  // Sums the buckets still inside the window ending at slice `now_slice`.
  void window_totals(std::int64_t now_slice, std::int64_t& requests, std::int64_t& failures) const;
  void transition(BreakerState to, SteadyTime now);  // holds mu_

  const std::string deployment_;
  const BreakerSettings settings_;
  const MonotonicClock& clock_;
  const BreakerMetrics metrics_;
  const std::int64_t bucket_ns_;

  std::atomic<int> state_{static_cast<int>(BreakerState::kClosed)};
  std::atomic<std::int64_t> open_until_ns_{0};  // steady-clock ns; meaningful while open

  mutable std::mutex mu_;
  std::vector<Bucket> ring_;        // guarded by mu_
  int consecutive_ = 0;             // guarded by mu_
  bool probe_in_flight_ = false;    // guarded by mu_
  std::int64_t times_opened_ = 0;   // guarded by mu_
};

}  // namespace anvil::gateway
