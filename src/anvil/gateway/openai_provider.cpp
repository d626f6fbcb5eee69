#include "anvil/gateway/openai_provider.h"

#include <chrono>
#include <optional>
#include <string>
#include <unordered_map>

#include <boost/json/monotonic_resource.hpp>
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>
#include <fmt/format.h>

#include "anvil/gateway/http_endpoint.h"
#include "anvil/gateway/openai_wire.h"
#include "anvil/gateway/sse_parser.h"

namespace anvil::gateway {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;
namespace json = boost::json;

UpstreamFailure failure(FailureKind kind, std::string message) {
  UpstreamFailure f;
  f.kind = kind;
  f.message = std::move(message);
  return f;
}

UpstreamFailure from_http_error(const Deployment& deployment, const HttpError& error) {
  return failure(error.kind, redact(fmt::format("deployment '{}': {}", deployment.name,
                                                error.message),
                                    deployment.api_key));
}

HttpCallLimits limits_for(const Deployment& deployment, const ProviderRequest& request,
                          size_t max_body_bytes) {
  HttpCallLimits limits;
  limits.connect_timeout = deployment.connect_timeout;
  limits.first_byte_timeout = deployment.first_byte_timeout;
  limits.idle_timeout = deployment.idle_timeout;
  limits.deadline = request.deadline;
  limits.max_body_bytes = max_body_bytes;
  return limits;
}

HttpRequest build_request(const HttpEndpoint& endpoint, const Deployment& deployment,
                          const ProviderRequest& request, std::string body, bool stream) {
  // operation_path() is "/v1/..."; the base URL already ends with the API version.
  std::string_view operation = operation_path(request.op);
  if (operation.starts_with("/v1")) operation.remove_prefix(3);
  HttpRequest out{http::verb::post, endpoint.base_path + std::string(operation), 11};
  out.set(http::field::content_type, "application/json");
  out.set(http::field::accept, stream ? "text/event-stream" : "application/json");
  out.set(http::field::user_agent, "anvil");
  if (!deployment.api_key.empty()) {
    out.set(http::field::authorization, "Bearer " + deployment.api_key);
  }
  if (!request.request_id.empty()) out.set("X-Request-Id", request.request_id);
  out.body() = std::move(body);
  return out;
}

ErrorAnswer error_answer(const HttpResponse& response, std::string_view body) {
  return {response.status(), body, response.header("Retry-After"),
          response.header("retry-after-ms")};
}

// The upstream rejected the call (non-2xx): read its error body and classify it.
asio::awaitable<UpstreamFailure> rejected(const Deployment& deployment, HttpResponse& response) {
  std::string body;
  if (auto error = co_await response.read_body(body)) {
    UpstreamFailure f = failure(FailureKind::kHttpStatus,
                                redact(fmt::format("deployment '{}': upstream answered HTTP {} "
                                                   "and then failed: {}",
                                                   deployment.name, response.status(),
                                                   error->message),
                                       deployment.api_key));
    f.http_status = response.status();
    co_return f;
  }
  co_return failure_from_answer(error_answer(response, body), deployment.name, deployment.api_key,
                                std::chrono::system_clock::now());
}

bool success(int status) { return status >= 200 && status < 300; }

// A chunk with generated text ("delta.content" of a chat chunk, "text" of a completion chunk):
// counted to estimate completion tokens when the upstream reports no usage.
bool carries_content(const json::value* choices) {
  if (!choices || !choices->is_array() || choices->get_array().empty()) return false;
  const auto* choice = choices->get_array()[0].if_object();
  if (!choice) return false;
  const json::value* text = choice->if_contains("text");
  if (const auto* delta = choice->if_contains("delta"); delta && delta->is_object()) {
    text = delta->get_object().if_contains("content");
  }
  return text && text->is_string() && !text->get_string().empty();
}


// Reads the usage of a non-streamed answer. The parsed document lives in a buffer on this
// (ordinary, not coroutine) function's stack, so parsing allocates nothing for a usual answer.
// False when `text` is not a JSON object.
bool read_answer_usage(std::string_view text, Usage& usage, boost::system::error_code& ec) {
  unsigned char scratch[8192];
  json::monotonic_resource resource(scratch, sizeof scratch);
  json::value parsed = json::parse(text, ec, &resource);
  if (ec || !parsed.is_object()) return false;
  if (const auto* u = parsed.get_object().if_contains("usage"); u && u->is_object()) {
    usage = parse_usage(u->get_object());
  }
  return true;
}

// A 2xx answer whose body is still to be read, or the failure that means there is none.
struct Opened {
  std::optional<UpstreamFailure> failure;
  std::unique_ptr<HttpResponse> response;
};

// The parsed base URL of a deployment. Parsing (Boost.URL and five strings) is done once per
// base URL and I/O thread: the map is the thread's own, so it takes no lock, and it holds as
// many entries as there are distinct base URLs in the configuration.
const core::Result<HttpEndpoint>& endpoint_of(const std::string& base_url) {
  thread_local std::unordered_map<std::string, core::Result<HttpEndpoint>> parsed;
  auto it = parsed.find(base_url);
  if (it == parsed.end()) it = parsed.emplace(base_url, parse_endpoint(base_url)).first;
  return it->second;
}

// Sends `body` to the deployment and reads the answer's head; a non-2xx answer is read whole
// and classified.
asio::awaitable<Opened> open(const HttpClient& client, const Deployment& deployment,
                             const ProviderRequest& request, const json::object& body,
                             bool stream, size_t max_body_bytes) {
  Opened opened;
  const core::Result<HttpEndpoint>& endpoint = endpoint_of(deployment.base_url);
  if (!endpoint.ok()) {
    opened.failure = failure(FailureKind::kConnect, fmt::format("deployment '{}': {}",
                                                                deployment.name,
                                                                endpoint.status().message()));
    co_return opened;
  }
  HttpRequest http_request =
      build_request(*endpoint, deployment, request, json::serialize(body), stream);
  HttpResult sent = co_await client.send(*endpoint, http_request,
                                         limits_for(deployment, request, max_body_bytes));
  if (!sent.ok()) {
    opened.failure = from_http_error(deployment, *sent.error);
  } else if (!success(sent.response->status())) {
    opened.failure = co_await rejected(deployment, *sent.response);
  } else {
    opened.response = std::move(sent.response);
  }
  co_return opened;
}

// Reads the SSE body to "data: [DONE]", relaying chunks to `sink` and taking the usage-only
// chunk into `usage`. Returns the failure that ended it early, if any; on success the body is
// read to its end so that the connection can be reused.
asio::awaitable<std::optional<UpstreamFailure>> relay(const Deployment& deployment,
                                                      HttpResponse& response, StreamSink& sink,
                                                      Usage& usage, int64_t& content_chunks) {
  SseParser parser;
  SseEvent event;
  std::string piece;
  for (;;) {
    if (response.done()) {
      co_return failure(FailureKind::kReset,
                        fmt::format("deployment '{}': the stream ended without 'data: [DONE]'",
                                    deployment.name));
    }
    if (auto error = co_await response.read_some(piece)) co_return from_http_error(deployment, *error);
    parser.feed(piece);
    for (;;) {
      auto got = parser.next(event);
      if (!got.ok()) {
        co_return failure(FailureKind::kProtocol, fmt::format("deployment '{}': {}",
                                                              deployment.name,
                                                              got.status().message()));
      }
      if (!*got) break;
      if (event.done()) {
        while (!response.done()) {  // normally only the terminating chunk is left
          if (co_await response.read_some(piece)) break;
        }
        co_return std::nullopt;
      }
      boost::system::error_code ec;
      json::value chunk = json::parse(event.data, ec);
      if (ec || !chunk.is_object()) {
        co_return failure(
            FailureKind::kProtocol,
            fmt::format("deployment '{}': expected a JSON object in a stream event, found '{}'",
                        deployment.name, event.data.substr(0, 120)));
      }
      const json::object& object = chunk.get_object();
      if (const auto* error = object.if_contains("error"); error && !error->is_null()) {
        co_return failure(
            FailureKind::kProtocol,
            redact(fmt::format("deployment '{}': the upstream sent an error in the stream: {}",
                               deployment.name, json::serialize(*error).substr(0, 300)),
                   deployment.api_key));
      }
      const auto* choices = object.if_contains("choices");
      bool no_choices = !choices || (choices->is_array() && choices->get_array().empty());
      if (const auto* reported = object.if_contains("usage"); reported && reported->is_object()) {
        usage = parse_usage(reported->get_object());
        if (no_choices) continue;  // the usage-only chunk: counted, not relayed
      }
      if (carries_content(choices)) ++content_chunks;
      const bool delivered = co_await sink.write_event(event.data);  // not `if (!co_await`: GCC 12
      if (!delivered) {
        co_return failure(FailureKind::kCancelled,
                          fmt::format("deployment '{}': the client went away during the stream",
                                      deployment.name));
      }
    }
  }
}
}  // namespace

