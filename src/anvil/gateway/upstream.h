// The vocabulary the gateway's providers, its policies and the server share: which OpenAI
// operation a call is, what an upstream answered, and how an attempt failed.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

namespace anvil::gateway {

enum class Operation { kChatCompletions, kCompletions, kEmbeddings, kRerank };

// "/v1/chat/completions", "/v1/completions", "/v1/embeddings", "/v1/rerank".
std::string_view operation_path(Operation op);
// "chat", "completions", "embeddings", "rerank": metric and ledger labels.
std::string_view operation_name(Operation op);

struct Usage {
  int64_t prompt_tokens = 0;
  int64_t completion_tokens = 0;
  int64_t cached_tokens = 0;  // of prompt_tokens, those the upstream served from its prompt cache
  bool reported = false;      // false: the upstream sent no usage; the counts are Anvil's estimate
};

// How an attempt failed, in the terms the retry policy, the circuit breaker and fallback need.
enum class FailureKind {
  kConnect,          // no connection (refused, unreachable, DNS, TLS handshake)
  kTimeout,          // the connect, first-byte or request deadline passed
  kReset,            // the connection closed or reset before the response was complete
  kHttpStatus,       // the upstream answered with a non-2xx status
  kProtocol,         // the response was malformed (bad HTTP, JSON or SSE)
  kContextOverflow,  // the prompt does not fit the deployment's context window
  kCancelled,        // the client went away; nothing more is attempted
};

std::string_view failure_kind_name(FailureKind kind);

struct UpstreamFailure {
  FailureKind kind = FailureKind::kConnect;
  int http_status = 0;                                   // kHttpStatus: the upstream's status
  std::optional<std::chrono::milliseconds> retry_after;  // Retry-After, clamped to [0 s, 60 s]
  std::string message;  // what happened, naming the deployment; never contains a secret
  std::string body;     // kHttpStatus: the upstream's error body, passed on if it is the answer
};

// One request to one deployment. The gateway fills `body["model"]` with the deployment's
// upstream model name before calling the provider.
struct ProviderRequest {
  Operation op = Operation::kChatCompletions;
  boost::json::object body;  // the client's OpenAI request body
  bool stream = false;
  std::chrono::steady_clock::time_point deadline;  // for the whole request, across attempts
  std::string request_id;                          // sent upstream as X-Request-Id
};

struct ProviderResponse {
  int http_status = 200;
  std::string body;  // the JSON the client receives
  Usage usage;
};

// The result of one attempt: a response, or the failure that explains why there is none.
struct Attempt {
  std::optional<UpstreamFailure> failure;
  ProviderResponse response;  // meaningful when !failure
  bool ok() const { return !failure.has_value(); }
};

// The result of one streamed attempt. `usage` is known at the end of a completed stream (the
// provider asks the upstream for it and keeps the usage-only chunk out of the sink).
struct StreamAttempt {
  std::optional<UpstreamFailure> failure;
  Usage usage;
  bool ok() const { return !failure.has_value(); }
};

}  // namespace anvil::gateway
