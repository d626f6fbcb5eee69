#include "anvil/gateway/usage_record.h"

#include <gtest/gtest.h>

#include <boost/json/parse.hpp>

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

TEST(RequestTags, MetadataAndHeaderMergedSortedUnique) {
  auto meta = boost::json::parse(R"({"team":"search","priority":2,"beta":true})").as_object();
  auto tags = request_tags(&meta, " nightly, team:search ,,eval ");
  ASSERT_TRUE(tags.ok()) << tags.status().to_string();
  EXPECT_EQ(*tags, (std::vector<std::string>{"beta:true", "eval", "nightly", "priority:2", "team:search"}));
  auto none = request_tags(nullptr, "");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
}

TEST(RequestTags, ErrorsNameTheProblem) {
  auto meta = boost::json::parse(R"({"nested":{"a":1}})").as_object();
  EXPECT_EQ(request_tags(&meta, "").status().message(),
            "metadata: expected string values, found an object under 'nested'");
  std::string header;
  for (int i = 0; i < 33; ++i) header += "t" + std::to_string(i) + ",";
  EXPECT_EQ(request_tags(nullptr, header).status().message(),
            "tags: expected at most 32 per request (metadata and X-Anvil-Tags together), found 33");
  EXPECT_EQ(request_tags(nullptr, std::string(601, 'x')).status().message(),
            "X-Anvil-Tags: expected tags of at most 600 bytes, found one of 601 bytes starting "
            "'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'");
}

}  // namespace
}  // namespace anvil::gateway
