#include "anvil/engine/bert_model.h"

#include <fmt/format.h>

#include <cmath>
#include <cstring>
#include <string>

#include "anvil/engine/gguf.h"
#include "anvil/engine/quants.h"

namespace anvil::engine {

void EncoderBatch::add(std::span<const int32_t> ids, std::span<const int32_t> segment_ids) {
  seqs.push_back({n_tokens(), static_cast<int64_t>(ids.size())});
  tokens.insert(tokens.end(), ids.begin(), ids.end());
  if (segment_ids.empty()) {
    segments.resize(tokens.size(), 0);
  } else {
    segments.insert(segments.end(), segment_ids.begin(), segment_ids.end());
  }
}

namespace {

std::string shape_string(const int64_t* ne, int n_dims) {
  std::string s = "[";
  for (int d = 0; d < n_dims; ++d) {
    if (d) s += ", ";
    s += std::to_string(ne[d]);
  }
  return s + "]";
}

// Looks tensors up by name and checks them against the shapes the config implies.
class TensorBinder {
 public:
  explicit TensorBinder(const GgufFile& file) : file_(file) {}

  // nullptr when absent and not required.
  core::Result<const GgufTensor*> find(const std::string& name, std::initializer_list<int64_t> shape,
                                       bool required) const {
    const GgufTensor* t = file_.find_tensor(name);
    if (t == nullptr) {
      if (!required) return static_cast<const GgufTensor*>(nullptr);
      return core::Status::corrupt(fmt::format("{}: tensor '{}' is missing", file_.name(), name));
    }
    int64_t expected[4] = {1, 1, 1, 1};
    int n = 0;
    for (int64_t v : shape) expected[n++] = v;
    bool same = true;
    for (int d = 0; d < 4; ++d) same = same && t->ne[d] == expected[d];
    if (!same) {
      return core::Status::corrupt(fmt::format("{}: tensor '{}' has shape {}, expected {}",
                                               file_.name(), name,
                                               shape_string(t->ne, std::max(t->n_dims, 1)),
                                               shape_string(expected, n)));
    }
    const GgmlTypeTraits& traits = ggml_traits(t->type);
    if (!traits.supported || t->ne[0] % traits.block_size != 0) {
      return core::Status::unsupported(
          fmt::format("{}: tensor '{}' has type {}, which Anvil cannot compute with", file_.name(),
                      name, traits.name));
    }
    return t;
  }

  core::Result<std::optional<MatrixView>> matrix(const std::string& name, int64_t n_in,
                                                 int64_t n_out, bool required = true) const {
    ANVIL_ASSIGN_OR_RETURN(const GgufTensor* t, find(name, {n_in, n_out}, required));
    if (t == nullptr) return std::optional<MatrixView>();
    return std::optional<MatrixView>(MatrixView{t->type, t->data, n_in, n_out, t->row_bytes()});
  }

  // A 1-D tensor of n elements as f32 (norm weights and biases are small: copying them costs
  // nothing and spares every op a type switch).
  core::Result<std::vector<float>> vector(const std::string& name, int64_t n,
                                          bool required = true) const {
    ANVIL_ASSIGN_OR_RETURN(const GgufTensor* t, find(name, {n}, required));
    std::vector<float> out;
    if (t == nullptr) return out;
    out.resize(static_cast<size_t>(n));
    dequantize_row(t->type, t->data, out.data(), n);
    return out;
  }

 private:
  const GgufFile& file_;
};

}  // namespace

BertModel::~BertModel() = default;

core::Result<std::unique_ptr<BertModel>> BertModel::load(const std::filesystem::path& path) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::open(path));
  return from_file(std::move(file));
}

