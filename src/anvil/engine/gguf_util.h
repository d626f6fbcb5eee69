// Small helpers shared by the GGUF reader, writer and `model info`: printable renderings of keys,
// value kinds and shapes for error messages.
#pragma once

#include <string>
#include <string_view>

#include "anvil/engine/gguf.h"

namespace anvil::engine {

bool is_integer_type(GgufValueType type);  // the eight integer types (not bool)
bool is_float_type(GgufValueType type);    // float32, float64
// Encoded bytes of one value of a fixed-size type (numbers, bool); 0 for strings and arrays.
uint64_t gguf_scalar_size(GgufValueType type);

// Printable ASCII kept; anything else as \xNN (so a corrupt key cannot garble a terminal); cut
// after 96 bytes with "...(N bytes)".
std::string escape_bytes(std::string_view bytes);

// "a string", "an int32", "an array of uint32": for "metadata 'k' is ..., expected ...".
std::string value_kind_with_article(const GgufValue& value);

// "[4096, 32000]" (ne[0] first, as ggml prints shapes).
std::string shape_string(const GgufTensor& tensor);

}  // namespace anvil::engine
