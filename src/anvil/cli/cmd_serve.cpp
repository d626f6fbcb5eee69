// `anvil serve [--config anvil.toml] [--host H] [--port P] [--data-dir D] [--threads N]`: the
// OpenAI-compatible HTTP server (docs/SERVER.md). Runs until SIGINT or SIGTERM, then drains and
// exits 0. `--port 0` picks a free port; the bound address is printed on standard output.
#include <cstdio>
#include <memory>

#include "anvil/cli/context.h"
#include "anvil/cli/secret_store.h"
#include "anvil/core/log.h"
#include "anvil/core/secrets.h"
#include "anvil/gateway/api_keys.h"
#include "anvil/gateway/gateway_config.h"
#include "anvil/gateway/local_provider.h"
#include "anvil/gateway/openai_provider.h"
#include "anvil/gateway/rate_limiter.h"
#include "anvil/gateway/routing_gateway.h"
#include "anvil/gateway/usage_ledger.h"
#include "anvil/server/admin_routes.h"
#include "anvil/server/auth.h"
#include "anvil/server/http_server.h"
#include "anvil/server/openai_routes.h"
#include "anvil/server/server_options.h"
#include "anvil/server/system_routes.h"
#include "anvil/server/usage_routes.h"

namespace anvil::cli {

namespace {

constexpr std::string_view kAdminKeySecret = "ANVIL_ADMIN_KEY";

// Who may call and what they used: the API keys (and the admin key), their rate limits, the
// usage ledger, and the reports over it; all in the data directory's anvil.db.
struct AccessStack {
  std::unique_ptr<gateway::ApiKeys> keys;
  std::unique_ptr<gateway::UsageLedger> ledger;
  std::unique_ptr<gateway::RateLimiter> limiter;
  std::unique_ptr<server::Authenticator> auth;
  std::unique_ptr<server::UsageReports> reports;
};

core::Result<AccessStack> build_access(const std::filesystem::path& database, const core::SecretStore& secrets) {
  std::string admin_key;
  core::Result<std::string> admin = secrets.get(kAdminKeySecret);
  if (admin.ok()) {
    admin_key = std::move(admin).value();
  } else if (admin.status().code() != core::StatusCode::kNotFound) {
    return admin.status();
  }
  AccessStack access;
  gateway::ApiKeysOptions key_options;
  key_options.database = database;
  key_options.admin_key = admin_key;
  ANVIL_ASSIGN_OR_RETURN(access.keys, gateway::ApiKeys::open(std::move(key_options)));
  gateway::UsageLedgerOptions ledger_options;
  ledger_options.database = database;
  ANVIL_ASSIGN_OR_RETURN(access.ledger, gateway::UsageLedger::open(std::move(ledger_options)));
  access.limiter = std::make_unique<gateway::RateLimiter>(gateway::MonotonicClock::system(), access.ledger.get());
  access.auth = std::make_unique<server::Authenticator>(access.keys.get(), !admin_key.empty());
  access.reports = std::make_unique<server::UsageReports>(database);
  if (!access.auth->enabled()) {
    core::log::warn("authentication is off: no {} secret and no API keys in {}; every caller is admin "
                    "(set {} or run `anvil keys create` to turn it on)",
                    kAdminKeySecret, database.string(), kAdminKeySecret);
  }
  return access;
}

// What the server calls: the routing gateway over the deployments of the [gateway] tables, with
// the providers they name. Without a configuration file there are no models (every call is 404).
struct GatewayStack {
  std::unique_ptr<gateway::OpenAiProvider> openai;
  std::unique_ptr<gateway::LocalProvider> local;
  std::unique_ptr<gateway::RoutingGateway> gateway;
};

core::Result<GatewayStack> build_gateway(const app::Settings& settings, const core::SecretStore& secrets) {
  gateway::GatewayConfig config;
  if (settings.config_file) {
    ANVIL_ASSIGN_OR_RETURN(config, gateway::load_gateway_config(*settings.config_file, &secrets));
  }
  GatewayStack stack;
  stack.openai = std::make_unique<gateway::OpenAiProvider>();
  gateway::ProviderMap providers{{"openai", stack.openai.get()}};
  bool any_local = false;
  for (const gateway::Deployment& d : config.deployments) any_local = any_local || d.provider == "local";
  if (any_local) {
    ANVIL_ASSIGN_OR_RETURN(stack.local, gateway::LocalProvider::create(config.deployments, config.local));
    providers.emplace("local", stack.local.get());
  }
  std::size_t models = config.models.size();
  ANVIL_ASSIGN_OR_RETURN(stack.gateway, gateway::RoutingGateway::create(std::move(config), providers));
  core::log::info("gateway: {} logical models", models);
  return stack;
}

void serve(Context& ctx) {
  auto settings = ctx.settings();
  if (!settings.ok()) return ctx.fail(settings.status());
  auto options = server::server_options_from_config(settings->config);
  if (!options.ok()) return ctx.fail(options.status());
  auto secrets = open_secret_store(*settings);
  if (!secrets.ok()) return ctx.fail(secrets.status());
  auto stack = build_gateway(*settings, *secrets);
  if (!stack.ok()) return ctx.fail(stack.status());
  auto database = ctx.database_path();
  if (!database.ok()) return ctx.fail(database.status());
  auto access = build_access(*database, *secrets);
  if (!access.ok()) return ctx.fail(access.status());

  server::Router router;
  server::add_system_routes(router);
  server::OpenAiRouteOptions route_options;
  route_options.request_timeout = options->request_timeout;
  route_options.auth = access->auth.get();
  route_options.limiter = access->limiter.get();
  route_options.ledger = access->ledger.get();
  server::add_openai_routes(router, *stack->gateway, route_options);
  server::add_usage_routes(router, *access->reports, access->auth.get());
  server::StatusReport status_report(stack->gateway.get(), ANVIL_VERSION);
  server::add_admin_routes(router, status_report, access->auth.get());

  server::HttpServer http(*options, std::move(router));
  status_report.attach(http);
  if (auto s = http.start(); !s.ok()) return ctx.fail(s);
  // Machine-readable for scripts and tests that start the server on port 0.
  std::printf("anvil: listening on http://%s:%d\n", http.host().c_str(), http.port());
  std::fflush(stdout);
  http.run_until_signal();
  if (auto s = access->ledger->close(); !s.ok()) core::log::error("usage ledger: {}", s.message());
  core::log::info("stopped");
}

}  // namespace

void register_serve(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("serve", "Run the OpenAI-compatible HTTP server (docs/SERVER.md)");
  ctx.add_setting_flag(*cmd, "--host", "server.host", "Address to listen on (env ANVIL_SERVER_HOST; default 127.0.0.1)");
  ctx.add_setting_flag(*cmd, "--port", "server.port", "Port to listen on; 0 picks a free one (default 8080)");
  ctx.add_setting_flag(*cmd, "--threads", "server.threads", "I/O threads (default 0: one per core)");
  cmd->callback([&ctx] { serve(ctx); });
}

}  // namespace anvil::cli