OpenAiProvider::OpenAiProvider(OpenAiProviderOptions options)
    : options_(std::move(options)), client_(options_.http) {}

asio::awaitable<Attempt> OpenAiProvider::complete(const Deployment& deployment,
                                                  const ProviderRequest& request) {
  Attempt attempt;
  // The client's body goes as it is unless it has stream fields to drop (then a copy does).
  std::optional<json::object> trimmed;
  if (request.body.contains("stream") || request.body.contains("stream_options")) {
    trimmed.emplace(request.body);
    trimmed->erase("stream");
    trimmed->erase("stream_options");
  }
  Opened opened = co_await open(client_, deployment, request, trimmed ? *trimmed : request.body,
                                false, options_.max_response_bytes);
  if (opened.failure) {
    attempt.failure = std::move(opened.failure);
    co_return attempt;
  }
  HttpResponse& response = *opened.response;
  std::string text;
  if (auto error = co_await response.read_body(text)) {
    attempt.failure = from_http_error(deployment, *error);
    co_return attempt;
  }
  boost::system::error_code ec;
  if (!read_answer_usage(text, attempt.response.usage, ec)) {
    attempt.failure = failure(
        FailureKind::kProtocol,
        fmt::format("deployment '{}': expected a JSON object from the upstream (HTTP {}), found "
                    "{} bytes that are not one ({})",
                    deployment.name, response.status(), text.size(),
                    ec ? ec.message() : "another JSON value"));
    co_return attempt;
  }
  attempt.response.http_status = response.status();
  attempt.response.body = std::move(text);
  co_return attempt;
}

