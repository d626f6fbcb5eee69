// `anvil quantize`: converts an F32/F16/BF16 GGUF model to q8_0, q4_0 or q4_k_m with llama.cpp's
// per-tensor type policy (llama_tensor_get_type), tensor by tensor with bounded memory and
// threads over rows. Policy and fallbacks: docs/GGUF.md.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/engine/ggml_type.h"
#include "anvil/engine/gguf.h"

namespace anvil::engine {

enum class QuantizeTarget { kQ8_0, kQ4_0, kQ4_K_M };
// "q8_0", "q4_0", "q4_k_m" (case-insensitive).
std::optional<QuantizeTarget> quantize_target_from_name(std::string_view name);
std::string_view quantize_target_name(QuantizeTarget target);
// llama_ftype, the value of general.file_type: 7, 2, 15.
uint32_t quantize_target_file_type(QuantizeTarget target);

// What the policy does with one tensor.
struct TensorPlan {
  std::string name;
  GgmlType from = GgmlType::kF32;
  GgmlType to = GgmlType::kF32;
  bool convert = false;  // false: the bytes are copied unchanged (to == from)
  // Why it gets this type: "not a weight matrix", "output", "attn_v, more bits (layer 0 of 24)",
  // "default", "fallback: 100 columns not a multiple of 256", ...
  std::string reason;
};

// The per-tensor types for `target`. Errors: a tensor already quantized (only F32, F16 and BF16
// inputs are converted), naming the tensor and its type.
core::Result<std::vector<TensorPlan>> plan_quantization(const GgufFile& in, QuantizeTarget target);

struct QuantizeProgress {
  size_t index = 0;  // 0-based, in file order
  size_t count = 0;
  const TensorPlan* plan = nullptr;
  const GgufTensor* tensor = nullptr;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
};

struct QuantizeOptions {
  QuantizeTarget target = QuantizeTarget::kQ8_0;
  size_t threads = 0;  // 0: one per core
  // Called after each tensor is written (from the writing thread).
  std::function<void(const QuantizeProgress&)> on_tensor;
};

struct QuantizeSummary {
  uint64_t input_file_bytes = 0;
  uint64_t output_file_bytes = 0;
  uint64_t tensor_bytes_in = 0;
  uint64_t tensor_bytes_out = 0;
  size_t converted = 0;  // tensors converted
  size_t copied = 0;     // tensors copied unchanged
  size_t fallbacks = 0;  // tensors given a fallback type because of their row length
};

// Writes `out` (atomically) from `in`: all metadata copied, general.file_type and
// general.quantization_version set, tensors in the input's order.
core::Result<QuantizeSummary> quantize_model(const GgufFile& in, const std::filesystem::path& out,
                                             const QuantizeOptions& options);

}  // namespace anvil::engine
