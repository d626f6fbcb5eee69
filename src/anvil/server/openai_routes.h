// The OpenAI-compatible routes: GET /v1/models and POST /v1/chat/completions, /v1/completions,
// /v1/embeddings, /v1/rerank, answered through the Gateway (JSON or SSE).
#pragma once

#include <chrono>
#include <string>

#include "anvil/gateway/gateway.h"
#include "anvil/server/request_tags.h"
#include "anvil/server/router.h"

namespace anvil::server {

// What the server knows about one API request beyond its body, for the gateway call and,
// later, the usage ledger.
struct RequestInfo {
  gateway::Operation op = gateway::Operation::kChatCompletions;
  std::string model;  // the logical model asked for
  bool stream = false;
  RequestTags tags;   // from body.metadata and X-Anvil-Tags
};

struct OpenAiRouteOptions {
  std::chrono::milliseconds request_timeout{600000};  // CallContext deadline
};

// Registers the routes; `gateway` must outlive the router's use.
void add_openai_routes(Router& router, gateway::Gateway& gateway,
                       const OpenAiRouteOptions& options);

}  // namespace anvil::server
