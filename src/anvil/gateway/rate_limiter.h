// Per-API-key limits checked before any upstream call: requests per minute and tokens per minute
// (sliding-window counters), and a spend budget (spend from a SpendSource, e.g. the ledger). An
// over-limit verdict says which limit, its value, the current count and when to retry.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "anvil/gateway/monotonic_clock.h"
#include "anvil/gateway/spend_source.h"

namespace anvil::gateway {

// A key's limits; 0 means none.
struct KeyLimits {
  std::int64_t requests_per_minute = 0;
  std::int64_t tokens_per_minute = 0;  // prompt + completion tokens
  double budget_usd = 0.0;             // total spend allowed
  std::int64_t max_prompt_tokens = 0;  // per prompt, when lower than the model's limit (the
                                       // server checks it, not the rate limiter)
};

enum class LimitKind { kRequestsPerMinute, kTokensPerMinute, kBudget };

// "rpm", "tpm", "budget".
std::string_view limit_kind_name(LimitKind kind);

struct LimitExceeded {
  LimitKind kind = LimitKind::kRequestsPerMinute;
  double limit = 0;    // the key's limit (requests, tokens or USD)
  double current = 0;  // the count in the last minute, or the spend so far
  // When the request would pass (the Retry-After header, rounded up to whole seconds); nullopt
  // when waiting does not help: the budget is spent, or one request needs more tokens than the
  // key may use in a minute.
  std::optional<std::chrono::seconds> retry_after;

  // "rate limit exceeded: key 'k1' made 60 requests in the last minute, its limit is 60 per
  // minute (rpm); retry after 12 s".
  std::string message(std::string_view key_id) const;
};

// Thread-safe; keys are spread over independently locked shards.
//
// Counting: a sliding-window counter per key and limit. Each minute-aligned window keeps its
// count; the count "in the last minute" at time t is previous * (1 - f) + current, where f is
// how far t is into the current window. It needs two numbers per key and limit, reports a count
// users recognize as "per minute", and lets tokens be corrected once the upstream reports usage
// (settle) — which a GCRA cell would only express as a shift of its theoretical arrival time.
// Its error comes from assuming the previous window's calls were evenly spread.
class RateLimiter {
 public:
  // `spend` may be null when no key has a budget (a budget is then never enforced).
  explicit RateLimiter(const MonotonicClock& clock, const SpendSource* spend = nullptr,
                       int shards = 16);

  // Before the upstream call: when every limit of `limits` admits one more request of
  // `estimated_tokens` (prompt + expected completion), counts it and returns nullopt; otherwise
  // counts nothing and returns the first limit exceeded (rpm, then tpm, then budget).
  std::optional<LimitExceeded> admit(std::string_view key_id, const KeyLimits& limits,
                                     std::int64_t estimated_tokens);

  // After the call: replaces the estimate by the tokens really used (either may be larger).
  void settle(std::string_view key_id, std::int64_t estimated_tokens, std::int64_t actual_tokens);

  // Requests and tokens counted for `key_id` in the last minute, as admit() sees them.
  std::pair<double, double> usage(std::string_view key_id);

 private:
  struct Window {
    std::int64_t start_minute = 0;  // minutes since the steady epoch of the current window
    double previous = 0;
    double current = 0;
    // Moves the windows forward to `minute`; the count in the last minute at `fraction` of it.
    double count(std::int64_t minute, double fraction);
    // Seconds from now (at `fraction` into the current window) until `cost` more fits `limit`.
    std::optional<double> seconds_until_room(double limit, double cost, double fraction) const;
  };
  struct KeyState {
    Window requests;
    Window tokens;
  };
  struct KeyHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view key) const { return std::hash<std::string_view>{}(key); }
  };
  struct Shard {
    std::mutex mu;
    std::unordered_map<std::string, KeyState, KeyHash, std::equal_to<>> keys;  // never shrinks
  };

  KeyState& state_of(Shard& shard, std::string_view key_id);  // holds shard.mu
  Shard& shard_of(std::string_view key_id);

  const MonotonicClock& clock_;
  const SpendSource* spend_;
  std::vector<std::unique_ptr<Shard>> shards_;
};

}  // namespace anvil::gateway
