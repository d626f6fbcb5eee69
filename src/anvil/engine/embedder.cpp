#include "anvil/engine/embedder.h"

#include <fmt/format.h>

#include "anvil/engine/gguf.h"

namespace anvil::engine {

core::Result<std::unique_ptr<Embedder>> Embedder::open(const std::filesystem::path& model,
                                                       const EncoderOptions& options) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<EncoderRuntime> runtime,
                         EncoderRuntime::open(model, options));
  return create(std::move(runtime));
}

core::Result<std::unique_ptr<Embedder>> Embedder::create(std::unique_ptr<EncoderRuntime> runtime) {
  const BertModel& m = runtime->model();
  const PoolingType p = m.config().pooling;
  if (p == PoolingType::kRank) {
    return core::Status::invalid_argument(fmt::format(
        "{}: bert.pooling_type is 4 (rank): this is a reranker, not an embedding model",
        m.file().name()));
  }
  if (p == PoolingType::kNone) {
    return core::Status::unsupported(fmt::format(
        "{}: bert.pooling_type is 0 (none) or absent: the model gives one vector per token, not "
        "one per text; expected 1 (mean), 2 (cls) or 3 (last)",
        m.file().name()));
  }
  return std::unique_ptr<Embedder>(new Embedder(std::move(runtime)));
}

std::vector<text::TokenId> Embedder::tokens_for(std::string_view text) const {
  std::vector<text::TokenId> ids;
  ids.push_back(runtime_->cls());
  const std::vector<text::TokenId> body = runtime_->tokenize(text);
  ids.insert(ids.end(), body.begin(), body.end());
  ids.push_back(runtime_->sep());
  return ids;
}

core::Result<std::vector<std::vector<float>>> Embedder::embed(
    std::span<const std::string> texts) const {
  std::vector<std::vector<text::TokenId>> sequences;
  sequences.reserve(texts.size());
  for (size_t i = 0; i < texts.size(); ++i) {
    sequences.push_back(tokens_for(texts[i]));
    const auto n = static_cast<int64_t>(sequences.back().size());
    if (n > max_tokens()) {
      return core::Status::invalid_argument(fmt::format(
          "texts[{}] has {} tokens ([CLS] and [SEP] included), the model's context holds {}; "
          "texts are not truncated: split it",
          i, n, max_tokens()));
    }
  }
  return embed_tokens(sequences);
}

core::Result<std::vector<std::vector<float>>> Embedder::embed_tokens(
    std::span<const std::vector<text::TokenId>> sequences) const {
  std::vector<int64_t> lengths;
  for (const auto& s : sequences) lengths.push_back(static_cast<int64_t>(s.size()));
  std::vector<std::vector<float>> out;
  out.reserve(sequences.size());
  const int64_t E = dim();
  ANVIL_RETURN_IF_ERROR(runtime_->for_each_batch(lengths, [&](size_t first, size_t count) {
    EncoderBatch batch;
    for (size_t i = first; i < first + count; ++i) batch.add(sequences[i]);
    auto pooled = runtime_->model().embed(batch, pooling(), runtime_->pool());
    if (!pooled.ok()) {
      // Batch-relative sequence numbers mean nothing to the caller: name the batch's range.
      return pooled.status().with_context(
          fmt::format("sequences [{}, {})", first, first + count));
    }
    for (size_t s = 0; s < count; ++s) {
      out.emplace_back(pooled->begin() + static_cast<int64_t>(s) * E,
                       pooled->begin() + static_cast<int64_t>(s + 1) * E);
    }
    return core::Status();
  }));
  return out;
}

}  // namespace anvil::engine
