// `anvil keys create|list|revoke`: the API keys clients send to `anvil serve`.
#include <cstdio>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/cli/context.h"
#include "anvil/gateway/api_keys.h"
#include "anvil/store/usage_store.h"

namespace anvil::cli {

namespace {

core::Result<store::KeyStore> open_keys(Context& ctx) {
  ANVIL_ASSIGN_OR_RETURN(auto db, ctx.database_path());
  return store::KeyStore::open(db);
}

template <typename T>
boost::json::value optional_json(const std::optional<T>& v) {
  return v ? boost::json::value(*v) : boost::json::value(nullptr);
}

std::string limit_text(const std::optional<int64_t>& v) { return v ? std::to_string(*v) : "-"; }
std::string money_text(const std::optional<double>& v) { return v ? fmt::format("${:.2f}", *v) : "-"; }

boost::json::object key_json(const store::ApiKeyRecord& k) {
  return {{"id", k.id},
          {"name", k.name},
          {"tenant", k.tenant},
          {"prefix", k.prefix},
          {"rpm", optional_json(k.limits.requests_per_minute)},
          {"tpm", optional_json(k.limits.tokens_per_minute)},
          {"budget_usd", optional_json(k.limits.budget_usd)},
          {"max_prompt_tokens", optional_json(k.limits.max_prompt_tokens)},
          {"created_at", k.created_at},
          {"revoked_at", optional_json(k.revoked_at)}};
}

}  // namespace

void register_keys(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("keys", "Create, list and revoke the API keys of `anvil serve`");
  cmd->require_subcommand(1);

  struct Options {
    std::string name;
    std::string tenant;
    std::optional<int64_t> rpm;
    std::optional<int64_t> tpm;
    std::optional<double> budget;
    std::optional<int64_t> max_prompt_tokens;
    std::string id_or_name;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();

  auto* create = cmd->add_subcommand("create", "Create a key and print it (the only time it is shown)");
  create->add_option("--name", opts->name, "Unique name of the key")->required();
  create->add_option("--tenant", opts->tenant, "Tenant the key's usage is billed to")->required();
  create->add_option("--rpm", opts->rpm, "Requests per minute allowed (default: no limit)");
  create->add_option("--tpm", opts->tpm, "Tokens per minute allowed, prompt + completion (default: no limit)");
  create->add_option("--budget", opts->budget, "Total spend allowed, in US dollars (default: no limit)");
  create->add_option("--max-prompt-tokens", opts->max_prompt_tokens,
                     "Prompt tokens per request, when lower than the model's limit (default: the model's)");
  create->add_flag("--json", opts->json, "Print JSON (the key in \"key\")");
  create->callback([&ctx, opts] {
    auto keys = open_keys(ctx);
    if (!keys.ok()) return ctx.fail(keys.status());
    auto issued = gateway::issue_api_key(*keys, opts->name, opts->tenant,
                                         {.requests_per_minute = opts->rpm,
                                          .tokens_per_minute = opts->tpm,
                                          .budget_usd = opts->budget,
                                          .max_prompt_tokens = opts->max_prompt_tokens});
    if (!issued.ok()) return ctx.fail(issued.status());
    const auto& k = issued->record;
    if (opts->json) {
      auto o = key_json(k);
      o["key"] = issued->secret;
      std::printf("%s\n", boost::json::serialize(o).c_str());
      return;
    }
    // The key alone on stdout, so `KEY=$(anvil keys create ...)` captures it; notes on stderr.
    std::fprintf(stderr, "created API key %lld '%s' for tenant '%s' (rpm %s, tpm %s, budget %s)\n",
                 static_cast<long long>(k.id), k.name.c_str(), k.tenant.c_str(),
                 limit_text(k.limits.requests_per_minute).c_str(), limit_text(k.limits.tokens_per_minute).c_str(),
                 money_text(k.limits.budget_usd).c_str());
    std::printf("%s\n", issued->secret.c_str());
    std::fprintf(stderr, "store it now: it is not shown again (anvil keeps only its SHA-256)\n");
  });

  auto* list = cmd->add_subcommand("list", "List the keys, their limits and spend so far");
  list->add_flag("--json", opts->json, "Print JSON");
  list->callback([&ctx, opts] {
    auto keys = open_keys(ctx);
    if (!keys.ok()) return ctx.fail(keys.status());
    auto all = keys->list();
    if (!all.ok()) return ctx.fail(all.status());
    auto db = ctx.database_path();
    if (!db.ok()) return ctx.fail(db.status());
    auto usage = store::UsageStore::open(*db);
    if (!usage.ok()) return ctx.fail(usage.status());
    auto totals = usage->key_totals();
    if (!totals.ok()) return ctx.fail(totals.status());
    auto spent = [&](const store::ApiKeyRecord& k) {
      auto it = totals->find(std::to_string(k.id));
      return it == totals->end() ? store::KeyUsageTotals{} : it->second;
    };
    if (opts->json) {
      boost::json::array arr;
      for (const auto& k : *all) {
        auto o = key_json(k);
        auto t = spent(k);
        o["requests"] = t.requests;
        o["spent_usd"] = t.cost_usd;
        arr.push_back(std::move(o));
      }
      std::printf("%s\n", boost::json::serialize(arr).c_str());
      return;
    }
    if (all->empty()) {
      std::printf("no API keys yet: create one with `anvil keys create --name NAME --tenant TENANT`\n");
      return;
    }
    std::printf("%4s  %-16s %-12s %-10s %7s %9s %10s %10s %9s  %-20s  %s\n", "ID", "NAME", "TENANT", "PREFIX", "RPM",
                "TPM", "BUDGET", "SPENT", "REQUESTS", "CREATED", "STATUS");
    for (const auto& k : *all) {
      auto t = spent(k);
      std::printf("%4lld  %-16s %-12s %-10s %7s %9s %10s %10s %9lld  %-20s  %s\n", static_cast<long long>(k.id),
                  k.name.c_str(), k.tenant.c_str(), k.prefix.c_str(), limit_text(k.limits.requests_per_minute).c_str(),
                  limit_text(k.limits.tokens_per_minute).c_str(), money_text(k.limits.budget_usd).c_str(),
                  fmt::format("${:.4f}", t.cost_usd).c_str(), static_cast<long long>(t.requests),
                  k.created_at.c_str(), k.revoked_at ? ("revoked " + *k.revoked_at).c_str() : "active");
    }
  });

  auto* revoke = cmd->add_subcommand("revoke", "Revoke a key; a running server refuses it within seconds");
  revoke->add_option("key", opts->id_or_name, "The key's id or name")->required();
  revoke->callback([&ctx, opts] {
    auto keys = open_keys(ctx);
    if (!keys.ok()) return ctx.fail(keys.status());
    auto k = keys->revoke(opts->id_or_name);
    if (!k.ok()) return ctx.fail(k.status());
    std::printf("revoked API key %lld '%s' (tenant '%s', %s...) at %s\n", static_cast<long long>(k->id),
                k->name.c_str(), k->tenant.c_str(), k->prefix.c_str(), k->revoked_at->c_str());
  });
}

}  // namespace anvil::cli
