// A provider performs single attempts against one kind of upstream: an OpenAI-compatible HTTP
// server ("openai") or Anvil's own engine ("local"). Retries, fallback and breakers live above
// it, in the gateway; a provider never retries by itself.
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// Where a streamed response goes, one event at a time. Implemented by the server (which writes
// SSE to the client) and by tests.
class StreamSink {
 public:
  virtual ~StreamSink() = default;
  // `json` is one chunk object of the stream (the payload of one `data:` line), never "[DONE]"
  // and never the usage-only chunk. Returns false when the client is gone: stop generating.
  virtual boost::asio::awaitable<bool> write_event(std::string_view json) = 0;
  // True once any byte went to the client; from then on the call is neither retried nor moved
  // to a fallback deployment.
  virtual bool started() const = 0;
};

class Provider {
 public:
  virtual ~Provider() = default;

  // One non-streamed attempt. Runs on the caller's executor; honours request.deadline and the
  // deployment's timeouts; classifies every failure (upstream.h).
  virtual boost::asio::awaitable<Attempt> complete(const Deployment& deployment,
                                                   const ProviderRequest& request) = 0;

  // One streamed attempt: chunks go to `sink` as they arrive. A failure before the first chunk
  // leaves the sink untouched (sink.started() stays false), so the gateway may try elsewhere.
  virtual boost::asio::awaitable<StreamAttempt> stream(const Deployment& deployment,
                                                       const ProviderRequest& request,
                                                       StreamSink& sink) = 0;

  // The tokens of each prompt of `body` with the deployment's own tokenizer (and chat
  // template): one for a chat or completions request, one per input of an embeddings request,
  // one per query-document pair of a rerank request; for the prompt-token limit.
  // kUnsupported: this provider cannot count (remote upstreams; the gateway then uses the
  // deployment's `tokenizer` file or an estimate).
  virtual core::Result<std::vector<int64_t>> count_prompts(const Deployment& deployment, Operation op,
                                                           const boost::json::object& body) const {
    (void)deployment, (void)op, (void)body;
    return core::Status::unsupported("this provider does not count prompt tokens");
  }
};

}  // namespace anvil::gateway
