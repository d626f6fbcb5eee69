#include "anvil/engine/encoder_runtime.h"

#include <fmt/format.h>

#include <thread>

#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"

namespace anvil::engine {

core::Result<std::unique_ptr<EncoderRuntime>> EncoderRuntime::open(
    const std::filesystem::path& path, const EncoderOptions& options) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<BertModel> model, BertModel::load(path));
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tokenizer,
                         load_tokenizer(model->file()));
  return create(std::move(model), std::move(tokenizer), options);
}

core::Result<std::unique_ptr<EncoderRuntime>> EncoderRuntime::create(
    std::unique_ptr<BertModel> model, std::unique_ptr<text::Tokenizer> tokenizer,
    const EncoderOptions& options) {
  const std::string& name = model->file().name();
  if (options.max_batch < 1 || options.max_batch_tokens < 1 || options.threads < 0) {
    return core::Status::invalid_argument(fmt::format(
        "encoder options: threads {}, max_batch {}, max_batch_tokens {}: expected threads >= 0 "
        "and positive batch limits",
        options.threads, options.max_batch, options.max_batch_tokens));
  }
  if (tokenizer->n_vocab() > model->n_vocab()) {
    return core::Status::corrupt(fmt::format(
        "{}: the tokenizer has {} tokens but token_embd.weight has only {} rows", name,
        tokenizer->n_vocab(), model->n_vocab()));
  }
  std::unique_ptr<EncoderRuntime> r(new EncoderRuntime());
  const text::TokenizerVocab& v = tokenizer->vocab();
  // WordPiece vocabularies name [CLS] and [SEP]; others (RoBERTa-style) frame with BOS and EOS.
  r->cls_ = v.cls >= 0 ? v.cls : v.bos;
  r->sep_ = v.sep >= 0 ? v.sep : v.eos;
  if (r->cls_ < 0 || r->sep_ < 0) {
    return core::Status::corrupt(fmt::format(
        "{}: the vocabulary names no [CLS]/BOS or no [SEP]/EOS token "
        "(tokenizer.ggml.cls_token_id, tokenizer.ggml.seperator_token_id)",
        name));
  }
  unsigned threads = static_cast<unsigned>(options.threads);
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  // The caller's thread works too (parallel_for), so the pool holds one thread fewer.
  if (threads > 1) r->pool_ = std::make_unique<core::ThreadPool>(threads - 1);
  r->options_ = options;
  r->model_ = std::move(model);
  r->tokenizer_ = std::move(tokenizer);
  return r;
}

std::vector<text::TokenId> EncoderRuntime::tokenize(std::string_view text) const {
  return tokenizer_->encode(text, /*add_special=*/false, /*parse_special=*/false);
}

core::Status EncoderRuntime::for_each_batch(
    std::span<const int64_t> lengths,
    const std::function<core::Status(size_t, size_t)>& run) const {
  size_t first = 0;
  while (first < lengths.size()) {
    size_t count = 0;
    int64_t tokens = 0;
    // Always at least one sequence, even one longer than max_batch_tokens.
    while (first + count < lengths.size() && count < static_cast<size_t>(options_.max_batch) &&
           (count == 0 || tokens + lengths[first + count] <= options_.max_batch_tokens)) {
      tokens += lengths[first + count];
      ++count;
    }
    ANVIL_RETURN_IF_ERROR(run(first, count));
    first += count;
  }
  return {};
}

}  // namespace anvil::engine
