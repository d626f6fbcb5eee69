#include "anvil/rag/filter_time.h"

#include <fmt/format.h>

namespace anvil::rag {
namespace {

// Reads exactly `n` ASCII digits at `pos`.
bool read_digits(std::string_view s, std::size_t& pos, int n, int& out) {
  if (pos + static_cast<std::size_t>(n) > s.size()) return false;
  int v = 0;
  for (int k = 0; k < n; ++k) {
    char c = s[pos + static_cast<std::size_t>(k)];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  pos += static_cast<std::size_t>(n);
  out = v;
  return true;
}

bool is_leap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int days_in_month(int y, int m) {
  static constexpr int kDays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
  return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

}  // namespace

// Howard Hinnant's days_from_civil: eras of 400 years make the leap rule a table-free formula.
int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const auto yoe = static_cast<unsigned>(y - era * 400);                 // [0, 399]
  const unsigned doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;  // [0, 365]
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;            // [0, 146096]
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

std::string format_iso8601_micros(int64_t micros) {
  constexpr int64_t kMicrosPerDay = 86400000000LL;
  int64_t days = micros / kMicrosPerDay;
  int64_t rem = micros % kMicrosPerDay;
  if (rem < 0) {
    rem += kMicrosPerDay;
    --days;
  }
  // civil_from_days, the inverse of days_from_civil.
  const int64_t z = days + 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const auto doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  const unsigned d = doy - (153 * mp + 2) / 5 + 1;
  const unsigned m = mp < 10 ? mp + 3 : mp - 9;
  const int64_t y = static_cast<int64_t>(yoe) + era * 400 + (m <= 2 ? 1 : 0);
  const int64_t secs = rem / 1000000, frac = rem % 1000000;
  std::string out = fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}", y, m, d, secs / 3600,
                                secs / 60 % 60, secs % 60);
  if (frac != 0) out += fmt::format(".{:06}", frac);
  out += 'Z';
  return out;
}

std::optional<int64_t> parse_iso8601_micros(std::string_view s) {
  std::size_t pos = 0;
  int year = 0, month = 0, day = 0;
  if (!read_digits(s, pos, 4, year) || pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!read_digits(s, pos, 2, month) || pos >= s.size() || s[pos++] != '-') return std::nullopt;
  if (!read_digits(s, pos, 2, day)) return std::nullopt;
  if (month < 1 || month > 12 || day < 1 || day > days_in_month(year, month)) return std::nullopt;

  int64_t micros_of_day = 0;
  int64_t offset_seconds = 0;
  if (pos < s.size()) {
    if (s[pos] != 'T' && s[pos] != 't' && s[pos] != ' ') return std::nullopt;
    ++pos;
    int hour = 0, minute = 0, second = 0;
    if (!read_digits(s, pos, 2, hour) || pos >= s.size() || s[pos++] != ':') return std::nullopt;
    if (!read_digits(s, pos, 2, minute)) return std::nullopt;
    if (pos < s.size() && s[pos] == ':') {
      ++pos;
      if (!read_digits(s, pos, 2, second)) return std::nullopt;
    }
    if (hour > 23 || minute > 59 || second > 59) return std::nullopt;
    int64_t fraction_us = 0;
    if (pos < s.size() && (s[pos] == '.' || s[pos] == ',')) {
      ++pos;
      int digits = 0;
      int64_t scale = 100000;
      while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
        if (digits < 6) fraction_us += (s[pos] - '0') * scale;
        scale /= 10;
        ++digits;
        ++pos;
      }
      if (digits == 0 || digits > 9) return std::nullopt;
    }
    micros_of_day = ((hour * 60LL + minute) * 60LL + second) * 1000000LL + fraction_us;
    if (pos < s.size()) {
      char sign = s[pos++];
      if (sign == 'Z' || sign == 'z') {
        if (pos != s.size()) return std::nullopt;
      } else if (sign == '+' || sign == '-') {
        int oh = 0, om = 0;
        if (!read_digits(s, pos, 2, oh)) return std::nullopt;
        if (pos < s.size()) {
          if (s[pos] == ':') ++pos;
          if (!read_digits(s, pos, 2, om)) return std::nullopt;
        }
        if (pos != s.size() || oh > 23 || om > 59) return std::nullopt;
        offset_seconds = (oh * 60LL + om) * 60LL * (sign == '-' ? -1 : 1);
      } else {
        return std::nullopt;
      }
    }
  }
  const int64_t days = days_from_civil(year, static_cast<unsigned>(month), static_cast<unsigned>(day));
  return days * 86400000000LL + micros_of_day - offset_seconds * 1000000LL;
}

}  // namespace anvil::rag
