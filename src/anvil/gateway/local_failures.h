// How the local provider's answers fail, in upstream.h's terms: a client error in OpenAI's error
// shape (the gateway passes its body on as the answer), and an engine Status mapped to the HTTP
// status a client should see (queue full: 429, deadline: timeout, anything unexpected: 500).
#pragma once

#include <string>
#include <string_view>

#include "anvil/core/status.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// A 4xx answer whose body is {"error":{"message","type":"invalid_request_error","param","code"}}.
UpstreamFailure local_client_error(int status, std::string message, std::string_view param = {},
                                   std::string_view code = {});

// A 400 with code context_length_exceeded, of kind kContextOverflow (the gateway may then try the
// model's context_window_fallbacks). `param` names the offending field ("messages", "input").
UpstreamFailure local_context_overflow(std::string message, std::string_view param);

// kResourceExhausted: 429 with Retry-After 1 s; kInvalidArgument: 400; kDeadlineExceeded:
// kTimeout; kUnavailable: 503; anything else: 500. Messages name the deployment.
UpstreamFailure local_engine_failure(const core::Status& status, const Deployment& deployment);

}  // namespace anvil::gateway
