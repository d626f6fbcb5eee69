#include "anvil/store/usage_store.h"

#include <gtest/gtest.h>

#include "testing/temp_dir.h"

namespace anvil::store {
namespace {

using anvil::testing::TempDir;

constexpr int64_t kDay = 86'400'000'000;        // microseconds
constexpr int64_t kMar1 = 1'709'251'200'000'000;  // 2024-03-01T00:00:00Z

UsageRecord rec(std::string id, int64_t time_us, std::string key, std::string model, int64_t prompt,
                int64_t completion, double cost, std::vector<std::string> tags = {},
                std::string outcome = "ok") {
  UsageRecord r;
  r.request_id = std::move(id);
  r.time_us = time_us;
  r.key_id = std::move(key);
  r.tenant = r.key_id == "1" ? "acme" : "globex";
  r.model = std::move(model);
  r.deployment = r.model + "-primary";
  r.operation = "chat";
  r.prompt_tokens = prompt;
  r.completion_tokens = completion;
  r.cached_tokens = prompt / 4;
  r.cost_usd = cost;
  r.latency_ms = 1.5;
  r.http_status = outcome == "ok" ? 200 : 502;
  r.outcome = std::move(outcome);
  r.attempts = 1;
  r.tags = std::move(tags);
  return r;
}

class UsageStoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = UsageStore::open(dir_ / "anvil.db");
    ASSERT_TRUE(s.ok()) << s.status().to_string();
    store_.emplace(std::move(s).value());
    // Costs are multiples of 1/8 so every sum below is exact in binary floating point.
    std::vector<UsageRecord> records = {
        rec("r1", kMar1 + 10, "1", "gpt", 100, 10, 0.5, {"team=search", "env=prod"}),
        rec("r2", kMar1 + 20, "1", "gpt", 200, 20, 0.25, {"team=search"}),
        rec("r3", kMar1 + kDay, "2", "gpt", 40, 4, 0.125, {}, "error:http_status"),
        rec("r4", kMar1 + kDay + 5, "2", "llama", 8, 0, 1.0, {"env=prod"}),
        rec("r5", kMar1 + 2 * kDay, "1", "llama", 4, 4, 2.0, {}, "cache_hit"),
    };
    auto r = store_->insert(records);
    ASSERT_TRUE(r.ok()) << r.status().to_string();
    ASSERT_EQ(r->inserted, 5);
  }

  std::vector<UsageGroup> report(UsageGroupBy g, std::optional<int64_t> from = {},
                                 std::optional<int64_t> to = {}) {
    auto r = store_->report({.from_us = from, .to_us = to, .group_by = g});
    EXPECT_TRUE(r.ok()) << r.status().to_string();
    return r.ok() ? *r : std::vector<UsageGroup>{};
  }

  TempDir dir_;
  std::optional<UsageStore> store_;
};

void expect_group(const UsageGroup& g, const std::string& name, int64_t requests, int64_t prompt,
                  int64_t completion, int64_t cached, double cost, int64_t errors) {
  EXPECT_EQ(g.group, name);
  EXPECT_EQ(g.requests, requests) << name;
  EXPECT_EQ(g.prompt_tokens, prompt) << name;
  EXPECT_EQ(g.completion_tokens, completion) << name;
  EXPECT_EQ(g.cached_tokens, cached) << name;
  EXPECT_EQ(g.cost_usd, cost) << name;
  EXPECT_EQ(g.errors, errors) << name;
}

TEST_F(UsageStoreTest, TotalsWithoutGrouping) {
  auto all = report(UsageGroupBy::kNone);
  ASSERT_EQ(all.size(), 1u);
  expect_group(all[0], "", 5, 352, 38, 25 + 50 + 10 + 2 + 1, 3.875, 1);
}

TEST_F(UsageStoreTest, GroupsByKeyTenantModelDeployment) {
  auto by_key = report(UsageGroupBy::kKey);
  ASSERT_EQ(by_key.size(), 2u);
  expect_group(by_key[0], "1", 3, 304, 34, 25 + 50 + 1, 2.75, 0);
  expect_group(by_key[1], "2", 2, 48, 4, 10 + 2, 1.125, 1);

  auto by_tenant = report(UsageGroupBy::kTenant);
  ASSERT_EQ(by_tenant.size(), 2u);
  EXPECT_EQ(by_tenant[0].group, "acme");
  EXPECT_EQ(by_tenant[1].group, "globex");
  EXPECT_EQ(by_tenant[1].cost_usd, 1.125);

  auto by_model = report(UsageGroupBy::kModel);
  ASSERT_EQ(by_model.size(), 2u);
  expect_group(by_model[0], "gpt", 3, 340, 34, 25 + 50 + 10, 0.875, 1);
  expect_group(by_model[1], "llama", 2, 12, 4, 2 + 1, 3.0, 0);

  auto by_deployment = report(UsageGroupBy::kDeployment);
  ASSERT_EQ(by_deployment.size(), 2u);
  EXPECT_EQ(by_deployment[0].group, "gpt-primary");
  EXPECT_EQ(by_deployment[1].requests, 2);
}

