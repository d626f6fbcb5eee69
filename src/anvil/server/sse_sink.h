// Server-sent events to the client for a streamed completion: `data: {chunk}\n\n` per chunk
// over a chunked HTTP response, the usage-only chunk when the client asked for it, `data: [DONE]`
// at the end, or an `error` event when the call fails after the stream started.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>

#include "anvil/gateway/provider.h"
#include "anvil/server/api_error.h"
#include "anvil/server/exchange.h"

namespace anvil::server {

class SseSink final : public gateway::StreamSink {
 public:
  // `object` is the chunk object type ("chat.completion.chunk" or "text_completion") and
  // `model` the requested model: both used for a usage chunk when no chunk came to copy from.
  SseSink(Exchange& exchange, std::string_view object, std::string_view model);

  boost::asio::awaitable<bool> write_event(std::string_view json) override;
  bool started() const override { return exchange_.streaming(); }

  // The final chunk {"id","object","created","model","choices":[],"usage":{...}}, with id,
  // created and model copied from the stream's first chunk.
  boost::asio::awaitable<bool> write_usage(const gateway::Usage& usage);
  // `event: error` with the OpenAI error object, then the end of the body; the connection
  // closes after it.
  boost::asio::awaitable<bool> write_error(const ApiError& error);
  // `data: [DONE]` and the end of the body.
  boost::asio::awaitable<bool> finish();

  bool client_gone() const { return client_gone_; }

 private:
  boost::asio::awaitable<bool> ensure_started();
  void remember_identity(std::string_view json);

  Exchange& exchange_;
  std::string object_;
  std::string model_;
  std::string id_;
  std::int64_t created_ = 0;
  bool have_identity_ = false;
  bool client_gone_ = false;
};

// The usage chunk as JSON (exposed for tests).
std::string usage_chunk_json(std::string_view id, std::string_view object, std::int64_t created,
                             std::string_view model, const gateway::Usage& usage);

}  // namespace anvil::server
