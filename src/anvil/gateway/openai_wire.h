// Reading what an OpenAI-compatible upstream answered: usage blocks, and error responses turned
// into classified UpstreamFailures (Retry-After, context overflow), with the deployment's key
// kept out of every message and body.
#pragma once

#include <chrono>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>

#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// {"prompt_tokens","completion_tokens","prompt_tokens_details":{"cached_tokens"}}; embeddings
// and rerank answers carry only prompt/total tokens. reported = true.
Usage parse_usage(const boost::json::object& usage);

// The headers of an error answer that matter for classifying it.
struct ErrorAnswer {
  int status = 0;
  std::string_view body;
  std::string_view retry_after;     // "Retry-After"
  std::string_view retry_after_ms;  // "retry-after-ms" (OpenAI)
};

// 400 with error.code "context_length_exceeded" (or a message saying the context length was
// exceeded) -> kContextOverflow; any other non-2xx -> kHttpStatus with Retry-After parsed.
// `deployment` names the deployment in the message; `secret` is removed from message and body.
UpstreamFailure failure_from_answer(const ErrorAnswer& answer, std::string_view deployment,
                                    std::string_view secret,
                                    std::chrono::system_clock::time_point now);

// `text` with every occurrence of `secret` replaced by "[REDACTED]" (secret empty: unchanged).
std::string redact(std::string text, std::string_view secret);

}  // namespace anvil::gateway
