// Cross-encoder reranking with a BERT-family model carrying llama.cpp's classification head
// (bert.pooling_type 4): each (query, document) pair runs as [CLS] query [SEP] document [SEP]
// (BERT vocabularies) or <s> query </s></s> document </s> (XLM-RoBERTa's unigram vocabulary:
// bge-reranker-base/-large/-v2-m3) and gets one relevance score (a raw logit: higher is more
// relevant). The rag layer wraps this behind its own Reranker interface.
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

// How a (query, document) pair is framed, as llama.cpp frames rerank inputs (BOS q EOS SEP d EOS,
// which for BERT's WordPiece vocabularies is [CLS] q [SEP] d [SEP]).
enum class PairFraming {
  kBert,     // [CLS] q [SEP] d [SEP]; segment 1 after the first [SEP] when the model has 2 types
  kRoberta,  // <s> q </s></s> d </s>; segment 0 throughout (XLM-R has one token type)
};
// kRoberta for the t5 (unigram) vocabularies llama.cpp's converter writes for XLM-RoBERTa, else
// kBert.
PairFraming pair_framing(const text::TokenizerVocab& vocab);

// A pair as the encoder sees it: token ids and their segment (token type) ids.
struct RerankPair {
  std::vector<text::TokenId> tokens;
  std::vector<int32_t> segments;
};

class Reranker {
 public:
  // Errors when the model is not a reranker (pooling other than rank, or no cls.output head).
  static core::Result<std::unique_ptr<Reranker>> open(const std::filesystem::path& model,
                                                      const EncoderOptions& options = {});
  static core::Result<std::unique_ptr<Reranker>> create(std::unique_ptr<EncoderRuntime> runtime);

  // One score per document, in the documents' order. A pair longer than the context is an error
  // naming the document ("documents[2]: the query and the document have 600 tokens ..."): nothing
  // is truncated.
  core::Result<std::vector<float>> score(std::string_view query,
                                         std::span<const std::string> documents) const;
  // The same for pairs already built (parity tests).
  core::Result<std::vector<float>> score_pairs(std::span<const RerankPair> pairs) const;

  // The pair as framing() says: [CLS] query [SEP] document [SEP] with segment 0 up to and
  // including the first [SEP] and 1 after it when the model has two or more token types (else 0
  // throughout); or <s> query </s></s> document </s>, all segment 0.
  RerankPair make_pair(std::span<const text::TokenId> query,
                       std::span<const text::TokenId> document) const;
  PairFraming framing() const { return framing_; }

  int64_t max_tokens() const { return runtime_->model().config().n_ctx; }
  const EncoderRuntime& runtime() const { return *runtime_; }

 private:
  explicit Reranker(std::unique_ptr<EncoderRuntime> runtime)
      : runtime_(std::move(runtime)), framing_(pair_framing(runtime_->tokenizer().vocab())) {}
  std::unique_ptr<EncoderRuntime> runtime_;
  PairFraming framing_;
};

}  // namespace anvil::engine
