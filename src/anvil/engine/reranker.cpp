#include "anvil/engine/reranker.h"

#include <fmt/format.h>

#include "anvil/engine/gguf.h"

namespace anvil::engine {

core::Result<std::unique_ptr<Reranker>> Reranker::open(const std::filesystem::path& model,
                                                       const EncoderOptions& options) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<EncoderRuntime> runtime,
                         EncoderRuntime::open(model, options));
  return create(std::move(runtime));
}

core::Result<std::unique_ptr<Reranker>> Reranker::create(std::unique_ptr<EncoderRuntime> runtime) {
  const BertModel& m = runtime->model();
  const PoolingType p = m.config().pooling;
  if (p != PoolingType::kRank) {
    return core::Status::invalid_argument(fmt::format(
        "{}: bert.pooling_type is {} ({}), expected 4 (rank): this is not a reranker",
        m.file().name(), static_cast<int>(p), pooling_type_name(p)));
  }
  return std::unique_ptr<Reranker>(new Reranker(std::move(runtime)));
}

PairFraming pair_framing(const text::TokenizerVocab& vocab) {
  return vocab.model == "t5" ? PairFraming::kRoberta : PairFraming::kBert;
}

RerankPair Reranker::make_pair(std::span<const text::TokenId> query,
                               std::span<const text::TokenId> document) const {
  RerankPair pair;
  pair.tokens.reserve(query.size() + document.size() + 4);
  pair.tokens.push_back(runtime_->cls());
  pair.tokens.insert(pair.tokens.end(), query.begin(), query.end());
  pair.tokens.push_back(runtime_->sep());
  // RoBERTa separates the two texts with </s></s> (llama.cpp: EOS then SEP, both </s>).
  if (framing_ == PairFraming::kRoberta) pair.tokens.push_back(runtime_->sep());
  const size_t first_segment = pair.tokens.size();
  pair.tokens.insert(pair.tokens.end(), document.begin(), document.end());
  pair.tokens.push_back(runtime_->sep());
  const bool two_segments = framing_ == PairFraming::kBert && runtime_->model().n_token_types() >= 2;
  pair.segments.assign(pair.tokens.size(), 0);
  if (two_segments) {
    for (size_t i = first_segment; i < pair.segments.size(); ++i) pair.segments[i] = 1;
  }
  return pair;
}

core::Result<std::vector<float>> Reranker::score(std::string_view query,
                                                 std::span<const std::string> documents) const {
  const std::vector<text::TokenId> q = runtime_->tokenize(query);
  std::vector<RerankPair> pairs;
  pairs.reserve(documents.size());
  for (size_t i = 0; i < documents.size(); ++i) {
    const std::vector<text::TokenId> d = runtime_->tokenize(documents[i]);
    pairs.push_back(make_pair(q, d));
    const auto n = static_cast<int64_t>(pairs.back().tokens.size());
    if (n > max_tokens()) {
      return core::Status::invalid_argument(fmt::format(
          "documents[{}]: the query ({} tokens) and the document ({} tokens) make a pair of {} "
          "tokens with {}, the model's context holds {}; nothing is truncated: split the document",
          i, q.size(), d.size(), n,
          framing_ == PairFraming::kRoberta ? "<s> and three </s>" : "[CLS] and two [SEP]", max_tokens()));
    }
  }
  return score_pairs(pairs);
}

core::Result<std::vector<float>> Reranker::score_pairs(std::span<const RerankPair> pairs) const {
  std::vector<int64_t> lengths;
  for (const auto& p : pairs) lengths.push_back(static_cast<int64_t>(p.tokens.size()));
  std::vector<float> out;
  out.reserve(pairs.size());
  ANVIL_RETURN_IF_ERROR(runtime_->for_each_batch(lengths, [&](size_t first, size_t count) {
    EncoderBatch batch;
    for (size_t i = first; i < first + count; ++i) batch.add(pairs[i].tokens, pairs[i].segments);
    auto scores = runtime_->model().rank(batch, runtime_->pool());
    if (!scores.ok()) {
      return scores.status().with_context(fmt::format("pairs [{}, {})", first, first + count));
    }
    out.insert(out.end(), scores->begin(), scores->end());
    return core::Status();
  }));
  return out;
}

}  // namespace anvil::engine
