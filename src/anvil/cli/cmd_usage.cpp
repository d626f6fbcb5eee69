// `anvil usage`: requests, tokens and cost from the usage ledger, grouped and over a time range.
#include <cstdio>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/app/usage_report.h"
#include "anvil/cli/context.h"

namespace anvil::cli {

namespace {

void print_row(const std::string& label, const store::UsageGroup& g) {
  std::printf("%-28s %9lld %12lld %12lld %12lld %14s %7lld %14s\n", label.c_str(),
              static_cast<long long>(g.requests), static_cast<long long>(g.prompt_tokens),
              static_cast<long long>(g.completion_tokens), static_cast<long long>(g.cached_tokens),
              fmt::format("{:.6f}", g.cost_usd).c_str(), static_cast<long long>(g.errors),
              fmt::format("{:.6f}", app::cost_per_request(g)).c_str());
}

std::string group_label(const app::UsageReport& r, const store::UsageGroup& g) {
  if (r.query.group_by == store::UsageGroupBy::kKey) {
    if (g.group.empty()) return "(admin / no key)";
    auto it = r.key_names.find(g.group);
    return it == r.key_names.end() ? g.group : g.group + " " + it->second;
  }
  if (g.group.empty()) return r.query.group_by == store::UsageGroupBy::kTag ? "(untagged)" : "(none)";
  return g.group;
}

}  // namespace

void register_usage(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("usage", "Requests, tokens and cost from the usage ledger");
  struct Options {
    std::string from;
    std::string to;
    std::string group_by;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  cmd->add_option("--from", opts->from, "Start, inclusive (ISO 8601: 2024-03-01 or 2024-03-01T08:00:00Z)");
  cmd->add_option("--to", opts->to, "End, exclusive (ISO 8601)");
  cmd->add_option("--group-by", opts->group_by, "key, tenant, model, deployment, tag, day or none");
  cmd->add_flag("--json", opts->json, "Print JSON (the body GET /v1/usage answers)");
  cmd->callback([&ctx, opts] {
    auto query = app::parse_usage_query(opts->from, opts->to, opts->group_by);
    if (!query.ok()) return ctx.fail(query.status());
    auto db = ctx.database_path();
    if (!db.ok()) return ctx.fail(db.status());
    auto usage = store::UsageStore::open(*db);
    if (!usage.ok()) return ctx.fail(usage.status());
    auto keys = store::KeyStore::open(*db);
    if (!keys.ok()) return ctx.fail(keys.status());
    auto report = app::usage_report(*usage, &*keys, *query);
    if (!report.ok()) return ctx.fail(report.status());
    if (opts->json) {
      std::printf("%s\n", boost::json::serialize(app::usage_report_json(*report)).c_str());
      return;
    }
    std::string header = query->group_by == store::UsageGroupBy::kNone
                             ? std::string("")
                             : std::string(app::group_by_name(query->group_by));
    for (auto& c : header) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    std::printf("%-28s %9s %12s %12s %12s %14s %7s %14s\n", header.c_str(), "REQUESTS", "PROMPT", "COMPLETION",
                "CACHED", "COST_USD", "ERRORS", "COST/REQUEST");
    for (const auto& g : report->groups) print_row(group_label(*report, g), g);
    print_row("TOTAL", report->total);
  });
}

}  // namespace anvil::cli
