#include "anvil/engine/bert_config.h"

#include <fmt/format.h>

#include <optional>
#include <string>

#include "anvil/engine/gguf.h"

namespace anvil::engine {

std::string_view pooling_type_name(PoolingType type) {
  switch (type) {
    case PoolingType::kNone: return "none";
    case PoolingType::kMean: return "mean";
    case PoolingType::kCls: return "cls";
    case PoolingType::kLast: return "last";
    case PoolingType::kRank: return "rank";
  }
  return "unknown";
}

namespace {

core::Result<int64_t> required_positive(const GgufFile& file, const std::string& key) {
  ANVIL_ASSIGN_OR_RETURN(std::optional<int64_t> v, file.get_int(key));
  if (!v) return core::Status::corrupt(fmt::format("{}: metadata '{}' is missing", file.name(), key));
  if (*v <= 0) {
    return core::Status::corrupt(
        fmt::format("{}: metadata '{}' is {}, expected a positive integer", file.name(), key, *v));
  }
  return *v;
}

}  // namespace

core::Result<BertConfig> BertConfig::from_gguf(const GgufFile& file) {
  ANVIL_ASSIGN_OR_RETURN(std::optional<std::string_view> arch,
                         file.get_string("general.architecture"));
  if (!arch) {
    return core::Status::corrupt(
        fmt::format("{}: metadata 'general.architecture' is missing", file.name()));
  }
  if (*arch != "bert") {
    return core::Status::unsupported(fmt::format(
        "{}: architecture is '{}', expected 'bert' (an embedding or reranking model)", file.name(),
        *arch));
  }
  BertConfig c;
  ANVIL_ASSIGN_OR_RETURN(c.n_ctx, required_positive(file, "bert.context_length"));
  ANVIL_ASSIGN_OR_RETURN(c.n_embd, required_positive(file, "bert.embedding_length"));
  ANVIL_ASSIGN_OR_RETURN(c.n_layer, required_positive(file, "bert.block_count"));
  ANVIL_ASSIGN_OR_RETURN(c.n_ff, required_positive(file, "bert.feed_forward_length"));
  ANVIL_ASSIGN_OR_RETURN(c.n_head, required_positive(file, "bert.attention.head_count"));
  if (c.n_embd % c.n_head != 0) {
    return core::Status::corrupt(fmt::format(
        "{}: bert.embedding_length {} is not a multiple of bert.attention.head_count {}",
        file.name(), c.n_embd, c.n_head));
  }
  ANVIL_ASSIGN_OR_RETURN(std::optional<double> eps,
                         file.get_float("bert.attention.layer_norm_epsilon"));
  if (!eps) {
    return core::Status::corrupt(
        fmt::format("{}: metadata 'bert.attention.layer_norm_epsilon' is missing", file.name()));
  }
  if (!(*eps > 0 && *eps < 1)) {
    return core::Status::corrupt(fmt::format(
        "{}: metadata 'bert.attention.layer_norm_epsilon' is {}, expected a small positive number",
        file.name(), *eps));
  }
  c.norm_eps = static_cast<float>(*eps);
  ANVIL_ASSIGN_OR_RETURN(std::optional<bool> causal, file.get_bool("bert.attention.causal"));
  if (causal && *causal) {
    return core::Status::unsupported(fmt::format(
        "{}: bert.attention.causal is true; Anvil's encoder attends in both directions",
        file.name()));
  }
  ANVIL_ASSIGN_OR_RETURN(std::optional<int64_t> pooling, file.get_int("bert.pooling_type"));
  if (pooling) {
    if (*pooling < 0 || *pooling > 4) {
      return core::Status::unsupported(fmt::format(
          "{}: bert.pooling_type is {}, expected 0 (none), 1 (mean), 2 (cls), 3 (last) or 4 (rank)",
          file.name(), *pooling));
    }
    c.pooling = static_cast<PoolingType>(*pooling);
  }
  return c;
}

}  // namespace anvil::engine
