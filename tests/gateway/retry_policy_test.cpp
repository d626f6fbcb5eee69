#include "anvil/gateway/retry_policy.h"

#include <gtest/gtest.h>

namespace anvil::gateway {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

UpstreamFailure http(int status) {
  UpstreamFailure f;
  f.kind = FailureKind::kHttpStatus;
  f.http_status = status;
  return f;
}

UpstreamFailure of_kind(FailureKind kind) {
  UpstreamFailure f;
  f.kind = kind;
  return f;
}

TEST(RetryPolicyTest, TransientFailures) {
  for (FailureKind k : {FailureKind::kConnect, FailureKind::kTimeout, FailureKind::kReset}) {
    EXPECT_TRUE(is_transient(of_kind(k))) << failure_kind_name(k);
  }
  for (int s : {408, 409, 429, 500, 502, 503, 504, 599}) EXPECT_TRUE(is_transient(http(s))) << s;
  for (int s : {400, 401, 403, 404, 413, 422, 499}) EXPECT_FALSE(is_transient(http(s))) << s;
  for (FailureKind k :
       {FailureKind::kProtocol, FailureKind::kContextOverflow, FailureKind::kCancelled}) {
    EXPECT_FALSE(is_transient(of_kind(k))) << failure_kind_name(k);
  }
}

TEST(RetryPolicyTest, DeploymentFaultsAndBreakerFailures) {
  EXPECT_TRUE(is_deployment_fault(http(503)));
  EXPECT_TRUE(is_deployment_fault(http(401)));
  EXPECT_TRUE(is_deployment_fault(http(404)));
  EXPECT_TRUE(is_deployment_fault(of_kind(FailureKind::kProtocol)));
  EXPECT_FALSE(is_deployment_fault(http(400)));
  EXPECT_FALSE(is_deployment_fault(http(422)));
  EXPECT_FALSE(is_deployment_fault(of_kind(FailureKind::kContextOverflow)));
  EXPECT_FALSE(is_deployment_fault(of_kind(FailureKind::kCancelled)));

  EXPECT_TRUE(counts_against_breaker(http(429)));
  EXPECT_TRUE(counts_against_breaker(of_kind(FailureKind::kReset)));
  EXPECT_TRUE(counts_against_breaker(of_kind(FailureKind::kProtocol)));
  EXPECT_FALSE(counts_against_breaker(http(401)));  // a configuration fault, not an outage
  EXPECT_FALSE(counts_against_breaker(http(400)));
  EXPECT_FALSE(counts_against_breaker(of_kind(FailureKind::kCancelled)));
}

TEST(RetryPolicyTest, BackoffCeilingDoublesUpToTheCap) {
  RetryPolicy policy({.max_attempts = 10, .base_delay = milliseconds(100),
                      .max_delay = milliseconds(1000)},
                     1);
  EXPECT_EQ(policy.backoff_ceiling(1), milliseconds(100));
  EXPECT_EQ(policy.backoff_ceiling(2), milliseconds(200));
  EXPECT_EQ(policy.backoff_ceiling(3), milliseconds(400));
  EXPECT_EQ(policy.backoff_ceiling(4), milliseconds(800));
  EXPECT_EQ(policy.backoff_ceiling(5), milliseconds(1000));
  EXPECT_EQ(policy.backoff_ceiling(500), milliseconds(1000));  // no overflow
}

TEST(RetryPolicyTest, FullJitterCoversTheWholeRange) {
  RetryPolicy policy({.max_attempts = 10, .base_delay = milliseconds(100),
                      .max_delay = milliseconds(1000)},
                     42);
  // Retry 3: uniform over 0..400 ms. 20,000 draws: every one in range, the mean near 200 and
  // both ends of the range reached (full jitter, not "half plus jitter").
  double sum = 0;
  std::int64_t lowest = 1 << 30, highest = -1;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t d = policy.backoff(3).count();
    ASSERT_GE(d, 0);
    ASSERT_LE(d, 400);
    sum += static_cast<double>(d);
    lowest = std::min(lowest, d);
    highest = std::max(highest, d);
  }
  EXPECT_NEAR(sum / 20000, 200.0, 5.0);
  EXPECT_LE(lowest, 2);
  EXPECT_GE(highest, 398);
}

TEST(RetryPolicyTest, SameSeedSameDelays) {
  RetrySettings s{.max_attempts = 5, .base_delay = milliseconds(250), .max_delay = seconds(8)};
  RetryPolicy a(s, 7), b(s, 7), c(s, 8);
  std::vector<std::int64_t> da, db, dc;
  for (int retry = 1; retry <= 5; ++retry) {
    da.push_back(a.backoff(retry).count());
    db.push_back(b.backoff(retry).count());
    dc.push_back(c.backoff(retry).count());
  }
  EXPECT_EQ(da, db);
  EXPECT_NE(da, dc);
}

TEST(RetryPolicyTest, RetryAfterIsHonoured) {
  RetryPolicy policy({.max_attempts = 3, .base_delay = milliseconds(100),
                      .max_delay = milliseconds(200)},
                     1);
  const SteadyTime now{seconds(1000)};
  UpstreamFailure f = http(429);
  f.retry_after = seconds(3);
  EXPECT_EQ(policy.next_delay(f, 1, now, now + seconds(30)), std::optional(milliseconds(3000)));
  f.retry_after = milliseconds(0);
  EXPECT_EQ(policy.next_delay(f, 1, now, now + seconds(30)), std::optional(milliseconds(0)));
  f.retry_after = seconds(600);  // clamped to the 60 s the policy honours at most
  EXPECT_EQ(policy.next_delay(f, 1, now, now + seconds(120)), std::optional(milliseconds(60000)));
}

TEST(RetryPolicyTest, AttemptsAndDeadlineBoundRetries) {
  RetryPolicy policy({.max_attempts = 3, .base_delay = milliseconds(100),
                      .max_delay = milliseconds(100)},
                     1);
  const SteadyTime now{seconds(1000)};
  const SteadyTime far = now + seconds(60);
  EXPECT_TRUE(policy.next_delay(http(503), 1, now, far).has_value());
  EXPECT_TRUE(policy.next_delay(http(503), 2, now, far).has_value());
  EXPECT_FALSE(policy.next_delay(http(503), 3, now, far).has_value());  // 3 attempts made
  EXPECT_FALSE(policy.next_delay(http(400), 1, now, far).has_value());  // not transient

  UpstreamFailure slow = http(503);
  slow.retry_after = seconds(3);
  // A 3 s wait would end past a deadline 2 s away: not taken.
  EXPECT_FALSE(policy.next_delay(slow, 1, now, now + seconds(2)).has_value());
  EXPECT_TRUE(policy.next_delay(slow, 1, now, now + milliseconds(3001)).has_value());
  // Deadline already passed: nothing is retried, not even with a zero wait.
  slow.retry_after = milliseconds(0);
  EXPECT_FALSE(policy.next_delay(slow, 1, now, now).has_value());
}

TEST(RetryPolicyTest, OneAttemptMeansNoRetry) {
  RetryPolicy policy({.max_attempts = 0}, 1);  // clamped to 1
  const SteadyTime now{seconds(1000)};
  EXPECT_EQ(policy.settings().max_attempts, 1);
  EXPECT_FALSE(policy.next_delay(http(503), 1, now, now + seconds(60)).has_value());
}

}  // namespace
}  // namespace anvil::gateway
