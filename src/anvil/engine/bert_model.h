// A BERT-family encoder loaded from an arch "bert" GGUF file (bge embedding models, cross-encoder
// rerankers with llama.cpp's classification head): weights stay in the file's mapping, and a batch
// of sequences packed end to end runs through the layers with one matmul per weight.
// Forward pass, pooling and limits: docs/EMBEDDINGS.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <span>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/bert_config.h"
#include "anvil/engine/encoder_ops.h"
#include "anvil/engine/matmul.h"

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

class GgufFile;

// Token sequences packed end to end: sequence s is tokens[seqs[s].start, + seqs[s].length).
struct EncoderBatch {
  std::vector<int32_t> tokens;    // token ids, every sequence concatenated
  std::vector<int32_t> segments;  // token type (segment) ids, one per token
  std::vector<SequenceSpan> seqs;

  // Appends one sequence; `segment_ids` empty means all 0.
  void add(std::span<const int32_t> ids, std::span<const int32_t> segment_ids = {});
  int64_t n_tokens() const { return static_cast<int64_t>(tokens.size()); }
  int64_t n_seqs() const { return static_cast<int64_t>(seqs.size()); }
};

// One encoder layer's weights. Matrices point into the mapping; the small vectors (biases and
// norm weights, n_embd or n_ff floats) are converted to f32 at load time.
struct BertLayerWeights {
  MatrixView wq, wk, wv, wo;  // [n_embd, n_embd] (n_out = n_in = n_embd)
  MatrixView ffn_up;          // n_in n_embd, n_out n_ff
  MatrixView ffn_down;        // n_in n_ff, n_out n_embd
  std::vector<float> bq, bk, bv, bo, ffn_up_b, ffn_down_b;
  std::vector<float> attn_norm_w, attn_norm_b;  // attn_output_norm
  std::vector<float> out_norm_w, out_norm_b;    // layer_output_norm
};

class BertModel {
 public:
  // Maps `path` and binds every tensor, checking presence, type and shape: "m.gguf: tensor
  // 'blk.0.attn_q.weight' has shape [384, 128], expected [384, 384]".
  static core::Result<std::unique_ptr<BertModel>> load(const std::filesystem::path& path);
  static core::Result<std::unique_ptr<BertModel>> from_file(std::unique_ptr<GgufFile> file);
  ~BertModel();
  BertModel(const BertModel&) = delete;
  BertModel& operator=(const BertModel&) = delete;

  const BertConfig& config() const { return config_; }
  const GgufFile& file() const { return *file_; }
  int64_t n_vocab() const { return token_embd_.n_out; }
  int64_t n_token_types() const { return token_types_ ? token_types_->n_out : 0; }
  // Whether the file carries the classification head a reranker needs (cls.output.*).
  bool has_rank_head() const { return cls_out_.has_value(); }

  // Runs the encoder; returns the final token states [batch.n_tokens(), n_embd] f32. Errors for
  // a malformed batch: token ids outside the vocabulary, a sequence longer than the context,
  // segment ids without a token type row.
  core::Result<std::vector<float>> encode(const EncoderBatch& batch, core::ThreadPool* pool) const;

  // One L2-normalized vector per sequence, pooled as `pooling` says (mean, cls or last):
  // [batch.n_seqs(), n_embd] f32.
  core::Result<std::vector<float>> embed(const EncoderBatch& batch, PoolingType pooling,
                                         core::ThreadPool* pool) const;

  // One relevance score (a raw logit) per sequence from the classification head on the first
  // token: tanh(cls * x0 + cls_b), then cls.output. Needs has_rank_head().
  core::Result<std::vector<float>> rank(const EncoderBatch& batch, core::ThreadPool* pool) const;

 private:
  BertModel() = default;
  core::Status check_batch(const EncoderBatch& batch) const;

  std::unique_ptr<GgufFile> file_;
  BertConfig config_;
  MatrixView token_embd_;                  // n_in n_embd, n_out n_vocab
  std::optional<MatrixView> token_types_;  // n_in n_embd, n_out n_types
  MatrixView position_embd_;               // n_in n_embd, n_out n_ctx
  std::vector<float> embd_norm_w_, embd_norm_b_;
  std::vector<BertLayerWeights> layers_;
  std::optional<MatrixView> cls_;          // [n_embd, n_embd], optional even in rerankers
  std::vector<float> cls_b_;
  std::optional<MatrixView> cls_out_;      // n_in n_embd, n_out 1
  std::vector<float> cls_out_b_;
};

}  // namespace anvil::engine
