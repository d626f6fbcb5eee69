#include "anvil/engine/ggml_type.h"

#include <array>
#include <cctype>

namespace anvil::engine {
namespace {

// Block sizes and byte sizes follow ggml's block structs (ggml-common.h):
//   q4_0: f16 d + 16 B nibbles; q4_1: f16 d, m + 16 B; q5_0: f16 d + 4 B high bits + 16 B;
//   q5_1: f16 d, m + 4 B + 16 B; q8_0: f16 d + 32 int8; q8_1: f16 d, s + 32 int8;
//   q2_K: 16 B scales + 64 B quants + f16 d, dmin; q3_K: 32 B hmask + 64 B + 12 B scales + f16 d;
//   q4_K: f16 d, dmin + 12 B scales + 128 B; q5_K: as q4_K + 32 B high bits;
//   q6_K: 128 B low + 64 B high + 16 int8 scales + f16 d; q8_K: f32 d + 256 int8 + 16 int16 sums.
constexpr std::array kTraits = {
    GgmlTypeTraits{GgmlType::kF32, "f32", 1, 4, true},
    GgmlTypeTraits{GgmlType::kF16, "f16", 1, 2, true},
    GgmlTypeTraits{GgmlType::kQ4_0, "q4_0", 32, 18, true},
    GgmlTypeTraits{GgmlType::kQ4_1, "q4_1", 32, 20, true},
    GgmlTypeTraits{GgmlType::kQ5_0, "q5_0", 32, 22, true},
    GgmlTypeTraits{GgmlType::kQ5_1, "q5_1", 32, 24, true},
    GgmlTypeTraits{GgmlType::kQ8_0, "q8_0", 32, 34, true},
    GgmlTypeTraits{GgmlType::kQ8_1, "q8_1", 32, 36, false},
    GgmlTypeTraits{GgmlType::kQ2_K, "q2_K", 256, 84, true},
    GgmlTypeTraits{GgmlType::kQ3_K, "q3_K", 256, 110, true},
    GgmlTypeTraits{GgmlType::kQ4_K, "q4_K", 256, 144, true},
    GgmlTypeTraits{GgmlType::kQ5_K, "q5_K", 256, 176, true},
    GgmlTypeTraits{GgmlType::kQ6_K, "q6_K", 256, 210, true},
    GgmlTypeTraits{GgmlType::kQ8_K, "q8_K", 256, 292, false},
    GgmlTypeTraits{GgmlType::kIQ2_XXS, "iq2_xxs", 256, 66, false},
    GgmlTypeTraits{GgmlType::kIQ2_XS, "iq2_xs", 256, 74, false},
    GgmlTypeTraits{GgmlType::kIQ3_XXS, "iq3_xxs", 256, 98, false},
    GgmlTypeTraits{GgmlType::kIQ1_S, "iq1_s", 256, 50, false},
    GgmlTypeTraits{GgmlType::kIQ4_NL, "iq4_nl", 32, 18, false},
    GgmlTypeTraits{GgmlType::kIQ3_S, "iq3_s", 256, 110, false},
    GgmlTypeTraits{GgmlType::kIQ2_S, "iq2_s", 256, 82, false},
    GgmlTypeTraits{GgmlType::kIQ4_XS, "iq4_xs", 256, 136, false},
    GgmlTypeTraits{GgmlType::kI8, "i8", 1, 1, false},
    GgmlTypeTraits{GgmlType::kI16, "i16", 1, 2, false},
    GgmlTypeTraits{GgmlType::kI32, "i32", 1, 4, false},
    GgmlTypeTraits{GgmlType::kI64, "i64", 1, 8, false},
    GgmlTypeTraits{GgmlType::kF64, "f64", 1, 8, false},
    GgmlTypeTraits{GgmlType::kIQ1_M, "iq1_m", 256, 56, false},
    GgmlTypeTraits{GgmlType::kBF16, "bf16", 1, 2, true},
    GgmlTypeTraits{GgmlType::kTQ1_0, "tq1_0", 256, 54, false},
    GgmlTypeTraits{GgmlType::kTQ2_0, "tq2_0", 256, 66, false},
};

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::tolower(static_cast<unsigned char>(a[i])) !=
        std::tolower(static_cast<unsigned char>(b[i]))) {
      return false;
    }
  }
  return true;
}

}  // namespace

std::optional<GgmlTypeTraits> ggml_type_traits(uint32_t raw_type) {
  for (const auto& t : kTraits) {
    if (static_cast<uint32_t>(t.type) == raw_type) return t;
  }
  return std::nullopt;
}

const GgmlTypeTraits& ggml_traits(GgmlType type) {
  for (const auto& t : kTraits) {
    if (t.type == type) return t;
  }
  return kTraits[0];  // unreachable for a defined enumerator
}

std::string_view ggml_type_name(GgmlType type) { return ggml_traits(type).name; }

std::optional<GgmlType> ggml_type_from_name(std::string_view name) {
  for (const auto& t : kTraits) {
    if (iequals(name, t.name)) return t.type;
  }
  return std::nullopt;
}

size_t ggml_row_size(GgmlType type, int64_t n_elements) {
  const auto& t = ggml_traits(type);
  return static_cast<size_t>(n_elements / t.block_size * t.type_size);
}

}  // namespace anvil::engine
