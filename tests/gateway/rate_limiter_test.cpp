#include "anvil/gateway/rate_limiter.h"

#include <gtest/gtest.h>

namespace anvil::gateway {
namespace {

using std::chrono::seconds;

// A ManualClock moved to the start of a minute window (it starts at 1000 s = 16 min 40 s).
class RateLimiterTest : public ::testing::Test {
 protected:
  RateLimiterTest() { clock_.advance(seconds(20)); }
  ManualClock clock_;
};

TEST_F(RateLimiterTest, RequestsPerMinute) {
  RateLimiter limiter(clock_);
  const KeyLimits limits{.requests_per_minute = 3};
  for (int i = 0; i < 3; ++i) EXPECT_FALSE(limiter.admit("k", limits, 0).has_value()) << i;
  auto over = limiter.admit("k", limits, 0);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->kind, LimitKind::kRequestsPerMinute);
  EXPECT_EQ(over->limit, 3);
  EXPECT_EQ(over->current, 3);
  // Next window at +60 s; then the 3 requests slide out linearly: 3 * (1 - f) + 1 <= 3 at f = 1/3.
  ASSERT_TRUE(over->retry_after.has_value());
  EXPECT_EQ(*over->retry_after, seconds(80));
  EXPECT_EQ(over->message("k"),
            "rate limit exceeded: key 'k' made 3 requests in the last minute, its limit is 3 per "
            "minute (rpm); retry after 80 s");
  clock_.advance(seconds(79));
  EXPECT_TRUE(limiter.admit("k", limits, 0).has_value());
  clock_.advance(seconds(1));
  EXPECT_FALSE(limiter.admit("k", limits, 0).has_value());
  // Other keys are counted apart.
  EXPECT_FALSE(limiter.admit("other", limits, 0).has_value());
}

TEST_F(RateLimiterTest, RefusedRequestsAreNotCounted) {
  RateLimiter limiter(clock_);
  const KeyLimits limits{.requests_per_minute = 1};
  EXPECT_FALSE(limiter.admit("k", limits, 0).has_value());
  for (int i = 0; i < 10; ++i) EXPECT_TRUE(limiter.admit("k", limits, 0).has_value());
  EXPECT_EQ(limiter.usage("k").first, 1);
}

TEST_F(RateLimiterTest, TokensPerMinuteAndSettle) {
  RateLimiter limiter(clock_);
  const KeyLimits limits{.tokens_per_minute = 1000};
  EXPECT_FALSE(limiter.admit("k", limits, 600).has_value());
  auto over = limiter.admit("k", limits, 500);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->kind, LimitKind::kTokensPerMinute);
  EXPECT_EQ(over->current, 600);
  EXPECT_EQ(over->limit, 1000);
  // In the current window 600 + 500 never fits; next window: 600 * (1 - g) + 500 <= 1000 at g = 1/6.
  EXPECT_EQ(over->retry_after, std::optional(seconds(70)));
  // The call used only 100 tokens: the estimate is corrected and 800 more fit.
  limiter.settle("k", 600, 100);
  EXPECT_EQ(limiter.usage("k").second, 100);
  EXPECT_FALSE(limiter.admit("k", limits, 800).has_value());
  // A request larger than the whole limit never fits: no Retry-After.
  auto never = limiter.admit("k", limits, 1500);
  ASSERT_TRUE(never.has_value());
  EXPECT_FALSE(never->retry_after.has_value());
}

TEST_F(RateLimiterTest, TheLastMinuteSlides) {
  RateLimiter limiter(clock_);
  const KeyLimits limits{.requests_per_minute = 10};
  for (int i = 0; i < 10; ++i) ASSERT_FALSE(limiter.admit("k", limits, 0).has_value());
  clock_.advance(seconds(90));  // half-way through the next window: 10 * 0.5 counted
  EXPECT_DOUBLE_EQ(limiter.usage("k").first, 5);
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(limiter.admit("k", limits, 0).has_value()) << i;
  EXPECT_TRUE(limiter.admit("k", limits, 0).has_value());
  clock_.advance(seconds(150));  // two windows later nothing is left
  EXPECT_DOUBLE_EQ(limiter.usage("k").first, 0);
}

TEST_F(RateLimiterTest, Budget) {
  InMemorySpend spend;
  RateLimiter limiter(clock_, &spend);
  const KeyLimits limits{.budget_usd = 5.0};
  EXPECT_FALSE(limiter.admit("k", limits, 0).has_value());
  spend.add("k", 4.5);
  EXPECT_FALSE(limiter.admit("k", limits, 0).has_value());
  spend.add("k", 0.5);
  auto over = limiter.admit("k", limits, 0);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->kind, LimitKind::kBudget);
  EXPECT_EQ(over->current, 5.0);
  EXPECT_FALSE(over->retry_after.has_value());
  EXPECT_EQ(over->message("k"), "budget exceeded: key 'k' has spent $5.000000 of its $5.000000 budget");
  EXPECT_FALSE(limiter.admit("other", limits, 0).has_value());
  EXPECT_FALSE(limiter.admit("k", KeyLimits{}, 0).has_value());  // no budget, no check
}

TEST_F(RateLimiterTest, RpmIsCheckedBeforeTpm) {
  RateLimiter limiter(clock_);
  const KeyLimits limits{.requests_per_minute = 1, .tokens_per_minute = 10};
  EXPECT_FALSE(limiter.admit("k", limits, 10).has_value());
  auto over = limiter.admit("k", limits, 10);
  ASSERT_TRUE(over.has_value());
  EXPECT_EQ(over->kind, LimitKind::kRequestsPerMinute);
}

}  // namespace
}  // namespace anvil::gateway
