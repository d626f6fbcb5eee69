#include "anvil/gateway/rate_limiter.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>

namespace anvil::gateway {
namespace {

constexpr double kWindowSeconds = 60.0;

}  // namespace

std::string_view limit_kind_name(LimitKind kind) {
  switch (kind) {
    case LimitKind::kRequestsPerMinute: return "rpm";
    case LimitKind::kTokensPerMinute: return "tpm";
    case LimitKind::kBudget: return "budget";
  }
  return "";
}

std::string LimitExceeded::message(std::string_view key_id) const {
  std::string text;
  switch (kind) {
    case LimitKind::kRequestsPerMinute:
      text = fmt::format(
          "rate limit exceeded: key '{}' made {:.0f} requests in the last minute, its limit is {:.0f} "
          "per minute (rpm)",
          key_id, current, limit);
      break;
    case LimitKind::kTokensPerMinute:
      text = fmt::format(
          "rate limit exceeded: key '{}' used {:.0f} tokens in the last minute and this request "
          "needs more, its limit is {:.0f} per minute (tpm)",
          key_id, current, limit);
      break;
    case LimitKind::kBudget:
      text = fmt::format("budget exceeded: key '{}' has spent ${:.6f} of its ${:.6f} budget",
                         key_id, current, limit);
      break;
  }
  if (retry_after) text += fmt::format("; retry after {} s", retry_after->count());
  return text;
}

double RateLimiter::Window::count(std::int64_t minute, double fraction) {
  if (minute == start_minute + 1) {
    previous = current;
    current = 0;
  } else if (minute > start_minute + 1) {
    previous = current = 0;
  }
  start_minute = std::max(start_minute, minute);
  return previous * (1.0 - fraction) + current;
}

std::optional<double> RateLimiter::Window::seconds_until_room(double limit, double cost,
                                                              double fraction) const {
  if (current + cost <= limit) {
    // Fits once enough of the previous window has slid out: previous * (1 - f) <= room.
    if (previous <= 0) return 0.0;
    const double f = 1.0 - (limit - current - cost) / previous;
    return std::max(0.0, (f - fraction) * kWindowSeconds);
  }
  if (cost > limit) return std::nullopt;
  // Not in this window: in the next one, this window's count slides out the same way.
  const double g = current > 0 ? std::max(0.0, 1.0 - (limit - cost) / current) : 0.0;
  return (1.0 - fraction) * kWindowSeconds + g * kWindowSeconds;
}

RateLimiter::RateLimiter(const MonotonicClock& clock, const SpendSource* spend, int shards)
    : clock_(clock), spend_(spend) {
  for (int i = 0; i < std::max(shards, 1); ++i) shards_.push_back(std::make_unique<Shard>());
}

RateLimiter::Shard& RateLimiter::shard_of(std::string_view key_id) {
  return *shards_[std::hash<std::string_view>{}(key_id) % shards_.size()];
}

RateLimiter::KeyState& RateLimiter::state_of(Shard& shard, std::string_view key_id) {
  auto it = shard.keys.find(key_id);
  if (it == shard.keys.end()) it = shard.keys.emplace(std::string(key_id), KeyState{}).first;
  return it->second;
}

namespace {

struct WindowPosition {
  std::int64_t minute;
  double fraction;  // [0, 1) into the minute
};

WindowPosition position(SteadyTime now) {
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
  return {ms / 60000, static_cast<double>(ms % 60000) / 60000.0};
}

std::optional<std::chrono::seconds> whole_seconds(std::optional<double> seconds) {
  if (!seconds) return std::nullopt;
  return std::chrono::seconds(std::max<std::int64_t>(1, static_cast<std::int64_t>(std::ceil(*seconds))));
}

}  // namespace

std::optional<LimitExceeded> RateLimiter::admit(std::string_view key_id, const KeyLimits& limits,
                                                std::int64_t estimated_tokens) {
  const WindowPosition at = position(clock_.now());
  const double tokens = static_cast<double>(std::max<std::int64_t>(estimated_tokens, 0));
  {
    Shard& shard = shard_of(key_id);
    std::lock_guard lock(shard.mu);
    KeyState& state = state_of(shard, key_id);
    const double requests_now = state.requests.count(at.minute, at.fraction);
    const double tokens_now = state.tokens.count(at.minute, at.fraction);
    if (limits.requests_per_minute > 0) {
      const auto limit = static_cast<double>(limits.requests_per_minute);
      if (requests_now + 1 > limit) {
        return LimitExceeded{LimitKind::kRequestsPerMinute, limit, std::floor(requests_now),
                             whole_seconds(state.requests.seconds_until_room(limit, 1, at.fraction))};
      }
    }
    if (limits.tokens_per_minute > 0) {
      const auto limit = static_cast<double>(limits.tokens_per_minute);
      if (tokens_now + tokens > limit) {
        return LimitExceeded{LimitKind::kTokensPerMinute, limit, std::floor(tokens_now),
                             whole_seconds(state.tokens.seconds_until_room(limit, tokens, at.fraction))};
      }
    }
    if (limits.budget_usd > 0 && spend_ != nullptr) {
      // Spend grows only when calls finish, so calls of one key in flight together may overrun
      // the budget by what they cost: the budget is a cap checked at admission.
      const double spent = spend_->spent_usd(key_id);
      if (spent >= limits.budget_usd) {
        return LimitExceeded{LimitKind::kBudget, limits.budget_usd, spent, std::nullopt};
      }
    }
    state.requests.current += 1;
    state.tokens.current += tokens;
  }
  return std::nullopt;
}

void RateLimiter::settle(std::string_view key_id, std::int64_t estimated_tokens,
                         std::int64_t actual_tokens) {
  const WindowPosition at = position(clock_.now());
  Shard& shard = shard_of(key_id);
  std::lock_guard lock(shard.mu);
  Window& w = state_of(shard, key_id).tokens;
  w.count(at.minute, at.fraction);
  // The estimate may have been counted in the window before; correct what is still here.
  w.current = std::max(0.0, w.current + static_cast<double>(actual_tokens - estimated_tokens));
}

std::pair<double, double> RateLimiter::usage(std::string_view key_id) {
  const WindowPosition at = position(clock_.now());
  Shard& shard = shard_of(key_id);
  std::lock_guard lock(shard.mu);
  KeyState& state = state_of(shard, key_id);
  return {state.requests.count(at.minute, at.fraction), state.tokens.count(at.minute, at.fraction)};
}

}  // namespace anvil::gateway