core::Result<std::unique_ptr<BertModel>> BertModel::from_file(std::unique_ptr<GgufFile> file) {
  std::unique_ptr<BertModel> m(new BertModel());
  ANVIL_ASSIGN_OR_RETURN(m->config_, BertConfig::from_gguf(*file));
  const BertConfig& c = m->config_;
  const int64_t E = c.n_embd;
  TensorBinder bind(*file);

  // The vocabulary size comes from the embedding table (the tokenizer must agree; the Embedder
  // checks that).
  const GgufTensor* tok = file->find_tensor("token_embd.weight");
  if (tok == nullptr) {
    return core::Status::corrupt(
        fmt::format("{}: tensor 'token_embd.weight' is missing", file->name()));
  }
  ANVIL_ASSIGN_OR_RETURN(auto token_embd, bind.matrix("token_embd.weight", E, tok->ne[1]));
  m->token_embd_ = *token_embd;
  // token_types is optional in llama.cpp (some BERT variants have no segment embeddings).
  const GgufTensor* types = file->find_tensor("token_types.weight");
  if (types != nullptr) {
    ANVIL_ASSIGN_OR_RETURN(m->token_types_, bind.matrix("token_types.weight", E, types->ne[1]));
  }
  ANVIL_ASSIGN_OR_RETURN(auto pos, bind.matrix("position_embd.weight", E, c.n_ctx));
  m->position_embd_ = *pos;
  ANVIL_ASSIGN_OR_RETURN(m->embd_norm_w_, bind.vector("token_embd_norm.weight", E));
  ANVIL_ASSIGN_OR_RETURN(m->embd_norm_b_, bind.vector("token_embd_norm.bias", E));

  m->layers_.resize(static_cast<size_t>(c.n_layer));
  for (int64_t i = 0; i < c.n_layer; ++i) {
    BertLayerWeights& l = m->layers_[static_cast<size_t>(i)];
    const std::string p = fmt::format("blk.{}.", i);
    auto mat = [&](const char* name, int64_t n_in, int64_t n_out, MatrixView& out) -> core::Status {
      ANVIL_ASSIGN_OR_RETURN(auto v, bind.matrix(p + name, n_in, n_out));
      out = *v;
      return {};
    };
    auto vec = [&](const char* name, int64_t n, std::vector<float>& out) -> core::Status {
      ANVIL_ASSIGN_OR_RETURN(out, bind.vector(p + name, n));
      return {};
    };
    ANVIL_RETURN_IF_ERROR(mat("attn_q.weight", E, E, l.wq));
    ANVIL_RETURN_IF_ERROR(vec("attn_q.bias", E, l.bq));
    ANVIL_RETURN_IF_ERROR(mat("attn_k.weight", E, E, l.wk));
    ANVIL_RETURN_IF_ERROR(vec("attn_k.bias", E, l.bk));
    ANVIL_RETURN_IF_ERROR(mat("attn_v.weight", E, E, l.wv));
    ANVIL_RETURN_IF_ERROR(vec("attn_v.bias", E, l.bv));
    ANVIL_RETURN_IF_ERROR(mat("attn_output.weight", E, E, l.wo));
    ANVIL_RETURN_IF_ERROR(vec("attn_output.bias", E, l.bo));
    ANVIL_RETURN_IF_ERROR(vec("attn_output_norm.weight", E, l.attn_norm_w));
    ANVIL_RETURN_IF_ERROR(vec("attn_output_norm.bias", E, l.attn_norm_b));
    ANVIL_RETURN_IF_ERROR(mat("ffn_up.weight", E, c.n_ff, l.ffn_up));
    ANVIL_RETURN_IF_ERROR(vec("ffn_up.bias", c.n_ff, l.ffn_up_b));
    ANVIL_RETURN_IF_ERROR(mat("ffn_down.weight", c.n_ff, E, l.ffn_down));
    ANVIL_RETURN_IF_ERROR(vec("ffn_down.bias", E, l.ffn_down_b));
    ANVIL_RETURN_IF_ERROR(vec("layer_output_norm.weight", E, l.out_norm_w));
    ANVIL_RETURN_IF_ERROR(vec("layer_output_norm.bias", E, l.out_norm_b));
  }

  // The reranker head: cls.output is what makes a model a reranker; the dense cls layer before
  // it is optional (as in llama.cpp), but a weight needs its bias.
  ANVIL_ASSIGN_OR_RETURN(m->cls_out_, bind.matrix("cls.output.weight", E, 1, false));
  if (m->cls_out_) {
    ANVIL_ASSIGN_OR_RETURN(m->cls_out_b_, bind.vector("cls.output.bias", 1));
    ANVIL_ASSIGN_OR_RETURN(m->cls_, bind.matrix("cls.weight", E, E, false));
    if (m->cls_) {
      ANVIL_ASSIGN_OR_RETURN(m->cls_b_, bind.vector("cls.bias", E));
    }
  }
  if (c.pooling == PoolingType::kRank && !m->cls_out_) {
    return core::Status::corrupt(fmt::format(
        "{}: bert.pooling_type is 4 (rank) but tensor 'cls.output.weight' is missing",
        file->name()));
  }
  m->file_ = std::move(file);
  return m;
}

