#include "anvil/gateway/retry_policy.h"

#include <algorithm>
#include <cmath>

namespace anvil::gateway {

bool is_transient(const UpstreamFailure& failure) {
  switch (failure.kind) {
    case FailureKind::kConnect:
    case FailureKind::kTimeout:
    case FailureKind::kReset:
      return true;
    case FailureKind::kHttpStatus: {
      const int s = failure.http_status;
      return s == 408 || s == 409 || s == 429 || (s >= 500 && s <= 599);
    }
    case FailureKind::kProtocol:
    case FailureKind::kContextOverflow:
    case FailureKind::kCancelled:
      return false;
  }
  return false;
}

bool is_deployment_fault(const UpstreamFailure& failure) {
  if (is_transient(failure) || failure.kind == FailureKind::kProtocol) return true;
  if (failure.kind != FailureKind::kHttpStatus) return false;
  const int s = failure.http_status;
  return s == 401 || s == 403 || s == 404;
}

bool counts_against_breaker(const UpstreamFailure& failure) {
  return is_transient(failure) || failure.kind == FailureKind::kProtocol;
}

RetryPolicy::RetryPolicy(RetrySettings settings, std::uint64_t seed)
    : settings_(settings), random_(seed) {
  settings_.max_attempts = std::max(settings_.max_attempts, 1);
}

std::chrono::milliseconds RetryPolicy::backoff_ceiling(int retry) const {
  const double base = static_cast<double>(settings_.base_delay.count());
  const double cap = static_cast<double>(settings_.max_delay.count());
  // 2^62 ms is far past any cap; clamping the exponent keeps the double finite.
  const double grown = base * std::ldexp(1.0, std::clamp(retry - 1, 0, 62));
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::max(0.0, std::min(cap, grown))));
}

std::chrono::milliseconds RetryPolicy::backoff(int retry) {
  const auto ceiling = backoff_ceiling(retry).count();
  // Uniform over the integers 0..ceiling, both ends included.
  const auto drawn = static_cast<std::int64_t>(random_.uniform() * static_cast<double>(ceiling + 1));
  return std::chrono::milliseconds(std::min<std::int64_t>(drawn, ceiling));
}

std::optional<std::chrono::milliseconds> RetryPolicy::next_delay(const UpstreamFailure& failure,
                                                                 int attempts_made, SteadyTime now,
                                                                 SteadyTime deadline) {
  if (!is_transient(failure) || attempts_made >= settings_.max_attempts) return std::nullopt;
  const std::chrono::milliseconds wait =
      failure.retry_after ? std::clamp(*failure.retry_after, std::chrono::milliseconds(0),
                                       std::chrono::milliseconds(60000))
                          : backoff(attempts_made);
  if (now + wait >= deadline) return std::nullopt;
  return wait;
}

}  // namespace anvil::gateway
