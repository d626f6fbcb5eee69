// What `anvil model info` shows about a GGUF file: format, architecture, size and parameter
// count, tensor types, hyperparameters, tokenizer and chat template, gathered from a GgufFile.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/engine/gguf.h"

namespace anvil::engine {

// llama_ftype names as llama.cpp spells them ("MOSTLY_Q4_K_M"); nullopt for an unknown value.
std::optional<std::string_view> llama_ftype_name(int64_t file_type);

struct ModelInfo {
  struct TypeUsage {
    GgmlType type;
    size_t tensors = 0;
    uint64_t bytes = 0;
  };
  // A metadata item shown under a label ("context length" <- llama.context_length).
  struct Item {
    std::string label;
    std::string key;
    const GgufValue* value = nullptr;
  };
  struct SpecialToken {
    std::string role;  // "bos", "eos", "unknown", ...
    std::string key;
    int64_t id = 0;
    std::optional<std::string_view> text;  // the token's text, when the id is in the vocabulary
  };

  std::string architecture;               // general.architecture ("" when absent)
  std::optional<std::string_view> name;   // general.name
  std::optional<int64_t> file_type;       // general.file_type
  uint64_t parameters = 0;                // elements of every tensor
  uint64_t tensor_bytes = 0;
  std::vector<TypeUsage> types;           // by type id
  std::vector<Item> hyperparameters;      // present keys only, in a fixed order
  // Tokenizer.
  std::optional<std::string_view> tokenizer_model;
  std::optional<std::string_view> tokenizer_pre;
  std::optional<size_t> vocab_size;  // length of tokenizer.ggml.tokens
  std::optional<size_t> merges;      // length of tokenizer.ggml.merges
  std::vector<SpecialToken> special_tokens;
  std::vector<Item> tokenizer_flags;  // add_bos_token, add_eos_token, add_space_prefix, ...
  std::optional<std::string_view> chat_template;
};

// Never fails: keys of an unexpected type are shown as they are, or left out.
ModelInfo describe_model(const GgufFile& file);

}  // namespace anvil::engine
