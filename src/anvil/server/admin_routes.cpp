#include "anvil/server/admin_routes.h"

namespace anvil::server {

namespace asio = boost::asio;
namespace http = boost::beast::http;

namespace {

asio::awaitable<void> status(Exchange& ex, const StatusReport& report, const Authenticator* auth) {
  Caller caller = co_await authenticate_or_answer(ex, auth);
  if (!caller) co_return;  // the 401 is answered
  if (!caller->admin) {
    co_await respond_error(ex, admin_only("GET /v1/admin/status", *caller));
    co_return;
  }
  std::string body = report.json();
  co_await ex.respond(200, "application/json", body);
}

}  // namespace

void add_admin_routes(Router& router, const StatusReport& report, const Authenticator* auth) {
  router.add(http::verb::get, "/v1/admin/status",
             [&report, auth](Exchange& ex) { return status(ex, report, auth); });
}

}  // namespace anvil::server
