// Errors as OpenAI's clients expect them: an HTTP status and the body
// {"error":{"message","type","param","code"}}, with Retry-After when the client should retry.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "anvil/server/exchange.h"

namespace anvil::server {

// The "type" values Anvil uses.
inline constexpr std::string_view kInvalidRequest = "invalid_request_error";
inline constexpr std::string_view kRateLimit = "rate_limit_error";
inline constexpr std::string_view kServerError = "server_error";

struct ApiError {
  int status = 400;
  std::string message;  // says what was expected and what was found; never a secret
  std::string type = std::string(kInvalidRequest);
  std::string param;  // "" -> null
  std::string code;   // "" -> null
  std::optional<std::chrono::seconds> retry_after;
};

// {"error":{"message":...,"type":...,"param":...,"code":...}}; the message is redacted of
// registered secrets.
std::string api_error_body(const ApiError& error);

// Answers `exchange` with the error (and Retry-After when set).
boost::asio::awaitable<bool> respond_error(Exchange& exchange, const ApiError& error);

// The server's own refusals, shared by the session and the routes.
ApiError route_not_found(std::string_view method, std::string_view path);
ApiError method_not_allowed(std::string_view method, std::string_view path,
                            std::string_view allowed);
ApiError queue_full(std::chrono::seconds retry_after);
ApiError queue_timeout(std::chrono::milliseconds waited, std::chrono::seconds retry_after);
ApiError shutting_down(std::chrono::seconds retry_after);

}  // namespace anvil::server
