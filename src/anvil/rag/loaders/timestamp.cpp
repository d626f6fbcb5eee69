#include "anvil/rag/loaders/timestamp.h"

#include <cmath>

#include <fmt/format.h>

#include "anvil/core/clock.h"

namespace anvil::rag::loaders {
namespace {

// Reads between min and max ASCII digits at text[i], advancing i.
bool read_number(std::string_view text, size_t& i, int min, int max, int& out) {
  int n = 0;
  out = 0;
  while (i < text.size() && n < max && text[i] >= '0' && text[i] <= '9') {
    out = out * 10 + (text[i++] - '0');
    ++n;
  }
  return n >= min;
}

bool eat(std::string_view text, size_t& i, std::string_view literal) {
  if (!text.substr(i).starts_with(literal)) return false;
  i += literal.size();
  return true;
}

// Rewrites the lenient forms records use ("2024/3/5", "2024年3月5日 8:00", one-digit fields) as
// ISO 8601 ("2024-03-05T08:00"), which core::parse_timestamp then validates. nullopt when the
// date part is none of these forms.
std::optional<std::string> to_iso8601(std::string_view text) {
  size_t i = 0;
  int year = 0, month = 0, day = 0;
  if (!read_number(text, i, 4, 4, year)) return std::nullopt;
  const bool chinese = eat(text, i, "年");
  std::string_view sep = chinese ? "月" : "";
  if (!chinese) {
    if (eat(text, i, "-")) sep = "-";
    else if (eat(text, i, "/")) sep = "/";
    else return std::nullopt;
  }
  if (!read_number(text, i, 1, 2, month) || !eat(text, i, sep) || !read_number(text, i, 1, 2, day)) {
    return std::nullopt;
  }
  if (chinese) eat(text, i, "日");
  std::string iso = fmt::format("{:04}-{:02}-{:02}", year, month, day);
  if (i == text.size()) return iso;
  if (chinese) {
    while (eat(text, i, " ")) continue;
  } else if (!eat(text, i, "T") && !eat(text, i, "t") && !eat(text, i, " ")) {
    return std::nullopt;
  }
  int hour = 0;
  if (!read_number(text, i, 1, 2, hour)) return std::nullopt;
  return fmt::format("{}T{:02}{}", iso, hour, text.substr(i));
}

}  // namespace

std::optional<std::string> parse_timestamp(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  std::optional<std::string> iso = to_iso8601(text);
  if (!iso) return std::nullopt;
  auto seconds = core::parse_timestamp(*iso, /*assumed_offset_minutes=*/0);  // naive = UTC
  if (!seconds.ok()) return std::nullopt;
  return core::format_timestamp(*seconds);
}

std::optional<std::string> timestamp_from_unix(double value) {
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  if (value >= 1e11) value /= 1000.0;      // milliseconds
  if (value >= 253402300800.0) return std::nullopt;  // after 9999-12-31
  return core::format_timestamp(static_cast<int64_t>(value));
}

std::optional<std::string> timestamp_from_json(const boost::json::value& v) {
  if (v.is_string()) return parse_timestamp(v.get_string());
  if (v.is_int64()) return timestamp_from_unix(static_cast<double>(v.get_int64()));
  if (v.is_uint64()) return timestamp_from_unix(static_cast<double>(v.get_uint64()));
  if (v.is_double()) return timestamp_from_unix(v.get_double());
  return std::nullopt;
}

}  // namespace anvil::rag::loaders
