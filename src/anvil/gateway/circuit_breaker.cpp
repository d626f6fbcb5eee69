#include "anvil/gateway/circuit_breaker.h"

#include <algorithm>

namespace anvil::gateway {
namespace {

std::int64_t ns_of(SteadyTime t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

}  // namespace

std::string_view breaker_state_name(BreakerState state) {
  switch (state) {
    case BreakerState::kClosed: return "closed";
    case BreakerState::kHalfOpen: return "half_open";
    case BreakerState::kOpen: return "open";
  }
  return "";
}

CircuitBreaker::CircuitBreaker(std::string deployment, BreakerSettings settings,
                               const MonotonicClock& clock, BreakerMetrics metrics)
    : deployment_(std::move(deployment)),
      settings_([&] {
        settings.buckets = std::max(settings.buckets, 1);
        settings.window = std::max(settings.window, std::chrono::milliseconds(settings.buckets));
        settings.min_requests = std::max(settings.min_requests, 1);
        return settings;
      }()),
      clock_(clock),
      metrics_(metrics),
      bucket_ns_(std::chrono::duration_cast<std::chrono::nanoseconds>(settings_.window).count() /
                 settings_.buckets),
      ring_(static_cast<std::size_t>(settings_.buckets)) {
  if (metrics_.state != nullptr) metrics_.state->set(0);
}

std::int64_t CircuitBreaker::slice_of(SteadyTime t) const { return ns_of(t) / bucket_ns_; }

void CircuitBreaker::window_totals(std::int64_t now_slice, std::int64_t& requests,
                                   std::int64_t& failures) const {
  requests = failures = 0;
  for (const Bucket& b : ring_) {
    if (b.slot_time > now_slice - settings_.buckets && b.slot_time <= now_slice) {
      requests += b.requests;
      failures += b.failures;
    }
  }
}

Admission CircuitBreaker::admit() {
  const auto state = static_cast<BreakerState>(state_.load(std::memory_order_acquire));
  if (state == BreakerState::kClosed) return Admission::kAllowed;
  const SteadyTime now = clock_.now();
  // Open and cooling down: refused without the lock.
  if (state == BreakerState::kOpen && ns_of(now) < open_until_ns_.load(std::memory_order_acquire)) {
    return Admission::kRefused;
  }
  std::lock_guard lock(mu_);
  switch (static_cast<BreakerState>(state_.load(std::memory_order_relaxed))) {
    case BreakerState::kClosed:
      return Admission::kAllowed;
    case BreakerState::kOpen:
      if (ns_of(now) < open_until_ns_.load(std::memory_order_relaxed)) return Admission::kRefused;
      transition(BreakerState::kHalfOpen, now);
      [[fallthrough]];
    case BreakerState::kHalfOpen:
      if (probe_in_flight_) return Admission::kRefused;
      probe_in_flight_ = true;
      return Admission::kProbe;
  }
  return Admission::kRefused;
}

void CircuitBreaker::record(Admission admission, BreakerOutcome outcome) {
  if (admission == Admission::kRefused) return;
  std::lock_guard lock(mu_);
  const SteadyTime now = clock_.now();
  const auto state = static_cast<BreakerState>(state_.load(std::memory_order_relaxed));
  if (admission == Admission::kProbe) {
    if (state != BreakerState::kHalfOpen) return;
    probe_in_flight_ = false;
    if (outcome == BreakerOutcome::kSuccess) transition(BreakerState::kClosed, now);
    if (outcome == BreakerOutcome::kFailure) transition(BreakerState::kOpen, now);
    return;  // kIgnored: still half-open, the next caller probes
  }
  if (state != BreakerState::kClosed || outcome == BreakerOutcome::kIgnored) return;

  const std::int64_t slice = slice_of(now);
  Bucket& bucket = ring_[static_cast<std::size_t>(slice % settings_.buckets)];
  if (bucket.slot_time != slice) bucket = Bucket{slice, 0, 0};
  ++bucket.requests;
  if (outcome == BreakerOutcome::kSuccess) {
    consecutive_ = 0;
    return;
  }
  ++bucket.failures;
  ++consecutive_;
  if (settings_.consecutive_failures > 0 && consecutive_ >= settings_.consecutive_failures) {
    transition(BreakerState::kOpen, now);
    return;
  }
  std::int64_t requests = 0, failures = 0;
  window_totals(slice, requests, failures);
  if (requests >= settings_.min_requests &&
      static_cast<double>(failures) > settings_.error_rate * static_cast<double>(requests)) {
    transition(BreakerState::kOpen, now);
  }
}

void CircuitBreaker::transition(BreakerState to, SteadyTime now) {
  core::Counter* counter = nullptr;
  switch (to) {
    case BreakerState::kOpen:
      open_until_ns_.store(ns_of(now + settings_.cooldown), std::memory_order_release);
      ++times_opened_;
      counter = metrics_.to_open;
      break;
    case BreakerState::kHalfOpen:
      probe_in_flight_ = false;
      counter = metrics_.to_half_open;
      break;
    case BreakerState::kClosed:
      // A fresh start: the failures that opened the breaker must not re-open it at once.
      std::fill(ring_.begin(), ring_.end(), Bucket{});
      consecutive_ = 0;
      counter = metrics_.to_closed;
      break;
  }
  state_.store(static_cast<int>(to), std::memory_order_release);
  if (metrics_.state != nullptr) metrics_.state->set(static_cast<double>(to));
  if (counter != nullptr) counter->inc();
}

BreakerSnapshot CircuitBreaker::snapshot() const {
  std::lock_guard lock(mu_);
  const SteadyTime now = clock_.now();
  BreakerSnapshot s;
  s.deployment = deployment_;
  s.state = static_cast<BreakerState>(state_.load(std::memory_order_relaxed));
  window_totals(slice_of(now), s.window_requests, s.window_failures);
  s.consecutive_failures = consecutive_;
  s.times_opened = times_opened_;
  if (s.state == BreakerState::kOpen) {
    const std::int64_t left = open_until_ns_.load(std::memory_order_relaxed) - ns_of(now);
    s.open_remaining = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::nanoseconds(std::max<std::int64_t>(left, 0)));
  }
  return s;
}

}  // namespace anvil::gateway
