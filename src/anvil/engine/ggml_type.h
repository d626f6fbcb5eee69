// Tensor element types as GGUF files store them: the numeric ids, names and block layouts that
// llama.cpp's ggml uses, so files written by either program read the same in the other.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::engine {

// Values are the on-disk ids (ggml_type); gaps are ids ggml has retired.
enum class GgmlType : uint32_t {
  kF32 = 0,
  kF16 = 1,
  kQ4_0 = 2,
  kQ4_1 = 3,
  kQ5_0 = 6,
  kQ5_1 = 7,
  kQ8_0 = 8,
  kQ8_1 = 9,
  kQ2_K = 10,
  kQ3_K = 11,
  kQ4_K = 12,
  kQ5_K = 13,
  kQ6_K = 14,
  kQ8_K = 15,
  kIQ2_XXS = 16,
  kIQ2_XS = 17,
  kIQ3_XXS = 18,
  kIQ1_S = 19,
  kIQ4_NL = 20,
  kIQ3_S = 21,
  kIQ2_S = 22,
  kIQ4_XS = 23,
  kI8 = 24,
  kI16 = 25,
  kI32 = 26,
  kI64 = 27,
  kF64 = 28,
  kIQ1_M = 29,
  kBF16 = 30,
  kTQ1_0 = 34,
  kTQ2_0 = 35,
};

// Elements per block, bytes per block. For scalar types block_size is 1.
struct GgmlTypeTraits {
  GgmlType type;
  const char* name;       // as llama.cpp prints it: "f32", "q4_K", ...
  int64_t block_size;     // elements per block
  int64_t type_size;      // bytes per block
  bool supported;         // Anvil can dequantize it (and so load tensors of this type)
};

// Traits of a raw on-disk id; nullopt for an id ggml never defined (or has retired).
std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t raw_type);
const GgmlTypeTraits& ggml_traits(GgmlType type);  // type must be a defined enumerator

std::string_view ggml_type_name(GgmlType type);
// Parses "q8_0", "Q4_K", "f16", ... (case-insensitive); nullopt if unknown.
std::optional<GgmlType> ggml_type_from_name(std::string_view name);

// Bytes of a row of n elements; n must be a multiple of the block size (checked by callers that
// read files; see row_size_checked).
size_t ggml_row_size(GgmlType type, int64_t n_elements);

}  // namespace anvil::engine
