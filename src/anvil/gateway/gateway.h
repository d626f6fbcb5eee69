// The gateway as the server sees it: call a logical model and get an answer, with routing,
// retries, circuit breakers, fallbacks and the response cache applied underneath.
#pragma once

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/gateway/provider.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// Who is calling and under which limits; filled by the server after authentication.
struct CallContext {
  std::string request_id;
  std::string key_id;  // the API key's id ("" when unauthenticated / admin)
  std::string tenant;
  std::chrono::steady_clock::time_point deadline;  // default (epoch): the gateway's request_timeout
  // The prompt's tokens as the server counted them; 0: unknown. With the request's max_tokens it
  // lets the router skip deployments whose context window is known to be too small.
  std::int64_t prompt_tokens = 0;
};

// What one call came to, for the response, the usage ledger and the metrics.
struct CallResult {
  std::optional<UpstreamFailure> failure;  // set when no deployment (and no cache) answered
  ProviderResponse response;               // non-streamed calls
  Usage usage;
  std::string deployment;     // the deployment that answered; "" if none
  double cost_usd = 0.0;      // usage priced at that deployment's prices
  int attempts = 0;           // upstream attempts made, over all deployments
  int fallbacks = 0;          // deployments moved past
  bool cache_hit = false;     // answered from the response cache (cost 0)
  bool cached_fallback = false;  // ... as the last resort because every deployment failed
  std::chrono::microseconds upstream_latency{0};  // summed over attempts
  bool ok() const { return !failure.has_value(); }
};

// A request's prompt tokens, as the server checks them against the prompt-token limit. Chat is
// one prompt (the rendered conversation); completions and embeddings have one per input; rerank
// one per document (the query counted with each).
struct PromptCount {
  std::int64_t total = 0;    // over every prompt: the tokens-per-minute estimate
  std::int64_t largest = 0;  // the largest single prompt: what the limit is checked against
  int largest_index = -1;    // its index in `prompt` / `input` / `documents`; -1 for chat
  // False when no tokenizer of the model is known (a remote deployment without `tokenizer`):
  // the counts are then estimates (docs/GATEWAY.md, "Prompt-token limit").
  bool exact = true;
  std::string counted_with;  // the deployment whose tokenizer counted ("" for an estimate)
};

struct ModelInfo {
  std::string id;        // the logical model name clients use
  std::string owned_by;  // "anvil"
};

class Gateway {
 public:
  virtual ~Gateway() = default;

  // Logical models, for GET /v1/models and for 404s on unknown names.
  virtual std::vector<ModelInfo> models() const = 0;
  virtual bool has_model(std::string_view logical_model) const = 0;

  // The prompt-token limit of a logical model; 0: none.
  virtual std::int64_t max_prompt_tokens(std::string_view /*logical_model*/) const { return 0; }
  // The tokens of the prompt in `body` (a validated chat, completions, embeddings or rerank
  // body), counted with the model's own tokenizer where Anvil has it. Errors: the body cannot be
  // rendered (e.g. the chat template rejects it), kInvalidArgument.
  virtual core::Result<PromptCount> count_prompt_tokens(std::string_view /*logical_model*/,
                                                        Operation /*op*/,
                                                        const boost::json::object& /*body*/) const {
    return PromptCount{.exact = false};
  }

  // `body` is the validated client body; its "model" is the logical name.
  virtual boost::asio::awaitable<CallResult> complete(Operation op, boost::json::object body,
                                                      const CallContext& context) = 0;
  virtual boost::asio::awaitable<CallResult> stream(Operation op, boost::json::object body,
                                                    const CallContext& context,
                                                    StreamSink& sink) = 0;
};

}  // namespace anvil::gateway
