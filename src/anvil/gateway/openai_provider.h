// The provider for any OpenAI-compatible HTTP server (OpenAI, vLLM, llama.cpp server, ...):
// one attempt per call, over the per-thread keep-alive pool of http_client.h. The URL is the
// deployment's base_url (which ends with "/v1", as OpenAI's SDKs expect) plus the operation
// ("/chat/completions"); the key goes as "Authorization: Bearer" and never into a message.
#pragma once

#include <cstddef>

#include "anvil/gateway/http_client.h"
#include "anvil/gateway/provider.h"

namespace anvil::gateway {

struct OpenAiProviderOptions {
  HttpClientOptions http;
  size_t max_response_bytes = 16u << 20;  // a non-streamed answer or an error body
};

class OpenAiProvider : public Provider {
 public:
  explicit OpenAiProvider(OpenAiProviderOptions options = {});

  // The body goes through with "stream" removed; the answer's body comes back as it is, its
  // usage parsed. Non-2xx: kHttpStatus (Retry-After parsed) or kContextOverflow; a 2xx body
  // that is not JSON: kProtocol.
  boost::asio::awaitable<Attempt> complete(const Deployment& deployment,
                                           const ProviderRequest& request) override;

  // Asks the upstream for usage (stream_options.include_usage = true) and relays every chunk
  // but the usage-only one, whose counts become StreamAttempt::usage. A stream that ends
  // without "data: [DONE]" is kReset; a sink that returns false ends it with kCancelled. When
  // the upstream sends no usage, completion_tokens counts the chunks that carried content
  // (usage.reported = false).
  boost::asio::awaitable<StreamAttempt> stream(const Deployment& deployment,
                                               const ProviderRequest& request,
                                               StreamSink& sink) override;

 private:
  OpenAiProviderOptions options_;
  HttpClient client_;
};

}  // namespace anvil::gateway
