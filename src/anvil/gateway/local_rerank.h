// POST /v1/rerank answered by a local cross-encoder, in the Cohere/Jina shape: each document is
// scored against the query as one pair, results come sorted by relevance_score (the sigmoid of the
// model's logit, in [0, 1]), cut to top_n, with the document's text when return_documents is
// true. Pairs longer than the model's context are refused, never truncated. docs/GATEWAY.md,
// "Local deployments".
#pragma once

#include <string_view>
#include <variant>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "anvil/engine/reranker.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/local_encoder.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

struct RerankCall {
  EncoderWork work;                         // work.pairs: one (query, document) pair per document
  std::vector<std::string_view> documents;  // the documents' texts, views into the request body
  size_t top_n = 0;                         // results returned: min(top_n, documents)
  bool return_documents = false;
};

// Reads a rerank body (query, documents as strings or {"text"}, top_n, return_documents): the
// pairs to score, or the 400 that says why not. The call refers to `body`: keep it alive.
std::variant<RerankCall, UpstreamFailure> read_rerank(const engine::Reranker& reranker,
                                                      const boost::json::object& body);

// Runs the request on `encoder` (a reranker) and answers it; `model` is the deployment's name.
boost::asio::awaitable<Attempt> answer_rerank(LocalEncoder& encoder, const Deployment& deployment,
                                              const ProviderRequest& request);

}  // namespace anvil::gateway
