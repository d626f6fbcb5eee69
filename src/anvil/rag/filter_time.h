// Timestamps in metadata filters: metadata strings and filter literals that read as ISO 8601
// dates or datetimes compare as instants, in microseconds since 1970-01-01T00:00:00Z. The parsing
// is core::parse_timestamp_micros; a datetime without an offset is taken as UTC.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

#include "anvil/core/clock.h"

namespace anvil::rag {

inline std::optional<int64_t> parse_iso8601_micros(std::string_view text) {
  // Most metadata strings are not dates: reject them before building an error message.
  auto digit = [&](size_t i) { return i < text.size() && text[i] >= '0' && text[i] <= '9'; };
  if (!(digit(0) && digit(1) && digit(2) && digit(3) && text.size() > 4 && text[4] == '-')) {
    return std::nullopt;
  }
  auto micros = core::parse_timestamp_micros(text, 0);
  if (!micros.ok()) return std::nullopt;
  return *micros;
}

}  // namespace anvil::rag
