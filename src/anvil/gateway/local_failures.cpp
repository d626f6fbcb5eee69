#include "anvil/gateway/local_failures.h"

#include <chrono>
#include <utility>

#include <boost/json.hpp>
#include <fmt/format.h>

namespace anvil::gateway {

namespace json = boost::json;

UpstreamFailure local_client_error(int status, std::string message, std::string_view param,
                                   std::string_view code) {
  UpstreamFailure f;
  f.kind = FailureKind::kHttpStatus;
  f.http_status = status;
  json::object error{{"message", message},
                     {"type", "invalid_request_error"},
                     {"param", param.empty() ? json::value(nullptr) : json::value(param)},
                     {"code", code.empty() ? json::value(nullptr) : json::value(code)}};
  f.body = json::serialize(json::object{{"error", std::move(error)}});
  f.message = std::move(message);
  return f;
}

UpstreamFailure local_context_overflow(std::string message, std::string_view param) {
  UpstreamFailure f = local_client_error(400, std::move(message), param, "context_length_exceeded");
  f.kind = FailureKind::kContextOverflow;
  return f;
}

UpstreamFailure local_engine_failure(const core::Status& status, const Deployment& deployment) {
  const std::string message = fmt::format("deployment '{}': {}", deployment.name, status.message());
  switch (status.code()) {
    case core::StatusCode::kResourceExhausted: {
      UpstreamFailure f = local_client_error(429, message);
      f.retry_after = std::chrono::seconds(1);
      return f;
    }
    case core::StatusCode::kInvalidArgument:
      return local_client_error(400, status.message());
    case core::StatusCode::kDeadlineExceeded: {
      UpstreamFailure f;
      f.kind = FailureKind::kTimeout;
      f.message = message;
      return f;
    }
    default:
      break;
  }
  UpstreamFailure f;
  f.kind = FailureKind::kHttpStatus;
  f.http_status = status.code() == core::StatusCode::kUnavailable ? 503 : 500;
  f.message = message;
  return f;
}

}  // namespace anvil::gateway
