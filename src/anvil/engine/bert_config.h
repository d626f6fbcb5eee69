// Hyperparameters of a BERT-family encoder (arch "bert": bge embedding models, cross-encoder
// rerankers) as llama.cpp's converter writes them into GGUF metadata. See docs/EMBEDDINGS.md.
#pragma once

#include <cstdint>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::engine {

class GgufFile;

// bert.pooling_type: how one vector (or score) is made from the token states of a sequence.
// Values are llama.cpp's enum llama_pooling_type.
enum class PoolingType : int32_t {
  kNone = 0,  // one vector per token: not usable for text embeddings
  kMean = 1,  // average of every token's state (CLS and SEP included)
  kCls = 2,   // the state of the first token
  kLast = 3,  // the state of the last token
  kRank = 4,  // reranker: the classification head on the first token gives one score
};
std::string_view pooling_type_name(PoolingType type);  // "none", "mean", "cls", "last", "rank"

struct BertConfig {
  int64_t n_ctx = 0;     // bert.context_length: positions the model was trained with
  int64_t n_embd = 0;    // bert.embedding_length
  int64_t n_layer = 0;   // bert.block_count
  int64_t n_ff = 0;      // bert.feed_forward_length
  int64_t n_head = 0;    // bert.attention.head_count
  float norm_eps = 1e-12f;  // bert.attention.layer_norm_epsilon
  PoolingType pooling = PoolingType::kNone;  // bert.pooling_type (absent: none)

  int64_t head_dim() const { return n_embd / n_head; }

  // Reads and checks the metadata of an arch "bert" file. Errors name the file and the key, e.g.
  // "m.gguf: metadata 'bert.block_count' is missing".
  static core::Result<BertConfig> from_gguf(const GgufFile& file);
};

}  // namespace anvil::engine
