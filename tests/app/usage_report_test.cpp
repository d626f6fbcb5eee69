#include "anvil/app/usage_report.h"

#include <gtest/gtest.h>

#include <boost/json/serialize.hpp>

#include "testing/temp_dir.h"

namespace anvil::app {
namespace {

using anvil::testing::TempDir;

TEST(ParseUsageQuery, AcceptsIso8601AndEveryGrouping) {
  auto q = parse_usage_query("2024-03-01", "2024-03-02T08:00:00+08:00", "tag");
  ASSERT_TRUE(q.ok()) << q.status().to_string();
  EXPECT_EQ(q->from_us, 1'709'251'200'000'000);
  EXPECT_EQ(q->to_us, 1'709'251'200'000'000 + 86'400'000'000);
  EXPECT_EQ(q->group_by, store::UsageGroupBy::kTag);
  for (std::string_view g : {"key", "tenant", "model", "deployment", "tag", "day", "none"}) {
    auto parsed = parse_usage_query("", "", g);
    ASSERT_TRUE(parsed.ok()) << g;
    EXPECT_EQ(group_by_name(parsed->group_by), g);
  }
  auto all = parse_usage_query("", "", "");
  ASSERT_TRUE(all.ok());
  EXPECT_FALSE(all->from_us.has_value());
  EXPECT_EQ(all->group_by, store::UsageGroupBy::kNone);
}

TEST(ParseUsageQuery, ErrorsNameTheParameter) {
  auto bad_group = parse_usage_query("", "", "user");
  ASSERT_FALSE(bad_group.ok());
  EXPECT_EQ(bad_group.status().message(),
            "group_by: expected key, tenant, model, deployment, tag, day or none, found 'user'");
  auto bad_from = parse_usage_query("yesterday", "", "");
  ASSERT_FALSE(bad_from.ok());
  EXPECT_EQ(bad_from.status().code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(bad_from.status().message().rfind("from: ", 0), 0u) << bad_from.status().message();
  EXPECT_NE(bad_from.status().message().find("yesterday"), std::string::npos);
  auto reversed = parse_usage_query("2024-03-02", "2024-03-01", "");
  ASSERT_FALSE(reversed.ok());
  EXPECT_EQ(reversed.status().message(), "expected 'from' before 'to', found from 2024-03-02 and to 2024-03-01");
}

TEST(UsageReport, GroupsTotalsAndJson) {
  TempDir dir;
  auto usage = store::UsageStore::open(dir / "anvil.db");
  ASSERT_TRUE(usage.ok());
  auto keys = store::KeyStore::open(dir / "anvil.db");
  ASSERT_TRUE(keys.ok());
  ASSERT_TRUE(keys->create({.name = "ci", .tenant = "acme", .prefix = "ak-x", .key_sha256 = std::string(64, 'a')}).ok());
  auto rec = [](std::string id, std::string key, double cost, std::vector<std::string> tags, std::string outcome) {
    store::UsageRecord r;
    r.request_id = std::move(id);
    r.time_us = 1'709'251'200'000'000;
    r.key_id = std::move(key);
    r.model = "gpt";
    r.operation = "chat";
    r.prompt_tokens = 10;
    r.completion_tokens = 3;
    r.cost_usd = cost;
    r.outcome = std::move(outcome);
    r.tags = std::move(tags);
    return r;
  };
  std::vector<store::UsageRecord> records = {rec("a", "1", 0.5, {"x", "y"}, "ok"),
                                             rec("b", "1", 0.25, {"x"}, "error:timeout"),
                                             rec("c", "", 1.0, {}, "ok")};
  ASSERT_TRUE(usage->insert(records).ok());

  auto by_tag = usage_report(*usage, &*keys, {.group_by = store::UsageGroupBy::kTag});
  ASSERT_TRUE(by_tag.ok());
  ASSERT_EQ(by_tag->groups.size(), 3u);  // "", "x", "y": a request counts in each of its tags
  EXPECT_EQ(by_tag->total.requests, 3);  // ...but once in the total
  EXPECT_EQ(by_tag->total.cost_usd, 1.75);
  EXPECT_EQ(by_tag->total.errors, 1);

  auto by_key = usage_report(*usage, &*keys, {.group_by = store::UsageGroupBy::kKey});
  ASSERT_TRUE(by_key.ok());
  auto json = boost::json::serialize(usage_report_json(*by_key));
  EXPECT_EQ(json,
            R"({"object":"usage_report","from":null,"to":null,"group_by":"key","data":[)"
            R"({"group":"","requests":1,"prompt_tokens":10,"completion_tokens":3,"cached_tokens":0,"cost_usd":1E0,"errors":0,"cost_per_request":1E0,"key_name":null},)"
            R"({"group":"1","requests":2,"prompt_tokens":20,"completion_tokens":6,"cached_tokens":0,"cost_usd":7.5E-1,"errors":1,"cost_per_request":3.75E-1,"key_name":"ci"}],)"
            R"("total":{"requests":3,"prompt_tokens":30,"completion_tokens":9,"cached_tokens":0,"cost_usd":1.75E0,"errors":1,"cost_per_request":5.833333333333334E-1}})");

  auto empty = usage_report(*usage, nullptr, {.from_us = 1'800'000'000'000'000});
  ASSERT_TRUE(empty.ok());
  EXPECT_EQ(empty->total.requests, 0);
  EXPECT_EQ(cost_per_request(empty->total), 0.0);
  EXPECT_TRUE(empty->groups.empty());
}

}  // namespace
}  // namespace anvil::app
