// A real HttpServer on 127.0.0.1 port 0 with the system and OpenAI routes in front of a
// FakeGateway, its own metrics registry, started in the constructor and drained in the
// destructor.
#pragma once

#include <functional>
#include <memory>

#include <gtest/gtest.h>

#include "anvil/core/metrics.h"
#include "anvil/server/http_server.h"
#include "anvil/server/openai_routes.h"
#include "anvil/server/system_routes.h"
#include "server/fake_gateway.h"
#include "server/test_client.h"

namespace anvil::server::testing {

inline ServerOptions test_options() {
  ServerOptions o;
  o.host = "127.0.0.1";
  o.port = 0;
  o.threads = 2;
  return o;
}

class TestServer {
 public:
  explicit TestServer(ServerOptions options = test_options(), OpenAiRouteOptions routes = {},
                      const std::function<void(Router&)>& more_routes = {}) {
    Router router;
    add_system_routes(router, registry);
    add_openai_routes(router, gateway, routes);
    if (more_routes) more_routes(router);
    server = std::make_unique<HttpServer>(options, std::move(router), registry);
    core::Status s = server->start();
    EXPECT_TRUE(s.ok()) << s.to_string();
  }
  ~TestServer() {
    release.open();
    server->shutdown();
    server->wait();
  }
  int port() const { return server->port(); }

  core::MetricsRegistry registry;
  FakeGateway gateway;
  Gate release;  // tests point gateway.gate here
  std::unique_ptr<HttpServer> server;
};

}  // namespace anvil::server::testing
