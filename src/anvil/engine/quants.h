// Conversion between f32 and every tensor type Anvil reads: reference (portable, exact to
// llama.cpp's block layouts) dequantization of a row, and quantization of f32 rows for
// `anvil quantize` and for activations. Layouts and rounding rules: docs/QUANTIZATION.md.
#pragma once

#include <cstddef>
#include <cstdint>

#include "anvil/engine/ggml_type.h"

namespace anvil::engine {

// dst[0..n) = the n elements of a row of `type` at src. n must be a multiple of the block size;
// type must be supported (ggml_traits(type).supported).
void dequantize_row(GgmlType type, const void* src, float* dst, int64_t n);

// Whether quantize_row can write `type`.
bool can_quantize(GgmlType type);
// Writes n elements (a multiple of the block size) of src as `type` to dst; returns the bytes
// written (ggml_row_size(type, n)). Rounding as llama.cpp's reference quantizers, so a tensor
// quantized by either program dequantizes to the same values.
size_t quantize_row(GgmlType type, const float* src, void* dst, int64_t n);

}  // namespace anvil::engine
