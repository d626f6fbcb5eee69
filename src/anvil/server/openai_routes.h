// The OpenAI-compatible routes: GET /v1/models and POST /v1/chat/completions, /v1/completions,
// /v1/embeddings, /v1/rerank, answered through the Gateway (JSON or SSE).
#pragma once

#include <chrono>
#include <string>

#include "anvil/gateway/gateway.h"
#include "anvil/gateway/rate_limiter.h"
#include "anvil/gateway/usage_ledger.h"
#include "anvil/server/auth.h"
#include "anvil/server/request_tags.h"
#include "anvil/server/router.h"

namespace anvil::server {

// What the server knows about one API request beyond its body, for the gateway call and the
// usage ledger.
struct RequestInfo {
  gateway::Operation op = gateway::Operation::kChatCompletions;
  std::string model;  // the logical model asked for
  bool stream = false;
  RequestTags tags;   // from body.metadata and X-Anvil-Tags
};

// What the routes use besides the gateway; each must outlive the router's use.
struct OpenAiRouteOptions {
  std::chrono::milliseconds request_timeout{600000};  // CallContext deadline
  const Authenticator* auth = nullptr;      // null: no authentication (everyone is admin)
  gateway::RateLimiter* limiter = nullptr;  // null: keys' rpm / tpm / budget are not enforced
  gateway::UsageLedger* ledger = nullptr;   // null: requests are not recorded
};

// Registers the routes; `gateway` must outlive the router's use. Each call: authenticate, check
// the body, the model, the prompt-token limit and the key's limits, call the gateway, then settle
// the key's token count and record the request in the usage ledger (docs/SERVER.md).
void add_openai_routes(Router& router, gateway::Gateway& gateway,
                       const OpenAiRouteOptions& options);

}  // namespace anvil::server
