// The fake upstream's answers: deterministic content derived from the request (the same request
// always gets the same words, streamed or not, with the same usage), OpenAI's JSON shapes for
// chat completions, completions, embeddings, rerank and models, and OpenAI-shaped errors.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/json/object.hpp>

#include "fake_upstream/options.h"

namespace anvil::fake {

// A body and its HTTP status; errors are {"error":{"message","type","param","code"}}.
struct Reply {
  int status = 200;
  std::string body;
};

std::string error_body(std::string_view message, std::string_view type, std::string_view param,
                       std::string_view code);
Reply error_reply(int status, std::string_view message, std::string_view code = "",
                  std::string_view param = "");

// Whitespace-separated words: the fake's token count (one word, one token).
int64_t count_words(std::string_view text);

// What one chat completion or completion request produces. A word is one token: the prompt's
// words are prompt_tokens, the generated words completion_tokens.
struct Generation {
  bool chat = true;  // chat.completion vs text_completion
  std::string model;
  std::string id;     // "chatcmpl-fake-<16 hex>" / "cmpl-fake-<16 hex>", from the prompt
  uint64_t prompt_hash = 0;
  std::vector<std::string_view> words;  // the generated content, joined by single spaces
  int64_t prompt_tokens = 0;
  int64_t cached_tokens = 0;  // set by the caller (prompt cache simulation)
  const char* finish_reason = "stop";  // "length" when max_tokens limited the answer
  bool stream = false;
  bool include_usage = false;  // stream_options.include_usage
};

// Reads the request; a malformed one, or one over the context window, is an error Reply.
struct Planned {
  Generation generation;
  std::optional<Reply> error;
};
Planned plan_generation(bool chat, const boost::json::object& body,
                        const FakeUpstreamOptions& options);

// The non-streamed answer (with usage).
std::string generation_body(const Generation& generation, int64_t created);
// The `data:` payloads of the streamed answer, in order, without the final "[DONE]": a role
// chunk (chat), one chunk per word, a finish chunk, and the usage-only chunk when asked for.
std::vector<std::string> generation_events(const Generation& generation, int64_t created);

Reply embeddings_reply(const boost::json::object& body, const FakeUpstreamOptions& options);
Reply rerank_reply(const boost::json::object& body);
std::string models_body(const FakeUpstreamOptions& options, int64_t created);

}  // namespace anvil::fake
