#include "anvil/gateway/usage_record.h"

#include <gtest/gtest.h>

namespace anvil::gateway {
namespace {

TEST(UsageOutcome, NamesEachKindOfResult) {
  CallResult ok;
  EXPECT_EQ(usage_outcome(ok), "ok");
  CallResult hit;
  hit.cache_hit = true;
  EXPECT_EQ(usage_outcome(hit), "cache_hit");
  CallResult last_resort;
  last_resort.cache_hit = true;
  last_resort.cached_fallback = true;
  EXPECT_EQ(usage_outcome(last_resort), "cached_fallback");
  CallResult failed;
  failed.failure = UpstreamFailure{.kind = FailureKind::kTimeout};
  EXPECT_EQ(usage_outcome(failed), "error:" + std::string(failure_kind_name(FailureKind::kTimeout)));
}

TEST(MakeUsageRecord, CopiesWhatTheCallKnows) {
  CallContext ctx{.request_id = "req-1", .key_id = "7", .tenant = "acme"};
  CallResult r;
  r.usage = {.prompt_tokens = 30, .completion_tokens = 12, .cached_tokens = 10, .reported = true};
  r.deployment = "gpt-east";
  r.cost_usd = 0.0042;
  r.attempts = 3;
  r.fallbacks = 1;
  r.upstream_latency = std::chrono::microseconds(2500);
  auto rec = make_usage_record(ctx, "gpt", Operation::kChatCompletions, true, r);
  EXPECT_EQ(rec.request_id, "req-1");
  EXPECT_EQ(rec.key_id, "7");
  EXPECT_EQ(rec.tenant, "acme");
  EXPECT_EQ(rec.model, "gpt");
  EXPECT_EQ(rec.deployment, "gpt-east");
  EXPECT_EQ(rec.operation, "chat");
  EXPECT_EQ(rec.prompt_tokens, 30);
  EXPECT_EQ(rec.completion_tokens, 12);
  EXPECT_EQ(rec.cached_tokens, 10);
  EXPECT_EQ(rec.cost_usd, 0.0042);
  EXPECT_EQ(rec.upstream_latency_ms, 2.5);
  EXPECT_EQ(rec.attempts, 3);
  EXPECT_EQ(rec.fallbacks, 1);
  EXPECT_TRUE(rec.stream);
  EXPECT_EQ(rec.outcome, "ok");
}

}  // namespace
}  // namespace anvil::gateway
