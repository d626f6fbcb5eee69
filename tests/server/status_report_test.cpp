// The admin status document (GET /v1/admin/status): its exact JSON for given breaker snapshots
// and server load, the deployments of a real RoutingGateway with the models routing to them,
// and the route itself on a running server.
#include <optional>

#include <gtest/gtest.h>

#include "anvil/gateway/api_keys.h"
#include "anvil/gateway/openai_provider.h"
#include "anvil/gateway/routing_gateway.h"
#include "anvil/server/admin_routes.h"
#include "anvil/server/status_report.h"
#include "server/test_server.h"
#include "testing/temp_dir.h"

namespace anvil::server {
namespace {

using namespace std::chrono_literals;

TEST(StatusReport, JsonCarriesBreakersAndServerLoad) {
  ServerLoad load;
  load.uptime = 12345ms;
  load.in_flight = 3;
  load.queued = 1;
  load.max_in_flight = 8;
  load.queue_depth = 16;
  load.connections = 5;
  gateway::BreakerSettings settings;  // defaults: 60 s, 20 requests, 5%, 5 in a row, 30 s
  DeploymentStatus open;
  open.name = "primary";
  open.provider = "openai";
  open.upstream_model = "gpt-x";
  open.models = {"chat", "fast"};
  open.breaker.state = gateway::BreakerState::kOpen;
  open.breaker.window_requests = 20;
  open.breaker.window_failures = 5;
  open.breaker.consecutive_failures = 2;
  open.breaker.open_remaining = 29500ms;
  open.breaker.times_opened = 1;
  DeploymentStatus half;
  half.name = "spare";
  half.provider = "local";
  half.upstream_model = "/m.gguf";
  half.breaker.state = gateway::BreakerState::kHalfOpen;
  EXPECT_EQ(status_json("1.2.3", load, settings, {open, half}),
            R"({"version":"1.2.3",)"
            R"("server":{"uptime_ms":12345,"in_flight":3,"queued":1,"max_in_flight":8,)"
            R"("queue_depth":16,"connections":5,"draining":false},)"
            R"("breaker":{"window_ms":60000,"min_requests":20,"error_rate":5E-2,)"
            R"("consecutive_failures":5,"cooldown_ms":30000},)"
            R"("deployments":[{"name":"primary","provider":"openai","upstream_model":"gpt-x",)"
            R"("models":["chat","fast"],"breaker":{"state":"open","window_requests":20,)"
            R"("window_failures":5,"error_rate":2.5E-1,"consecutive_failures":2,)"
            R"("half_open_in_ms":29500,"times_opened":1}},)"
            R"({"name":"spare","provider":"local","upstream_model":"/m.gguf","models":[],)"
            R"("breaker":{"state":"half_open","window_requests":0,"window_failures":0,)"
            R"("error_rate":0E0,"consecutive_failures":0,"half_open_in_ms":null,"times_opened":0}}]})");
}

gateway::Deployment deployment(std::string name) {
  gateway::Deployment d;
  d.name = std::move(name);
  d.provider = "openai";
  d.model = "m-" + d.name;
  d.base_url = "http://127.0.0.1:9/v1";  // never called
  return d;
}

std::unique_ptr<gateway::RoutingGateway> two_model_gateway(gateway::OpenAiProvider& provider) {
  gateway::GatewayConfig config;
  // Configuration order, not name order, is the status order.
  config.deployments = {deployment("zeta"), deployment("alpha")};
  gateway::ModelRoute chat;
  chat.name = "chat";
  chat.deployments = {"zeta", "alpha"};
  chat.fallbacks = {"backup"};
  gateway::ModelRoute backup;
  backup.name = "backup";
  backup.deployments = {"alpha"};
  config.models = {chat, backup};
  gateway::RoutingGatewayOptions options;
  options.metrics = nullptr;
  auto gw = gateway::RoutingGateway::create(std::move(config), {{"openai", &provider}}, options);
  EXPECT_TRUE(gw.ok()) << gw.status().to_string();
  return std::move(*gw);
}

TEST(StatusReport, ListsDeploymentsInConfigurationOrderWithTheirModels) {
  gateway::OpenAiProvider provider;
  auto gw = two_model_gateway(provider);
  std::vector<DeploymentStatus> s = deployment_statuses(*gw);
  ASSERT_EQ(s.size(), 2u);
  EXPECT_EQ(s[0].name, "zeta");
  EXPECT_EQ(s[0].upstream_model, "m-zeta");
  EXPECT_EQ(s[0].models, (std::vector<std::string>{"chat"}));
  EXPECT_EQ(s[0].breaker.deployment, "zeta");
  EXPECT_EQ(s[1].name, "alpha");
  EXPECT_EQ(s[1].models, (std::vector<std::string>{"chat", "backup"}));
  EXPECT_EQ(s[1].breaker.state, gateway::BreakerState::kClosed);
}

// A running server with only the admin routes, over `report`; drained when it goes.
class AdminServer {
 public:
  AdminServer(StatusReport& report, const Authenticator* auth,
              ServerOptions options = testing::test_options()) {
    Router router;
    add_admin_routes(router, report, auth);
    server_.emplace(std::move(options), std::move(router), registry_);
    report.attach(*server_);
    core::Status s = server_->start();
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  ~AdminServer() {
    server_->shutdown();
    server_->wait();
  }
  int port() const { return server_->port(); }

 private:
  core::MetricsRegistry registry_;
  std::optional<HttpServer> server_;
};

// On a running server: the route answers the server's own limits and load.
TEST(StatusReport, AdminStatusRouteAnswersTheServersLoad) {
  gateway::OpenAiProvider provider;
  auto gw = two_model_gateway(provider);
  StatusReport report(gw.get(), "9.9.9");
  auto options = testing::test_options();
  options.max_in_flight = 7;
  options.queue_depth = 3;
  AdminServer server(report, nullptr, options);  // no authentication: everyone is admin
  testing::Client c(server.port());
  auto r = c.get("/v1/admin/status");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_NE(r->body.find(R"("version":"9.9.9","server":{"uptime_ms":)"), std::string::npos) << r->body;
  EXPECT_NE(r->body.find(R"("in_flight":0,"queued":0,"max_in_flight":7,"queue_depth":3,"connections":1,"draining":false})"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find(R"({"name":"zeta","provider":"openai","upstream_model":"m-zeta","models":["chat"],"breaker":{"state":"closed")"),
            std::string::npos)
      << r->body;
}

// With authentication on, the status is for the admin key: no key is 401, an API key 403.
TEST(StatusReport, AdminStatusRouteIsForTheAdminKey) {
  anvil::testing::TempDir dir;
  const std::filesystem::path db = dir / "anvil.db";
  constexpr std::string_view kAdminKey = "admin-secret-0123456789";
  core::MetricsRegistry key_metrics;
  auto keys = gateway::ApiKeys::open({.database = db, .admin_key = std::string(kAdminKey),
                                      .poll_interval = std::chrono::milliseconds(0),
                                      .metrics = &key_metrics});
  ASSERT_TRUE(keys.ok()) << keys.status().to_string();
  auto store = store::KeyStore::open(db);
  ASSERT_TRUE(store.ok());
  auto issued = gateway::issue_api_key(*store, "bot", "acme", {});
  ASSERT_TRUE(issued.ok()) << issued.status().to_string();
  ASSERT_TRUE((*keys)->refresh().ok());
  Authenticator auth(keys->get(), true);

  StatusReport report(nullptr, "9.9.9");
  AdminServer server(report, &auth);
  testing::Client c(server.port());
  auto anonymous = c.get("/v1/admin/status");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 401);
  auto api_key = c.get("/v1/admin/status", fmt::format("Authorization: Bearer {}\r\n", issued->secret));
  ASSERT_TRUE(api_key);
  EXPECT_EQ(api_key->status, 403);
  EXPECT_NE(api_key->body.find(R"("code":"admin_key_required")"), std::string::npos) << api_key->body;
  auto admin = c.get("/v1/admin/status", fmt::format("Authorization: Bearer {}\r\n", kAdminKey));
  ASSERT_TRUE(admin);
  EXPECT_EQ(admin->status, 200);
  EXPECT_NE(admin->body.find(R"("deployments":[])"), std::string::npos) << admin->body;
}

}  // namespace
}  // namespace anvil::server
