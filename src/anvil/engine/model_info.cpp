#include "anvil/engine/model_info.h"

#include <algorithm>
#include <array>
#include <map>
#include <utility>

namespace anvil::engine {

std::optional<std::string_view> llama_ftype_name(int64_t file_type) {
  // llama.h's enum llama_ftype (values 4-6 are retired).
  static const std::map<int64_t, std::string_view> kNames = {
      {0, "ALL_F32"},         {1, "MOSTLY_F16"},      {2, "MOSTLY_Q4_0"},     {3, "MOSTLY_Q4_1"},
      {7, "MOSTLY_Q8_0"},     {8, "MOSTLY_Q5_0"},     {9, "MOSTLY_Q5_1"},     {10, "MOSTLY_Q2_K"},
      {11, "MOSTLY_Q3_K_S"},  {12, "MOSTLY_Q3_K_M"},  {13, "MOSTLY_Q3_K_L"},  {14, "MOSTLY_Q4_K_S"},
      {15, "MOSTLY_Q4_K_M"},  {16, "MOSTLY_Q5_K_S"},  {17, "MOSTLY_Q5_K_M"},  {18, "MOSTLY_Q6_K"},
      {19, "MOSTLY_IQ2_XXS"}, {20, "MOSTLY_IQ2_XS"},  {21, "MOSTLY_Q2_K_S"},  {22, "MOSTLY_IQ3_XS"},
      {23, "MOSTLY_IQ3_XXS"}, {24, "MOSTLY_IQ1_S"},   {25, "MOSTLY_IQ4_NL"},  {26, "MOSTLY_IQ3_S"},
      {27, "MOSTLY_IQ3_M"},   {28, "MOSTLY_IQ2_S"},   {29, "MOSTLY_IQ2_M"},   {30, "MOSTLY_IQ4_XS"},
      {31, "MOSTLY_IQ1_M"},   {32, "MOSTLY_BF16"},    {36, "MOSTLY_TQ1_0"},   {37, "MOSTLY_TQ2_0"},
  };
  auto it = kNames.find(file_type);
  if (it == kNames.end()) return std::nullopt;
  return it->second;
}

namespace {

template <typename T>
std::optional<T> ok_value(const core::Result<std::optional<T>>& r) {
  if (!r.ok() || !r->has_value()) return std::nullopt;
  return **r;
}

}  // namespace

ModelInfo describe_model(const GgufFile& file) {
  ModelInfo info;
  if (auto a = ok_value(file.get_string("general.architecture"))) info.architecture = std::string(*a);
  info.name = ok_value(file.get_string("general.name"));
  info.file_type = ok_value(file.get_int("general.file_type"));

  std::map<uint32_t, ModelInfo::TypeUsage> usage;
  for (const auto& t : file.tensors()) {
    info.parameters += static_cast<uint64_t>(t.n_elements());
    info.tensor_bytes += t.n_bytes;
    auto& u = usage[static_cast<uint32_t>(t.type)];
    u.type = t.type;
    ++u.tensors;
    u.bytes += t.n_bytes;
  }
  for (auto& [id, u] : usage) info.types.push_back(u);

  // Hyperparameters, "{arch}." keys as llama.cpp names them (llama-arch.cpp).
  static constexpr std::array<std::pair<const char*, const char*>, 19> kHyper = {{
      {"context length", "context_length"},
      {"embedding length", "embedding_length"},
      {"layers", "block_count"},
      {"feed-forward length", "feed_forward_length"},
      {"heads", "attention.head_count"},
      {"KV heads", "attention.head_count_kv"},
      {"key length", "attention.key_length"},
      {"value length", "attention.value_length"},
      {"RMS norm epsilon", "attention.layer_norm_rms_epsilon"},
      {"norm epsilon", "attention.layer_norm_epsilon"},
      {"causal attention", "attention.causal"},
      {"rope dimensions", "rope.dimension_count"},
      {"rope base", "rope.freq_base"},
      {"rope scaling", "rope.scaling.type"},
      {"rope scaling factor", "rope.scaling.factor"},
      {"rope original context", "rope.scaling.original_context_length"},
      {"pooling type", "pooling_type"},
      {"experts", "expert_count"},
      {"vocabulary size", "vocab_size"},
  }};
  for (const auto& [label, suffix] : kHyper) {
    std::string key = info.architecture + "." + suffix;
    if (const GgufValue* v = file.find(key)) info.hyperparameters.push_back({label, key, v});
  }

  info.tokenizer_model = ok_value(file.get_string("tokenizer.ggml.model"));
  info.tokenizer_pre = ok_value(file.get_string("tokenizer.ggml.pre"));
  const GgufValue* tokens = file.find("tokenizer.ggml.tokens");
  if (tokens != nullptr && tokens->type() == GgufValueType::kArray) info.vocab_size = tokens->array_size();
  const GgufValue* merges = file.find("tokenizer.ggml.merges");
  if (merges != nullptr && merges->type() == GgufValueType::kArray) info.merges = merges->array_size();
  static constexpr std::array<std::pair<const char*, const char*>, 12> kSpecial = {{
      {"bos", "bos"},
      {"eos", "eos"},
      {"eot", "eot"},
      {"eom", "eom"},
      {"unknown", "unknown"},
      {"separator", "seperator"},  // llama.cpp's key keeps this spelling
      {"padding", "padding"},
      {"cls", "cls"},
      {"mask", "mask"},
      {"fim prefix", "fim_pre"},
      {"fim suffix", "fim_suf"},
      {"fim middle", "fim_mid"},
  }};
  for (const auto& [role, name] : kSpecial) {
    std::string key = std::string("tokenizer.ggml.") + name + "_token_id";
    auto id = ok_value(file.get_int(key));
    if (!id) continue;
    ModelInfo::SpecialToken s{role, key, *id, std::nullopt};
    if (tokens != nullptr && *id >= 0 && static_cast<size_t>(*id) < tokens->array_size()) {
      s.text = tokens->elements()[static_cast<size_t>(*id)].as_string();
    }
    info.special_tokens.push_back(std::move(s));
  }
  static constexpr std::array<std::pair<const char*, const char*>, 5> kFlags = {{
      {"add BOS", "tokenizer.ggml.add_bos_token"},
      {"add EOS", "tokenizer.ggml.add_eos_token"},
      {"add space prefix", "tokenizer.ggml.add_space_prefix"},
      {"remove extra whitespace", "tokenizer.ggml.remove_extra_whitespaces"},
      {"token types", "tokenizer.ggml.token_type_count"},
  }};
  for (const auto& [label, key] : kFlags) {
    if (const GgufValue* v = file.find(key)) info.tokenizer_flags.push_back({label, key, v});
  }
  info.chat_template = ok_value(file.get_string("tokenizer.chat_template"));
  return info;
}

}  // namespace anvil::engine