core::Status BertModel::check_batch(const EncoderBatch& batch) const {
  if (batch.segments.size() != batch.tokens.size()) {
    return core::Status::invalid_argument(fmt::format("batch has {} tokens but {} segment ids",
                                                      batch.tokens.size(), batch.segments.size()));
  }
  const int64_t n_types = n_token_types();
  int64_t next = 0;
  for (size_t s = 0; s < batch.seqs.size(); ++s) {
    const SequenceSpan& span = batch.seqs[s];
    if (span.start != next || span.length <= 0 || span.start + span.length > batch.n_tokens()) {
      return core::Status::invalid_argument(fmt::format(
          "sequence {} (tokens {}..{}) is empty or does not follow the one before it in the batch",
          s, span.start, span.start + span.length));
    }
    next = span.start + span.length;
    if (span.length > config_.n_ctx) {
      return core::Status::invalid_argument(
          fmt::format("sequence {} has {} tokens, the model's context holds {}", s, span.length,
                      config_.n_ctx));
    }
    for (int64_t i = 0; i < span.length; ++i) {
      const int32_t id = batch.tokens[static_cast<size_t>(span.start + i)];
      if (id < 0 || id >= n_vocab()) {
        return core::Status::invalid_argument(fmt::format(
            "token id {} at position {} of sequence {} is outside the vocabulary ({} tokens)", id,
            i, s, n_vocab()));
      }
      const int32_t seg = batch.segments[static_cast<size_t>(span.start + i)];
      if (seg < 0 || (seg > 0 && seg >= n_types)) {
        return core::Status::invalid_argument(fmt::format(
            "segment id {} at position {} of sequence {}: the model has {} token types", seg, i, s,
            n_types));
      }
    }
  }
  if (next != batch.n_tokens()) {
    return core::Status::invalid_argument(fmt::format(
        "the batch's sequences cover {} of its {} tokens", next, batch.n_tokens()));
  }
  return {};
}

core::Result<std::vector<float>> BertModel::encode(const EncoderBatch& batch,
                                                   core::ThreadPool* pool) const {
  ANVIL_RETURN_IF_ERROR(check_batch(batch));
  const int64_t T = batch.n_tokens();
  const int64_t E = config_.n_embd;
  const int64_t F = config_.n_ff;
  const auto TE = static_cast<size_t>(T * E);
  std::vector<float> x(TE);    // [T, E]: the residual stream
  std::vector<float> tmp(TE);  // [T, E]: embeddings to add, then each sublayer's output
  if (T == 0) return x;

  // x = token_embd[t] + token_types[s] + position_embd[p], p counting from 0 in each sequence.
  get_rows(token_embd_, batch.tokens.data(), T, x.data());
  std::vector<int32_t> positions(static_cast<size_t>(T));
  for (const SequenceSpan& s : batch.seqs) {
    for (int64_t i = 0; i < s.length; ++i) {
      positions[static_cast<size_t>(s.start + i)] = static_cast<int32_t>(i);
    }
  }
  get_rows(position_embd_, positions.data(), T, tmp.data());
  add_in_place(x.data(), tmp.data(), T * E, pool);
  if (token_types_) {
    get_rows(*token_types_, batch.segments.data(), T, tmp.data());
    add_in_place(x.data(), tmp.data(), T * E, pool);
  }
  const float eps = config_.norm_eps;
  layer_norm(x.data(), T, E, embd_norm_w_.data(), embd_norm_b_.data(), eps, pool);

  std::vector<float> q(TE), k(TE), v(TE), attn(TE);  // [T, E] each
  std::vector<float> up(static_cast<size_t>(T * F));  // [T, F]
  const float scale = 1.0f / std::sqrt(static_cast<float>(config_.head_dim()));
  for (const BertLayerWeights& l : layers_) {
    matmul(l.wq, x.data(), T, q.data(), pool);
    add_bias(q.data(), T, E, l.bq.data(), pool);
    matmul(l.wk, x.data(), T, k.data(), pool);
    add_bias(k.data(), T, E, l.bk.data(), pool);
    matmul(l.wv, x.data(), T, v.data(), pool);
    add_bias(v.data(), T, E, l.bv.data(), pool);
    encoder_attention(q.data(), k.data(), v.data(), config_.n_head, config_.head_dim(), scale,
                      batch.seqs, attn.data(), pool);
    matmul(l.wo, attn.data(), T, tmp.data(), pool);
    residual_layer_norm(x.data(), tmp.data(), l.bo.data(), T, E, l.attn_norm_w.data(),
                        l.attn_norm_b.data(), eps, pool);

    matmul(l.ffn_up, x.data(), T, up.data(), pool);
    add_bias(up.data(), T, F, l.ffn_up_b.data(), pool);
    gelu_erf_in_place(up.data(), T * F, pool);
    matmul(l.ffn_down, up.data(), T, tmp.data(), pool);
    residual_layer_norm(x.data(), tmp.data(), l.ffn_down_b.data(), T, E, l.out_norm_w.data(),
                        l.out_norm_b.data(), eps, pool);
  }
  return x;
}

