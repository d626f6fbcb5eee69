// What the Embedder and the Reranker share: a BERT model, its tokenizer, the special tokens that
// frame a text ([CLS] ... [SEP]), a thread pool, and how texts are cut into forward-pass batches.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/core/thread_pool.h"
#include "anvil/engine/bert_model.h"
#include "anvil/text/tokenizer.h"

namespace anvil::engine {

struct EncoderOptions {
  int threads = 0;             // threads for one forward pass, the caller's included; 0: all cores
  int max_batch = 32;          // sequences packed into one forward pass
  int64_t max_batch_tokens = 8192;  // and at most this many tokens (bounds the activations' memory)
};

class EncoderRuntime {
 public:
  // Loads the model and its tokenizer (tokenizer.ggml.* in the same file).
  static core::Result<std::unique_ptr<EncoderRuntime>> open(const std::filesystem::path& path,
                                                            const EncoderOptions& options);
  static core::Result<std::unique_ptr<EncoderRuntime>> create(
      std::unique_ptr<BertModel> model, std::unique_ptr<text::Tokenizer> tokenizer,
      const EncoderOptions& options);

  const BertModel& model() const { return *model_; }
  const text::Tokenizer& tokenizer() const { return *tokenizer_; }
  core::ThreadPool* pool() const { return pool_.get(); }
  const EncoderOptions& options() const { return options_; }
  text::TokenId cls() const { return cls_; }
  text::TokenId sep() const { return sep_; }
  // The text's tokens without special tokens (control-token texts in it are not parsed).
  std::vector<text::TokenId> tokenize(std::string_view text) const;

  // Cuts sequences of the given lengths (in order) into runs for one forward pass each and calls
  // run(first, count) for every run, stopping at the first error.
  core::Status for_each_batch(std::span<const int64_t> lengths,
                              const std::function<core::Status(size_t, size_t)>& run) const;

 private:
  EncoderRuntime() = default;
  std::unique_ptr<BertModel> model_;
  std::unique_ptr<text::Tokenizer> tokenizer_;
  std::unique_ptr<core::ThreadPool> pool_;
  EncoderOptions options_;
  text::TokenId cls_ = -1, sep_ = -1;
};

}  // namespace anvil::engine
