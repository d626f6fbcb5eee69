// Which failed attempts are tried again on the same deployment, and after how long: transient
// failures only, exponential backoff with full jitter or the upstream's Retry-After, bounded by
// attempts per deployment and by the request's deadline. Also how a failure counts elsewhere
// (circuit breaker, fallback), so that every policy classifies failures the same way.
#pragma once

#include <chrono>
#include <optional>

#include "anvil/gateway/monotonic_clock.h"
#include "anvil/gateway/shared_random.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

struct RetrySettings {
  int max_attempts = 3;  // per deployment, the first one included (1: never retry)
  // Backoff before retry k (k = 1, 2, ...): uniform in [0, min(max_delay, base_delay * 2^(k-1))].
  std::chrono::milliseconds base_delay{250};
  std::chrono::milliseconds max_delay{8000};
};

// A failure the upstream may not repeat: connect errors, timeouts, resets, and HTTP 408, 409,
// 429 and 5xx. These are retried, count as failures for the circuit breaker, and move the call
// to the next deployment once retries are spent. Not: other 4xx (the request itself is at
// fault), context overflow (the request does not fit), cancelled (the client left), protocol.
bool is_transient(const UpstreamFailure& failure);

// A failure that says the deployment, not the request, is broken, so another deployment may
// answer: every transient failure, a malformed response (kProtocol), and HTTP 401, 403 and 404
// (the deployment's key or upstream model name is wrong). Client errors (400, 413, 422...) are
// the answer and go back to the client; context overflow has its own fallback chain.
bool is_deployment_fault(const UpstreamFailure& failure);

// What the circuit breaker counts as a failure: transient failures and malformed responses.
bool counts_against_breaker(const UpstreamFailure& failure);

class RetryPolicy {
 public:
  // `seed` seeds the jitter; the policy is shared by all I/O threads (no lock).
  RetryPolicy(RetrySettings settings, std::uint64_t seed);

  // How long to wait before attempt `attempts_made + 1` on the same deployment, after attempt
  // `attempts_made` (>= 1) failed with `failure` at `now`; nullopt when the call must not be
  // retried there: the failure is not transient, the attempts are spent, or the wait would end
  // at or past `deadline` (the caller then moves to a fallback or fails). A Retry-After from
  // the upstream is the wait; otherwise backoff(attempts_made).
  std::optional<std::chrono::milliseconds> next_delay(const UpstreamFailure& failure,
                                                      int attempts_made, SteadyTime now,
                                                      SteadyTime deadline);

  // Full jitter: uniform in [0, min(max_delay, base_delay * 2^(retry - 1))], retry >= 1.
  std::chrono::milliseconds backoff(int retry);

  // The bound backoff(retry) draws under.
  std::chrono::milliseconds backoff_ceiling(int retry) const;

  const RetrySettings& settings() const { return settings_; }

 private:
  RetrySettings settings_;
  SharedRandom random_;
};

}  // namespace anvil::gateway
