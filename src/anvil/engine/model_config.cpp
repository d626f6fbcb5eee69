#include "anvil/engine/model_config.h"

#include <optional>

#include <fmt/format.h>

#include "anvil/engine/gguf.h"

namespace anvil::engine {
namespace {

using core::Status;

// Reads {arch}.{suffix} as an integer; `fallback` when absent, an error when absent and required.
core::Result<int64_t> get_int(const GgufFile& f, const std::string& arch, std::string_view suffix,
                              std::optional<int64_t> fallback) {
  const std::string key = fmt::format("{}.{}", arch, suffix);
  ANVIL_ASSIGN_OR_RETURN(std::optional<int64_t> v, f.get_int(key));
  if (v) return *v;
  if (fallback) return *fallback;
  return Status::corrupt(fmt::format("{}: missing metadata '{}'", f.name(), key));
}

core::Result<double> get_float(const GgufFile& f, const std::string& arch, std::string_view suffix,
                               std::optional<double> fallback) {
  const std::string key = fmt::format("{}.{}", arch, suffix);
  ANVIL_ASSIGN_OR_RETURN(std::optional<double> v, f.get_float(key));
  if (v) return *v;
  if (fallback) return *fallback;
  return Status::corrupt(fmt::format("{}: missing metadata '{}'", f.name(), key));
}

Status positive(const GgufFile& f, const std::string& arch, std::string_view suffix, int64_t v) {
  if (v > 0) return Status::ok_status();
  return Status::corrupt(
      fmt::format("{}: metadata '{}.{}' is {}, expected a positive integer", f.name(), arch, suffix, v));
}

// The vocabulary size: {A}.vocab_size, else the token list, else the embedding's row count.
core::Result<int64_t> vocab_size(const GgufFile& f, const std::string& arch) {
  ANVIL_ASSIGN_OR_RETURN(std::optional<int64_t> v, f.get_int(arch + ".vocab_size"));
  if (v) return *v;
  if (const GgufValue* tokens = f.find("tokenizer.ggml.tokens")) {
    return static_cast<int64_t>(tokens->array_size());
  }
  if (const GgufTensor* t = f.find_tensor("token_embd.weight")) return t->ne[1];
  return Status::corrupt(fmt::format(
      "{}: cannot tell the vocabulary size: no '{}.vocab_size', no 'tokenizer.ggml.tokens' and no "
      "'token_embd.weight'",
      f.name(), arch));
}

}  // namespace

bool is_llama_family(std::string_view arch) { return arch == "llama" || arch == "qwen2"; }

core::Result<LlamaConfig> load_llama_config(const GgufFile& f) {
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string_view> arch_v,
                         f.get_string("general.architecture"));
  if (!arch_v) {
    return Status::corrupt(fmt::format("{}: missing metadata 'general.architecture'", f.name()));
  }
  if (!is_llama_family(*arch_v)) {
    return Status::unsupported(fmt::format(
        "{}: architecture '{}' is not a Llama-family decoder (expected llama or qwen2)", f.name(),
        *arch_v));
  }
  LlamaConfig c;
  c.arch = std::string(*arch_v);
  const std::string& a = c.arch;
  ANVIL_ASSIGN_OR_RETURN(c.n_ctx_train, get_int(f, a, "context_length", std::nullopt));
  ANVIL_ASSIGN_OR_RETURN(c.n_embd, get_int(f, a, "embedding_length", std::nullopt));
  ANVIL_ASSIGN_OR_RETURN(c.n_layer, get_int(f, a, "block_count", std::nullopt));
  ANVIL_ASSIGN_OR_RETURN(c.n_ff, get_int(f, a, "feed_forward_length", std::nullopt));
  ANVIL_ASSIGN_OR_RETURN(c.n_head, get_int(f, a, "attention.head_count", std::nullopt));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "context_length", c.n_ctx_train));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "embedding_length", c.n_embd));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "block_count", c.n_layer));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "feed_forward_length", c.n_ff));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "attention.head_count", c.n_head));
  ANVIL_ASSIGN_OR_RETURN(c.n_head_kv, get_int(f, a, "attention.head_count_kv", c.n_head));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "attention.head_count_kv", c.n_head_kv));
  if (c.n_head % c.n_head_kv != 0) {
    return Status::corrupt(fmt::format(
        "{}: {} attention heads cannot be grouped over {} KV heads (expected a divisor)", f.name(),
        c.n_head, c.n_head_kv));
  }

  ANVIL_ASSIGN_OR_RETURN(std::optional<int64_t> key_length, f.get_int(a + ".attention.key_length"));
  if (key_length) {
    c.head_dim = *key_length;
    ANVIL_RETURN_IF_ERROR(positive(f, a, "attention.key_length", c.head_dim));
  } else {
    if (c.n_embd % c.n_head != 0) {
      return Status::corrupt(fmt::format(
          "{}: embedding length {} is not a multiple of the {} heads (and no '{}.attention.key_length')",
          f.name(), c.n_embd, c.n_head, a));
    }
    c.head_dim = c.n_embd / c.n_head;
  }
  ANVIL_ASSIGN_OR_RETURN(int64_t value_length, get_int(f, a, "attention.value_length", c.head_dim));
  if (value_length != c.head_dim) {
    return Status::unsupported(fmt::format(
        "{}: value head size {} differs from key head size {} (not supported)", f.name(),
        value_length, c.head_dim));
  }

  ANVIL_ASSIGN_OR_RETURN(c.n_rot, get_int(f, a, "rope.dimension_count", c.head_dim));
  if (c.n_rot <= 0 || c.n_rot > c.head_dim || c.n_rot % 2 != 0) {
    return Status::corrupt(fmt::format(
        "{}: metadata '{}.rope.dimension_count' is {}, expected an even number in [2, {}]",
        f.name(), a, c.n_rot, c.head_dim));
  }
  ANVIL_ASSIGN_OR_RETURN(c.n_vocab, vocab_size(f, a));
  ANVIL_RETURN_IF_ERROR(positive(f, a, "vocab_size", c.n_vocab));

  ANVIL_ASSIGN_OR_RETURN(double eps, get_float(f, a, "attention.layer_norm_rms_epsilon", std::nullopt));
  if (!(eps > 0 && eps < 1)) {
    return Status::corrupt(fmt::format(
        "{}: metadata '{}.attention.layer_norm_rms_epsilon' is {}, expected a small positive number",
        f.name(), a, eps));
  }
  c.rms_eps = static_cast<float>(eps);
  ANVIL_ASSIGN_OR_RETURN(double base, get_float(f, a, "rope.freq_base", 10000.0));
  if (!(base > 1)) {
    return Status::corrupt(fmt::format("{}: metadata '{}.rope.freq_base' is {}, expected > 1",
                                       f.name(), a, base));
  }
  c.rope_freq_base = static_cast<float>(base);

  // Linear RoPE scaling ("position interpolation"): rope.scaling.type = "linear" with
  // rope.scaling.factor, or the older single key rope.scale_linear.
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string_view> scaling,
                         f.get_string(a + ".rope.scaling.type"));
  ANVIL_ASSIGN_OR_RETURN(std::optional<double> legacy_scale, f.get_float(a + ".rope.scale_linear"));
  double factor = 1.0;
  if (scaling && *scaling == "linear") {
    ANVIL_ASSIGN_OR_RETURN(factor, get_float(f, a, "rope.scaling.factor", 1.0));
  } else if (scaling && *scaling != "none") {
    return Status::unsupported(fmt::format(
        "{}: RoPE scaling type '{}' is not supported (expected none or linear)", f.name(), *scaling));
  } else if (!scaling && legacy_scale) {
    factor = *legacy_scale;
  }
  if (factor == 0) factor = 1.0;  // llama.cpp writes 0 for "no scaling" in some files
  if (!(factor > 0)) {
    return Status::corrupt(fmt::format("{}: RoPE scaling factor is {}, expected > 0", f.name(), factor));
  }
  c.rope_freq_scale = static_cast<float>(1.0 / factor);

  c.rope_type = c.arch == "qwen2" ? RopeType::kNeox : RopeType::kNormal;
  c.qkv_bias = c.arch == "qwen2";
  return c;
}

}  // namespace anvil::engine
