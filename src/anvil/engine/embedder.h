// Text embeddings with a BERT-family model (bge-small/base/large GGUF files, and XLM-RoBERTa ones
// such as bge-m3): each text becomes [CLS] text [SEP] (XLM-R: <s> text </s>), batches of texts run
// packed through the encoder, and the pooled vectors come back L2-normalized. The rag layer wraps
// this behind its own Embedder interface.
#pragma once

#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/encoder_runtime.h"

namespace anvil::engine {

class Embedder {
 public:
  // Errors when the model's pooling is none or rank (it does not make one vector per text).
  static core::Result<std::unique_ptr<Embedder>> open(const std::filesystem::path& model,
                                                      const EncoderOptions& options = {});
  static core::Result<std::unique_ptr<Embedder>> create(std::unique_ptr<EncoderRuntime> runtime);

  // One unit vector of dim() floats per text, in order. A text longer than the context is an
  // error naming it ("texts[3] has 600 tokens ..."): texts are never truncated.
  core::Result<std::vector<std::vector<float>>> embed(std::span<const std::string> texts) const;
  // The same for token sequences already framed ([CLS] ... [SEP]): for parity tests.
  core::Result<std::vector<std::vector<float>>> embed_tokens(
      std::span<const std::vector<text::TokenId>> sequences) const;

  // The tokens embed() runs for a text: [CLS] text [SEP] (the vocabulary's cls/bos and sep/eos).
  std::vector<text::TokenId> tokens_for(std::string_view text) const;

  int64_t dim() const { return runtime_->model().config().n_embd; }
  int64_t max_tokens() const { return runtime_->model().config().n_ctx; }
  PoolingType pooling() const { return runtime_->model().config().pooling; }
  const EncoderRuntime& runtime() const { return *runtime_; }

 private:
  explicit Embedder(std::unique_ptr<EncoderRuntime> runtime) : runtime_(std::move(runtime)) {}
  std::unique_ptr<EncoderRuntime> runtime_;
};

}  // namespace anvil::engine
