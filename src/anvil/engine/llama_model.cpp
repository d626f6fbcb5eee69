#include "anvil/engine/llama_model.h"

#include <cstring>
#include <string>

#include <fmt/format.h>

#include "anvil/engine/quants.h"

namespace anvil::engine {

using core::Status;

namespace {

std::string shape_string(const int64_t* ne, int n_dims) {
  std::string s = "[";
  for (int i = 0; i < n_dims; ++i) s += fmt::format("{}{}", i ? ", " : "", ne[i]);
  return s + "]";
}

}  // namespace

// Looks tensors up by name and checks them against the shapes the config implies.
class LlamaModelBinder {
 public:
  explicit LlamaModelBinder(LlamaModel& m) : m_(m), f_(*m.file_) {}

  const GgufTensor* find(const std::string& name, bool required, Status* error) {
    const GgufTensor* t = f_.find_tensor(name);
    if (!t && required) {
      *error = Status::corrupt(fmt::format("{}: missing tensor '{}'", f_.name(), name));
    }
    return t;
  }

  Status check(const GgufTensor& t, std::initializer_list<int64_t> expected) {
    const int n_expected = static_cast<int>(expected.size());
    bool same = t.n_dims == n_expected;
    for (int i = 0; same && i < n_expected; ++i) same = t.ne[i] == expected.begin()[i];
    if (!same) {
      return Status::corrupt(fmt::format("{}: {}: shape {}, expected {}", f_.name(), t.name,
                                         shape_string(t.ne, t.n_dims),
                                         shape_string(expected.begin(), n_expected)));
    }
    if (!ggml_traits(t.type).supported) {
      return Status::unsupported(fmt::format("{}: {}: tensor type {} is not supported", f_.name(),
                                             t.name, ggml_type_name(t.type)));
    }
    m_.n_params_ += t.n_elements();
    m_.weight_bytes_ += t.n_bytes;
    return Status::ok_status();
  }

  // A matrix of n_out rows of n_in: GGUF ne = {n_in, n_out}.
  Status matrix(const std::string& name, int64_t n_in, int64_t n_out, MatrixView* out) {
    Status error;
    const GgufTensor* t = find(name, true, &error);
    if (!t) return error;
    ANVIL_RETURN_IF_ERROR(check(*t, {n_in, n_out}));
    *out = MatrixView{t->type, t->data, n_in, n_out, t->row_bytes()};
    return Status::ok_status();
  }

  // A vector of n f32 values; null (and OK) when absent and not required.
  Status vector(const std::string& name, int64_t n, bool required, const float** out) {
    Status error;
    const GgufTensor* t = find(name, required, &error);
    if (!t) return error;
    ANVIL_RETURN_IF_ERROR(check(*t, {n}));
    if (t->type == GgmlType::kF32 && reinterpret_cast<uintptr_t>(t->data) % alignof(float) == 0) {
      *out = reinterpret_cast<const float*>(t->data);
    } else {
      std::vector<float>& w = m_.widened_.emplace_back(static_cast<size_t>(n));
      dequantize_row(t->type, t->data, w.data(), n);
      *out = w.data();
    }
    return Status::ok_status();
  }

  Status bind() {
    const LlamaConfig& c = m_.config_;
    ANVIL_RETURN_IF_ERROR(matrix("token_embd.weight", c.n_embd, c.n_vocab, &m_.token_embd_));
    ANVIL_RETURN_IF_ERROR(vector("output_norm.weight", c.n_embd, true, &m_.output_norm_));
    if (f_.find_tensor("output.weight")) {
      ANVIL_RETURN_IF_ERROR(matrix("output.weight", c.n_embd, c.n_vocab, &m_.output_));
    } else {
      m_.output_ = m_.token_embd_;
      m_.tied_output_ = true;
    }
    ANVIL_RETURN_IF_ERROR(vector("rope_freqs.weight", c.n_rot / 2, false, &m_.rope_freq_factors_));
    m_.layers_.resize(static_cast<size_t>(c.n_layer));
    for (int64_t i = 0; i < c.n_layer; ++i) {
      LlamaLayerWeights& l = m_.layers_[static_cast<size_t>(i)];
      const std::string p = fmt::format("blk.{}.", i);
      ANVIL_RETURN_IF_ERROR(vector(p + "attn_norm.weight", c.n_embd, true, &l.attn_norm));
      ANVIL_RETURN_IF_ERROR(matrix(p + "attn_q.weight", c.n_embd, c.q_dim(), &l.wq));
      ANVIL_RETURN_IF_ERROR(matrix(p + "attn_k.weight", c.n_embd, c.kv_dim(), &l.wk));
      ANVIL_RETURN_IF_ERROR(matrix(p + "attn_v.weight", c.n_embd, c.kv_dim(), &l.wv));
      ANVIL_RETURN_IF_ERROR(matrix(p + "attn_output.weight", c.q_dim(), c.n_embd, &l.wo));
      // Biases are required for qwen2 and allowed (some llama finetunes carry them) otherwise.
      ANVIL_RETURN_IF_ERROR(vector(p + "attn_q.bias", c.q_dim(), c.qkv_bias, &l.bq));
      ANVIL_RETURN_IF_ERROR(vector(p + "attn_k.bias", c.kv_dim(), c.qkv_bias, &l.bk));
      ANVIL_RETURN_IF_ERROR(vector(p + "attn_v.bias", c.kv_dim(), c.qkv_bias, &l.bv));
      ANVIL_RETURN_IF_ERROR(vector(p + "ffn_norm.weight", c.n_embd, true, &l.ffn_norm));
      ANVIL_RETURN_IF_ERROR(matrix(p + "ffn_gate.weight", c.n_embd, c.n_ff, &l.w_gate));
      ANVIL_RETURN_IF_ERROR(matrix(p + "ffn_up.weight", c.n_embd, c.n_ff, &l.w_up));
      ANVIL_RETURN_IF_ERROR(matrix(p + "ffn_down.weight", c.n_ff, c.n_embd, &l.w_down));
    }
    return Status::ok_status();
  }

 private:
  LlamaModel& m_;
  const GgufFile& f_;
};

core::Result<std::unique_ptr<LlamaModel>> LlamaModel::open(const std::filesystem::path& path) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<GgufFile> file, GgufFile::open(path));
  return from_file(std::move(file));
}

core::Result<std::unique_ptr<LlamaModel>> LlamaModel::from_file(std::unique_ptr<GgufFile> file) {
  std::unique_ptr<LlamaModel> m(new LlamaModel());
  ANVIL_ASSIGN_OR_RETURN(m->config_, load_llama_config(*file));
  m->file_ = std::move(file);
  LlamaModelBinder binder(*m);
  ANVIL_RETURN_IF_ERROR(binder.bind());
  return m;
}

}  // namespace anvil::engine