TEST_F(UsageStoreTest, GroupsByTagCountingARequestOncePerTag) {
  auto by_tag = report(UsageGroupBy::kTag);
  ASSERT_EQ(by_tag.size(), 3u);
  expect_group(by_tag[0], "", 2, 44, 8, 10 + 1, 2.125, 1);  // r3, r5: untagged
  expect_group(by_tag[1], "env=prod", 2, 108, 10, 25 + 2, 1.5, 0);
  expect_group(by_tag[2], "team=search", 2, 300, 30, 75, 0.75, 0);
}

TEST_F(UsageStoreTest, GroupsByUtcDayWithinAHalfOpenRange) {
  auto by_day = report(UsageGroupBy::kDay);
  ASSERT_EQ(by_day.size(), 3u);
  expect_group(by_day[0], "2024-03-01", 2, 300, 30, 75, 0.75, 0);
  expect_group(by_day[1], "2024-03-02", 2, 48, 4, 12, 1.125, 1);
  expect_group(by_day[2], "2024-03-03", 1, 4, 4, 1, 2.0, 0);

  // [from, to): r2 is at kMar1 + 20 and excluded by to = kMar1 + 20.
  auto range = report(UsageGroupBy::kDay, kMar1 + 10, kMar1 + 20);
  ASSERT_EQ(range.size(), 1u);
  expect_group(range[0], "2024-03-01", 1, 100, 10, 25, 0.5, 0);

  auto empty = report(UsageGroupBy::kNone, kMar1 + 3 * kDay, std::nullopt);
  ASSERT_EQ(empty.size(), 1u);
  expect_group(empty[0], "", 0, 0, 0, 0, 0.0, 0);
  EXPECT_TRUE(report(UsageGroupBy::kModel, kMar1 + 3 * kDay, std::nullopt).empty());
}

TEST_F(UsageStoreTest, DuplicateRequestIdsAreSkippedAndReported) {
  std::vector<UsageRecord> again = {rec("r1", kMar1, "1", "gpt", 999, 999, 100.0, {"dup"}),
                                    rec("r6", kMar1, "1", "gpt", 1, 1, 0.5)};
  auto r = store_->insert(again);
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  EXPECT_EQ(r->inserted, 1);
  EXPECT_EQ(r->duplicates, std::vector<std::string>{"r1"});
  EXPECT_EQ(*store_->count(), 6);
  // The first record of r1 and its tags stand.
  EXPECT_EQ(*store_->tags_of("r1"), (std::vector<std::string>{"env=prod", "team=search"}));
  EXPECT_EQ(report(UsageGroupBy::kNone)[0].cost_usd, 4.375);
}

TEST_F(UsageStoreTest, KeyTotalsFollowEveryBatchAndSurviveReopen) {
  store_.reset();
  auto reopened = UsageStore::open(dir_ / "anvil.db");
  ASSERT_TRUE(reopened.ok());
  auto totals = reopened->key_totals();
  ASSERT_TRUE(totals.ok());
  ASSERT_EQ(totals->size(), 2u);
  const auto& k1 = totals->at("1");
  EXPECT_EQ(k1.requests, 3);
  EXPECT_EQ(k1.prompt_tokens, 304);
  EXPECT_EQ(k1.completion_tokens, 34);
  EXPECT_EQ(k1.cached_tokens, 76);
  EXPECT_EQ(k1.cost_usd, 2.75);
  EXPECT_EQ(totals->at("2").cost_usd, 1.125);
}

TEST_F(UsageStoreTest, SameIdTwiceInOneBatchCountsOnce) {
  std::vector<UsageRecord> twice = {rec("x", kMar1, "3", "m", 1, 1, 0.5), rec("x", kMar1, "3", "m", 1, 1, 0.5)};
  auto r = store_->insert(twice);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->inserted, 1);
  EXPECT_EQ(store_->key_totals()->at("3").requests, 1);
}

}  // namespace
}  // namespace anvil::store
