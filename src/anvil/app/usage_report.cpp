#include "anvil/app/usage_report.h"

#include <array>
#include <utility>

#include "anvil/core/clock.h"

namespace anvil::app {

using store::UsageGroupBy;

namespace {

constexpr std::array<std::pair<UsageGroupBy, std::string_view>, 7> kGroupNames = {{
    {UsageGroupBy::kKey, "key"},
    {UsageGroupBy::kTenant, "tenant"},
    {UsageGroupBy::kModel, "model"},
    {UsageGroupBy::kDeployment, "deployment"},
    {UsageGroupBy::kTag, "tag"},
    {UsageGroupBy::kDay, "day"},
    {UsageGroupBy::kNone, "none"},
}};

core::Result<std::optional<int64_t>> parse_time(std::string_view name, std::string_view text) {
  if (text.empty()) return std::optional<int64_t>{};
  auto t = core::parse_timestamp_micros(text);
  if (!t.ok()) return t.status().with_context(name);
  return std::optional<int64_t>{*t};
}

// The sums of a group; the group's name first unless `named` is false (the total).
boost::json::object group_json(const store::UsageGroup& g, bool named = true) {
  boost::json::object o;
  if (named) o["group"] = g.group;
  o["requests"] = g.requests;
  o["prompt_tokens"] = g.prompt_tokens;
  o["completion_tokens"] = g.completion_tokens;
  o["cached_tokens"] = g.cached_tokens;
  o["cost_usd"] = g.cost_usd;
  o["errors"] = g.errors;
  o["cost_per_request"] = cost_per_request(g);
  return o;
}

boost::json::value time_json(const std::optional<int64_t>& t) {
  if (!t) return nullptr;
  return boost::json::string(core::format_timestamp_micros(*t));
}

}  // namespace

std::string_view group_by_name(UsageGroupBy g) {
  for (const auto& [value, name] : kGroupNames) {
    if (value == g) return name;
  }
  return "none";
}

core::Result<store::UsageQuery> parse_usage_query(std::string_view from, std::string_view to,
                                                  std::string_view group_by) {
  store::UsageQuery q;
  ANVIL_ASSIGN_OR_RETURN(q.from_us, parse_time("from", from));
  ANVIL_ASSIGN_OR_RETURN(q.to_us, parse_time("to", to));
  if (q.from_us && q.to_us && *q.from_us >= *q.to_us) {
    return core::Status::invalid_argument("expected 'from' before 'to', found from " + std::string(from) +
                                          " and to " + std::string(to));
  }
  if (group_by.empty()) return q;
  for (const auto& [value, name] : kGroupNames) {
    if (name == group_by) {
      q.group_by = value;
      return q;
    }
  }
  return core::Status::invalid_argument(
      "group_by: expected key, tenant, model, deployment, tag, day or none, found '" + std::string(group_by) + "'");
}

double cost_per_request(const store::UsageGroup& g) {
  return g.requests > 0 ? g.cost_usd / static_cast<double>(g.requests) : 0.0;
}

core::Result<UsageReport> usage_report(store::UsageStore& usage, store::KeyStore* keys,
                                       const store::UsageQuery& query) {
  UsageReport report;
  report.query = query;
  store::UsageQuery total_query = query;
  total_query.group_by = UsageGroupBy::kNone;
  ANVIL_ASSIGN_OR_RETURN(auto total, usage.report(total_query));
  report.total = total.empty() ? store::UsageGroup{} : total.front();
  if (query.group_by != UsageGroupBy::kNone) {
    ANVIL_ASSIGN_OR_RETURN(report.groups, usage.report(query));
  }
  if (keys && query.group_by == UsageGroupBy::kKey) {
    ANVIL_ASSIGN_OR_RETURN(auto all, keys->list());
    for (const auto& k : all) report.key_names[std::to_string(k.id)] = k.name;
  }
  return report;
}

boost::json::object usage_report_json(const UsageReport& report) {
  boost::json::array data;
  for (const auto& g : report.groups) {
    auto o = group_json(g);
    if (report.query.group_by == UsageGroupBy::kKey) {
      auto it = report.key_names.find(g.group);
      o["key_name"] = it == report.key_names.end() ? boost::json::value(nullptr) : boost::json::value(it->second);
    }
    data.push_back(std::move(o));
  }
  auto total = group_json(report.total, false);
  boost::json::value group_by = nullptr;
  if (report.query.group_by != UsageGroupBy::kNone) group_by = boost::json::string(group_by_name(report.query.group_by));
  return {{"object", "usage_report"},
          {"from", time_json(report.query.from_us)},
          {"to", time_json(report.query.to_us)},
          {"group_by", group_by},
          {"data", std::move(data)},
          {"total", std::move(total)}};
}

}  // namespace anvil::app
