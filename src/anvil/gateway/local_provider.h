// The "local" provider: GGUF decoders run inside Anvil. Each local deployment's model is loaded
// once and served by an engine::BatchScheduler, so concurrent requests share forward passes
// (continuous batching). Tokens stream back to the requesting coroutine on its own executor; a
// client that goes away cancels its sequence, and the tokens made so far are still counted.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/provider.h"

namespace anvil::gateway {

struct LocalProviderOptions {
  int threads = 0;             // per model: 0 = one per core
  int64_t max_sequences = 8;   // sequences batched together per model
  int64_t n_ctx = 4096;        // positions per sequence (capped by the model's training context)
  int64_t n_batch = 512;       // tokens per forward pass
  int64_t max_waiting = 256;   // queued requests per model beyond the batch; more get 429
};

class LocalProvider final : public Provider {
 public:
  // Loads the model of every deployment whose provider is "local" (deployment.model is the GGUF
  // path). Errors name the deployment and the file.
  static core::Result<std::unique_ptr<LocalProvider>> create(std::span<const Deployment> deployments,
                                                             const LocalProviderOptions& options);
  ~LocalProvider() override;

  boost::asio::awaitable<Attempt> complete(const Deployment& deployment,
                                           const ProviderRequest& request) override;
  boost::asio::awaitable<StreamAttempt> stream(const Deployment& deployment,
                                               const ProviderRequest& request,
                                               StreamSink& sink) override;

  // The prompt tokens `body` (a chat or completions request) comes to with the deployment's own
  // tokenizer and chat template: what the prompt limit is checked against.
  core::Result<int64_t> count_prompt_tokens(const Deployment& deployment, Operation op,
                                            const boost::json::object& body) const;

  struct Served;  // one loaded model and its scheduler

 private:
  LocalProvider() = default;
  const Served* find(const Deployment& deployment) const;

  std::map<std::string, std::unique_ptr<Served>> served_;  // by deployment name
};

}  // namespace anvil::gateway
