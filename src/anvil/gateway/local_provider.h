// The "local" provider: GGUF models run inside Anvil, chosen by architecture. A decoder (llama,
// qwen2) answers chat and completions through an engine::BatchScheduler, so concurrent requests
// share forward passes (continuous batching); tokens stream back to the requesting coroutine on
// its own executor, and a client that goes away cancels its sequence (the tokens made so far are
// still counted). A BERT-family encoder answers embeddings (an embedding model) or rerank (a
// cross-encoder with a classification head) through a LocalEncoder. Asking a model for what it
// does not serve is a 400 naming the deployment and what it serves.
#pragma once

#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/core/status.h"
#include "anvil/gateway/deployment.h"
#include "anvil/gateway/local_options.h"
#include "anvil/gateway/provider.h"

namespace anvil::gateway {


class LocalProvider final : public Provider {
 public:
  // Loads the model of every deployment whose provider is "local" (deployment.model is the GGUF
  // path; general.architecture "bert" loads an encoder, anything else a decoder). Errors name the
  // deployment and the file.
  static core::Result<std::unique_ptr<LocalProvider>> create(std::span<const Deployment> deployments,
                                                             const LocalProviderOptions& options);
  ~LocalProvider() override;

  boost::asio::awaitable<Attempt> complete(const Deployment& deployment,
                                           const ProviderRequest& request) override;
  boost::asio::awaitable<StreamAttempt> stream(const Deployment& deployment,
                                               const ProviderRequest& request,
                                               StreamSink& sink) override;

  // The tokens of each prompt of `body`, counted with the deployment's own tokenizer: one for a
  // chat request (with its chat template) or a completions prompt, one per input of an
  // embeddings request ([CLS] and [SEP] included), one per query-document pair of a rerank
  // request. kInvalidArgument for a request the model cannot answer (wrong operation, an input
  // over the context), with the message the call itself would give.
  core::Result<std::vector<int64_t>> count_prompts(const Deployment& deployment, Operation op,
                                                   const boost::json::object& body) const override;
  // Their sum: what the whole request runs through the model.
  core::Result<int64_t> count_prompt_tokens(const Deployment& deployment, Operation op,
                                            const boost::json::object& body) const;

  // What the deployment's model answers: chat and completions (a decoder), embeddings, or rerank;
  // empty for a deployment not loaded here.
  std::vector<Operation> operations(const Deployment& deployment) const;

  struct Served;  // one loaded model and what runs it

 private:
  LocalProvider() = default;
  const Served* find(const Deployment& deployment) const;

  std::map<std::string, std::unique_ptr<Served>> served_;  // by deployment name
};

}  // namespace anvil::gateway
