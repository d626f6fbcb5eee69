// A provider performs single attempts against one kind of upstream: an OpenAI-compatible HTTP
// server ("openai") or Anvil's own engine ("local"). Retries, fallback and breakers live above
// it, in the gateway; a provider never retries by itself.
#pragma once

#include <string_view>

#include <boost/asio/awaitable.hpp>

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
};

}  // namespace anvil::gateway
