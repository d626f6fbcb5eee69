#include "anvil/server/system_routes.h"

namespace anvil::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

asio::awaitable<void> health(Exchange& ex) {
  co_await ex.respond(200, "application/json", R"({"status":"ok"})");
}

asio::awaitable<void> ready(Exchange& ex) {
  if (ex.draining()) {
    co_await ex.respond(503, "application/json", R"({"status":"draining"})");
  } else {
    co_await ex.respond(200, "application/json", R"({"status":"ready"})");
  }
}

asio::awaitable<void> metrics(Exchange& ex, const core::MetricsRegistry& registry) {
  std::string text = registry.expose();
  co_await ex.respond(200, "text/plain; version=0.0.4; charset=utf-8", text);
}

}  // namespace

void add_system_routes(Router& router, const core::MetricsRegistry& registry) {
  router.add(http::verb::get, "/health", health);
  router.add(http::verb::get, "/ready", ready);
  router.add(http::verb::get, "/metrics", [&registry](Exchange& ex) { return metrics(ex, registry); });
}

}  // namespace anvil::server
