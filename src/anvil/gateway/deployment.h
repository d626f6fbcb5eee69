// A deployment: one upstream model behind one provider, with its price and limits. The
// routing configuration (gateway_config.h) maps logical model names onto lists of these.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>

namespace anvil::gateway {

// US dollars per one million tokens.
struct Price {
  double prompt_per_million = 0.0;
  double completion_per_million = 0.0;
  double cached_per_million = 0.0;  // cached prompt tokens, billed instead of the prompt price
};

struct Deployment {
  std::string name;      // unique; the label in metrics, the ledger and `anvil status`
  std::string provider;  // "openai" (any OpenAI-compatible HTTP server) or "local" (the engine)
  std::string model;     // the model name the upstream expects (or the GGUF path for "local")
  std::string base_url;  // "http://127.0.0.1:8081/v1"; empty for "local"
  std::string api_key_secret;  // name of the secret holding the upstream key; empty: none
  std::string api_key;         // its resolved value; never logged, never in errors or metrics
  Price price;
  double weight = 1.0;         // share of traffic among the deployments of one logical model
  int64_t context_window = 0;  // tokens; 0 = unknown (overflow is then the upstream's call)
  // A GGUF file whose tokenizer (and chat template) counts prompt tokens for this deployment's
  // model, for the prompt-token limit; empty: "local" counts with its own model, "openai"
  // estimates (docs/GATEWAY.md). Only the file's metadata is read.
  std::string tokenizer;
  std::chrono::milliseconds connect_timeout{5000};
  std::chrono::milliseconds first_byte_timeout{60000};  // request sent -> first response byte
  std::chrono::milliseconds idle_timeout{60000};        // between two reads of a stream
};

}  // namespace anvil::gateway
