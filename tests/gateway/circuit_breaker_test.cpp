#include "anvil/gateway/circuit_breaker.h"

#include <gtest/gtest.h>

#include <thread>

namespace anvil::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

BreakerSettings settings() {
  BreakerSettings s;
  s.window = seconds(60);
  s.buckets = 12;
  s.min_requests = 20;
  s.error_rate = 0.05;
  s.consecutive_failures = 5;
  s.cooldown = seconds(30);
  return s;
}

void call(CircuitBreaker& b, BreakerOutcome outcome) {
  Admission a = b.admit();
  ASSERT_EQ(a, Admission::kAllowed);
  b.record(a, outcome);
}

// Opens `b` with five failures in a row, waits out the 30 s cooldown and takes the probe.
Admission open_then_probe(CircuitBreaker& b, ManualClock& clock) {
  for (int i = 0; i < 5; ++i) call(b, BreakerOutcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(seconds(30));
  Admission probe = b.admit();
  EXPECT_EQ(probe, Admission::kProbe);
  return probe;
}

TEST(CircuitBreakerTest, ConsecutiveFailuresOpen) {
  ManualClock clock;
  CircuitBreaker b("d", settings(), clock);
  for (int i = 0; i < 4; ++i) call(b, BreakerOutcome::kFailure);
  call(b, BreakerOutcome::kSuccess);  // the run restarts
  for (int i = 0; i < 4; ++i) call(b, BreakerOutcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, BreakerOutcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.admit(), Admission::kRefused);
  EXPECT_EQ(b.snapshot().times_opened, 1);
  EXPECT_EQ(b.snapshot().open_remaining, seconds(30));
}

TEST(CircuitBreakerTest, ErrorRateNeedsMinimumRequests) {
  ManualClock clock;
  BreakerSettings s = settings();
  s.consecutive_failures = 0;  // only the rate
  CircuitBreaker b("d", s, clock);
  // 2 failures in 19 calls: over 5% but under the 20-call minimum.
  call(b, BreakerOutcome::kFailure);
  call(b, BreakerOutcome::kFailure);
  for (int i = 0; i < 17; ++i) call(b, BreakerOutcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // The 20th call, a success: 2/20 = 10% is judged on the next failure only.
  call(b, BreakerOutcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  call(b, BreakerOutcome::kFailure);  // 3/21 > 5%
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, ExactlyTheRateDoesNotOpen) {
  ManualClock clock;
  BreakerSettings s = settings();
  s.consecutive_failures = 0;
  CircuitBreaker b("d", s, clock);
  for (int i = 0; i < 19; ++i) call(b, BreakerOutcome::kSuccess);
  call(b, BreakerOutcome::kFailure);  // 1/20 = 5%: not over
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().window_requests, 20);
  EXPECT_EQ(b.snapshot().window_failures, 1);
}

TEST(CircuitBreakerTest, OldFailuresSlideOutOfTheWindow) {
  ManualClock clock;
  BreakerSettings s = settings();
  s.consecutive_failures = 0;
  CircuitBreaker b("d", s, clock);
  call(b, BreakerOutcome::kFailure);
  call(b, BreakerOutcome::kFailure);
  clock.advance(seconds(61));  // both failures' bucket is now outside the 60 s window
  for (int i = 0; i < 19; ++i) call(b, BreakerOutcome::kSuccess);
  call(b, BreakerOutcome::kFailure);  // 1/20 in the window
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  EXPECT_EQ(b.snapshot().window_requests, 20);
  // Within the window, older buckets still count: 30 s later one more failure makes 2/21.
  clock.advance(seconds(30));
  call(b, BreakerOutcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, HalfOpenAdmitsOneProbeAndSuccessCloses) {
  ManualClock clock;
  CircuitBreaker b("d", settings(), clock);
  for (int i = 0; i < 5; ++i) call(b, BreakerOutcome::kFailure);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  clock.advance(seconds(29));
  EXPECT_EQ(b.admit(), Admission::kRefused);
  clock.advance(seconds(1));
  Admission probe = b.admit();
  EXPECT_EQ(probe, Admission::kProbe);
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(b.admit(), Admission::kRefused);  // the probe is in flight
  EXPECT_EQ(b.admit(), Admission::kRefused);
  b.record(probe, BreakerOutcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
  // A fresh window: the failures that opened it are gone.
  EXPECT_EQ(b.snapshot().window_failures, 0);
  EXPECT_EQ(b.snapshot().consecutive_failures, 0);
  call(b, BreakerOutcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kClosed);
}

TEST(CircuitBreakerTest, FailedProbeReopensForAnotherCooldown) {
  ManualClock clock;
  CircuitBreaker b("d", settings(), clock);
  Admission probe = open_then_probe(b, clock);
  b.record(probe, BreakerOutcome::kFailure);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
  EXPECT_EQ(b.snapshot().times_opened, 2);
  clock.advance(seconds(29));
  EXPECT_EQ(b.admit(), Admission::kRefused);
  clock.advance(seconds(1));
  EXPECT_EQ(b.admit(), Admission::kProbe);
}

TEST(CircuitBreakerTest, IgnoredProbeLetsTheNextCallerProbe) {
  ManualClock clock;
  CircuitBreaker b("d", settings(), clock);
  Admission probe = open_then_probe(b, clock);
  b.record(probe, BreakerOutcome::kIgnored);  // the client went away mid-probe
  EXPECT_EQ(b.state(), BreakerState::kHalfOpen);
  EXPECT_EQ(b.admit(), Admission::kProbe);
}

TEST(CircuitBreakerTest, LateOutcomesAfterOpeningAreDropped) {
  ManualClock clock;
  CircuitBreaker b("d", settings(), clock);
  Admission early = b.admit();  // admitted while closed, answers after the breaker opened
  for (int i = 0; i < 5; ++i) call(b, BreakerOutcome::kFailure);
  ASSERT_EQ(b.state(), BreakerState::kOpen);
  b.record(early, BreakerOutcome::kSuccess);
  EXPECT_EQ(b.state(), BreakerState::kOpen);
}

TEST(CircuitBreakerTest, GaugeAndTransitionsAreExported) {
  ManualClock clock;
  core::MetricsRegistry registry;
  core::Gauge* gauge = *registry.gauge("state", "s");
  core::Counter* opened = *registry.counter("opened", "o");
  core::Counter* half = *registry.counter("half", "h");
  core::Counter* closed = *registry.counter("closed", "c");
  CircuitBreaker b("d", settings(), clock,
                   {.state = gauge, .to_closed = closed, .to_half_open = half, .to_open = opened});
  EXPECT_EQ(gauge->value(), 0);
  for (int i = 0; i < 5; ++i) call(b, BreakerOutcome::kFailure);
  EXPECT_EQ(gauge->value(), 2);
  clock.advance(seconds(30));
  Admission probe = b.admit();
  EXPECT_EQ(gauge->value(), 1);
  b.record(probe, BreakerOutcome::kSuccess);
  EXPECT_EQ(gauge->value(), 0);
  EXPECT_EQ(opened->value(), 1);
  EXPECT_EQ(half->value(), 1);
  EXPECT_EQ(closed->value(), 1);
}

// Many threads racing for the half-open probe: exactly one wins.
TEST(CircuitBreakerTest, ConcurrentCallersGetOneProbe) {
  ManualClock clock;
  CircuitBreaker b("d", settings(), clock);
  for (int i = 0; i < 5; ++i) call(b, BreakerOutcome::kFailure);
  clock.advance(seconds(30));
  std::atomic<int> probes{0}, refused{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 8; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) {
        Admission a = b.admit();
        if (a == Admission::kProbe) ++probes;
        if (a == Admission::kRefused) ++refused;
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(probes.load(), 1);
  EXPECT_EQ(refused.load(), 8 * 1000 - 1);
}

// Counting from many threads loses no call.
TEST(CircuitBreakerTest, ConcurrentRecordsAreAllCounted) {
  ManualClock clock;
  BreakerSettings s = settings();
  s.consecutive_failures = 0;
  s.min_requests = 1000000;
  CircuitBreaker b("d", s, clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        b.record(b.admit(), (i + t) % 10 == 0 ? BreakerOutcome::kFailure : BreakerOutcome::kSuccess);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(b.snapshot().window_requests, 20000);
  EXPECT_EQ(b.snapshot().window_failures, 2000);
}

}  // namespace
}  // namespace anvil::gateway