core::Result<std::vector<float>> BertModel::embed(const EncoderBatch& batch, PoolingType pooling,
                                                  core::ThreadPool* pool) const {
  if (pooling != PoolingType::kMean && pooling != PoolingType::kCls &&
      pooling != PoolingType::kLast) {
    return core::Status::invalid_argument(fmt::format(
        "pooling '{}' does not make one vector per text; expected mean, cls or last",
        pooling_type_name(pooling)));
  }
  ANVIL_ASSIGN_OR_RETURN(std::vector<float> x, encode(batch, pool));
  const int64_t E = config_.n_embd;
  std::vector<float> out(static_cast<size_t>(batch.n_seqs() * E));
  for (int64_t s = 0; s < batch.n_seqs(); ++s) {
    const SequenceSpan& span = batch.seqs[static_cast<size_t>(s)];
    float* o = out.data() + s * E;
    if (pooling == PoolingType::kMean) {
      std::vector<double> sum(static_cast<size_t>(E), 0.0);
      for (int64_t t = span.start; t < span.start + span.length; ++t) {
        const float* row = x.data() + t * E;
        for (int64_t i = 0; i < E; ++i) sum[static_cast<size_t>(i)] += row[i];
      }
      for (int64_t i = 0; i < E; ++i) {
        o[i] = static_cast<float>(sum[static_cast<size_t>(i)] / static_cast<double>(span.length));
      }
    } else {
      const int64_t t = pooling == PoolingType::kCls ? span.start : span.start + span.length - 1;
      std::memcpy(o, x.data() + t * E, static_cast<size_t>(E) * sizeof(float));
    }
  }
  l2_normalize_rows(out.data(), batch.n_seqs(), E);
  return out;
}

core::Result<std::vector<float>> BertModel::rank(const EncoderBatch& batch,
                                                 core::ThreadPool* pool) const {
  if (!cls_out_) {
    return core::Status::failed_precondition(fmt::format(
        "{}: the model has no classification head (tensor 'cls.output.weight'): it is not a "
        "reranker",
        file_->name()));
  }
  ANVIL_ASSIGN_OR_RETURN(std::vector<float> x, encode(batch, pool));
  const int64_t E = config_.n_embd;
  const int64_t S = batch.n_seqs();
  // c: [S, E], the first token's state of each sequence.
  std::vector<float> c(static_cast<size_t>(S * E));
  for (int64_t s = 0; s < S; ++s) {
    std::memcpy(c.data() + s * E, x.data() + batch.seqs[static_cast<size_t>(s)].start * E,
                static_cast<size_t>(E) * sizeof(float));
  }
  if (cls_) {
    std::vector<float> h(c.size());
    matmul(*cls_, c.data(), S, h.data(), pool);
    add_bias(h.data(), S, E, cls_b_.data(), nullptr);
    for (float& value : h) value = std::tanh(value);
    c.swap(h);
  }
  std::vector<float> scores(static_cast<size_t>(S));
  matmul(*cls_out_, c.data(), S, scores.data(), pool);
  for (float& value : scores) value += cls_out_b_[0];
  return scores;
}

}  // namespace anvil::engine
