#include "anvil/server/api_error.h"

#include <boost/json/object.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "anvil/core/redactor.h"

namespace anvil::server {

std::string api_error_body(const ApiError& error) {
  boost::json::object inner;
  inner["message"] = core::redact(error.message);
  inner["type"] = error.type;
  if (error.param.empty()) {
    inner["param"] = nullptr;
  } else {
    inner["param"] = error.param;
  }
  if (error.code.empty()) {
    inner["code"] = nullptr;
  } else {
    inner["code"] = error.code;
  }
  boost::json::object outer;
  outer["error"] = std::move(inner);
  return boost::json::serialize(outer);
}

boost::asio::awaitable<bool> respond_error(Exchange& exchange, const ApiError& error) {
  if (error.retry_after) exchange.add_header("Retry-After", fmt::format("{}", error.retry_after->count()));
  std::string body = api_error_body(error);
  co_return co_await exchange.respond(error.status, "application/json", body);
}

ApiError route_not_found(std::string_view method, std::string_view path) {
  ApiError e;
  e.status = 404;
  e.message = fmt::format("Invalid URL ({} {}): expected one of Anvil's routes (see GET /v1/models "
                          "and docs/SERVER.md)",
                          method, path);
  e.code = "unknown_url";
  return e;
}

ApiError method_not_allowed(std::string_view method, std::string_view path,
                            std::string_view allowed) {
  ApiError e;
  e.status = 405;
  e.message = fmt::format("Method {} is not allowed on {}: expected {}", method, path, allowed);
  e.code = "method_not_allowed";
  return e;
}

ApiError queue_full(std::chrono::seconds retry_after) {
  ApiError e;
  e.status = 429;
  e.type = std::string(kRateLimit);
  e.message = "The server is at capacity (every request slot and queue place is taken); retry "
              "after the time in Retry-After";
  e.code = "server_overloaded";
  e.retry_after = retry_after;
  return e;
}

ApiError queue_timeout(std::chrono::milliseconds waited, std::chrono::seconds retry_after) {
  ApiError e;
  e.status = 503;
  e.type = std::string(kServerError);
  e.message = fmt::format(
      "The server is at capacity: the request waited {} ms in the admission queue "
      "(server.queue_timeout_ms) without getting a slot; retry after the time in Retry-After",
      waited.count());
  e.code = "queue_timeout";
  e.retry_after = retry_after;
  return e;
}

ApiError shutting_down(std::chrono::seconds retry_after) {
  ApiError e;
  e.status = 503;
  e.type = std::string(kServerError);
  e.message = "The server is shutting down and accepts no new requests; retry on another "
              "instance or after the time in Retry-After";
  e.code = "server_shutting_down";
  e.retry_after = retry_after;
  return e;
}

}  // namespace anvil::server
