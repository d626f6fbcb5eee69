#include "anvil/server/admin_routes.h"

namespace anvil::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

asio::awaitable<void> status(Exchange& ex, const StatusReport& report) {
  std::string body = report.json();
  co_await ex.respond(200, "application/json", body);
}

}  // namespace

void add_admin_routes(Router& router, const StatusReport& report) {
  router.add(http::verb::get, "/v1/admin/status",
             [&report](Exchange& ex) { return status(ex, report); });
}

}  // namespace anvil::server
