// `anvil serve [--config anvil.toml] [--host H] [--port P] [--data-dir D] [--threads N]`: the
// OpenAI-compatible HTTP server (docs/SERVER.md). Runs until SIGINT or SIGTERM, then drains and
// exits 0. `--port 0` picks a free port; the bound address is printed on standard output.
#include <cstdio>
#include <memory>

#include "anvil/cli/context.h"
#include "anvil/core/environment.h"
#include "anvil/core/log.h"
#include "anvil/core/secrets.h"
#include "anvil/gateway/gateway_config.h"
#include "anvil/gateway/local_provider.h"
#include "anvil/gateway/openai_provider.h"
#include "anvil/gateway/routing_gateway.h"
#include "anvil/server/admin_routes.h"
#include "anvil/server/http_server.h"
#include "anvil/server/openai_routes.h"
#include "anvil/server/server_options.h"
#include "anvil/server/system_routes.h"

namespace anvil::cli {

namespace {

// What the server calls: the routing gateway over the deployments of the [gateway] tables, with
// the providers they name. Without a configuration file there are no models (every call is 404).
struct GatewayStack {
  std::unique_ptr<gateway::OpenAiProvider> openai;
  std::unique_ptr<gateway::LocalProvider> local;
  std::unique_ptr<gateway::RoutingGateway> gateway;
};

core::Result<GatewayStack> build_gateway(const app::Settings& settings) {
  core::SecretStoreOptions secret_options;
  secret_options.environment = core::process_environment();
  ANVIL_ASSIGN_OR_RETURN(std::string secrets_dir, settings.config.get_string("secrets.dir"));
  ANVIL_ASSIGN_OR_RETURN(std::string env_file, settings.config.get_string("secrets.env_file"));
  secret_options.secrets_dir = secrets_dir;
  secret_options.dotenv_path = env_file;
  ANVIL_ASSIGN_OR_RETURN(core::SecretStore secrets, core::SecretStore::open(std::move(secret_options)));

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
    ANVIL_ASSIGN_OR_RETURN(stack.local, gateway::LocalProvider::create(config.deployments, {}));
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
  auto stack = build_gateway(*settings);
  if (!stack.ok()) return ctx.fail(stack.status());

  server::Router router;
  server::add_system_routes(router);
  server::OpenAiRouteOptions route_options;
  route_options.request_timeout = options->request_timeout;
  server::add_openai_routes(router, *stack->gateway, route_options);
  server::StatusReport status_report(stack->gateway.get(), ANVIL_VERSION);
  server::add_admin_routes(router, status_report);

  server::HttpServer http(*options, std::move(router));
  status_report.attach(http);
  if (auto s = http.start(); !s.ok()) return ctx.fail(s);
  // Machine-readable for scripts and tests that start the server on port 0.
  std::printf("anvil: listening on http://%s:%d\n", http.host().c_str(), http.port());
  std::fflush(stdout);
  http.run_until_signal();
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