asio::awaitable<StreamAttempt> OpenAiProvider::stream(const Deployment& deployment,
                                                      const ProviderRequest& request,
                                                      StreamSink& sink) {
  StreamAttempt attempt;
  json::object body = request.body;
  body["stream"] = true;
  // Usage is always asked for: the ledger needs it even when the client did not ask.
  if (auto* options = body.if_contains("stream_options"); options && options->is_object()) {
    options->get_object()["include_usage"] = true;
  } else {
    body["stream_options"] = json::object{{"include_usage", true}};
  }
  Opened opened = co_await open(client_, deployment, request, body, true, 0);
  if (opened.failure) {
    attempt.failure = std::move(opened.failure);
    co_return attempt;
  }
  HttpResponse& response = *opened.response;
  std::string_view content_type = response.header("Content-Type");
  if (!content_type.starts_with("text/event-stream")) {
    attempt.failure = failure(
        FailureKind::kProtocol,
        fmt::format("deployment '{}': expected a text/event-stream answer to a streamed request, "
                    "found Content-Type '{}'",
                    deployment.name, content_type));
    co_return attempt;
  }
  int64_t content_chunks = 0;
  attempt.failure = co_await relay(deployment, response, sink, attempt.usage, content_chunks);
  if (!attempt.usage.reported) attempt.usage.completion_tokens = content_chunks;
  co_return attempt;
}

}  // namespace anvil::gateway
