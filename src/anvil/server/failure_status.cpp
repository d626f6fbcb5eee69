#include "anvil/server/failure_status.h"

#include <boost/json/parse.hpp>
#include <fmt/format.h>

namespace anvil::server {

using gateway::FailureKind;

namespace {

// The upstream's own error, when its body is OpenAI's error shape: message, param and code
// ("" when absent), so that a client learns which of its parameters was refused.
struct UpstreamError {
  std::string message, param, code;
};

UpstreamError upstream_error(const std::string& body) {
  UpstreamError out;
  boost::system::error_code ec;
  boost::json::value v = boost::json::parse(body, ec);
  if (ec || !v.is_object()) return out;
  const auto* error = v.get_object().if_contains("error");
  if (error == nullptr || !error->is_object()) return out;
  const auto text = [&](std::string_view key) {
    const auto* f = error->get_object().if_contains(key);
    return f != nullptr && f->is_string() ? std::string(f->get_string()) : std::string();
  };
  out.message = text("message");
  out.param = text("param");
  out.code = text("code");
  return out;
}

}  // namespace

ApiError error_for_failure(const gateway::UpstreamFailure& failure, std::string_view model) {
  ApiError e;
  e.type = std::string(kServerError);
  switch (failure.kind) {
    case FailureKind::kContextOverflow: {
      e.status = 400;
      e.type = std::string(kInvalidRequest);
      const UpstreamError upstream = upstream_error(failure.body);
      e.param = upstream.param.empty() ? "messages" : upstream.param;
      e.code = "context_length_exceeded";
      e.message = fmt::format("The prompt does not fit the context window of model '{}': {}",
                              model, failure.message);
      return e;
    }
    case FailureKind::kTimeout:
      e.status = 504;
      e.code = "upstream_timeout";
      e.message = fmt::format("No answer from model '{}' in time: {}", model, failure.message);
      return e;
    case FailureKind::kCancelled:
      e.status = 499;  // nginx's "client closed request": logged and counted, never read
      e.code = "client_closed_request";
      e.message = "The client closed the connection before the answer";
      return e;
    case FailureKind::kHttpStatus:
      if (failure.http_status == 429) {
        e.status = 429;
        e.type = std::string(kRateLimit);
        e.code = "rate_limit_exceeded";
        e.message = fmt::format("Model '{}' is rate limited upstream: {}", model, failure.message);
        if (failure.retry_after) {
          auto ms = failure.retry_after->count();
          e.retry_after = std::chrono::seconds((ms + 999) / 1000);
        }
        return e;
      }
      if (failure.http_status == 408) {
        e.status = 504;
        e.code = "upstream_timeout";
        e.message = fmt::format("Model '{}' timed out upstream: {}", model, failure.message);
        return e;
      }
      // The client's request was refused on its merits (bad parameter, too large): the
      // upstream's verdict is the answer. Auth and not-found errors are Anvil's configuration
      // problem, not the client's, and become 502 like server errors.
      if (failure.http_status == 400 || failure.http_status == 413 || failure.http_status == 422) {
        e.status = failure.http_status;
        e.type = std::string(kInvalidRequest);
        UpstreamError upstream = upstream_error(failure.body);
        e.param = std::move(upstream.param);
        e.code = std::move(upstream.code);
        e.message = fmt::format("Model '{}' rejected the request: {}", model,
                                upstream.message.empty() ? failure.message : upstream.message);
        return e;
      }
      e.status = 502;
      e.code = "upstream_error";
      e.message = fmt::format("Model '{}' failed upstream: {}", model, failure.message);
      return e;
    case FailureKind::kConnect:
    case FailureKind::kReset:
    case FailureKind::kProtocol:
      break;
  }
  e.status = 502;
  e.code = "upstream_error";
  e.message = fmt::format("Model '{}' failed upstream ({}): {}", model,
                          gateway::failure_kind_name(failure.kind), failure.message);
  return e;
}

}  // namespace anvil::server
