#include "anvil/gateway/retry_after.h"

#include <algorithm>
#include <charconv>
#include <ctime>
#include <string>

namespace anvil::gateway {
namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::chrono::milliseconds clamp(double ms) {
  return std::chrono::milliseconds(
      static_cast<int64_t>(std::clamp(ms, 0.0, double(kMaxRetryAfter.count()))));
}

// A non-negative decimal number ("3", "1.5"), or nullopt.
std::optional<double> number(std::string_view text) {
  if (text.empty() || !(text.front() >= '0' && text.front() <= '9')) return std::nullopt;
  double value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

std::optional<std::chrono::milliseconds> parse_retry_after(
    std::string_view value, std::chrono::system_clock::time_point now) {
  value = trim(value);
  if (auto seconds = number(value)) return clamp(*seconds * 1000.0);
  // IMF-fixdate (the form senders must use), then the two obsolete forms receivers must accept.
  static constexpr const char* kFormats[] = {"%a, %d %b %Y %H:%M:%S GMT",
                                             "%A, %d-%b-%y %H:%M:%S GMT", "%a %b %d %H:%M:%S %Y"};
  std::string text(value);
  for (const char* format : kFormats) {
    std::tm tm{};
    const char* end = strptime(text.c_str(), format, &tm);
    if (!end || *end != '\0') continue;
    auto when = std::chrono::system_clock::from_time_t(timegm(&tm));
    auto delta = std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
    return clamp(double(delta.count()));
  }
  return std::nullopt;
}

std::optional<std::chrono::milliseconds> parse_retry_after_ms(std::string_view value) {
  if (auto ms = number(trim(value))) return clamp(*ms);
  return std::nullopt;
}

}  // namespace anvil::gateway
