#include "anvil/core/clock.h"

#include <fmt/format.h>

#include <cctype>

namespace anvil::core {
namespace {

using std::chrono::days;
using std::chrono::sys_days;

// Reads exactly `n` ASCII digits; the cursor only advances on success.
class Cursor {
 public:
  explicit Cursor(std::string_view s) : s_(s) {}

  bool digits(int n, int& out) {
    if (pos_ + static_cast<std::size_t>(n) > s_.size()) return false;
    int v = 0;
    for (int i = 0; i < n; ++i) {
      char c = s_[pos_ + static_cast<std::size_t>(i)];
      if (c < '0' || c > '9') return false;
      v = v * 10 + (c - '0');
    }
    out = v;
    pos_ += static_cast<std::size_t>(n);
    return true;
  }
  bool consume(char c) {
    if (pos_ < s_.size() && s_[pos_] == c) {
      ++pos_;
      return true;
    }
    return false;
  }
  bool at_end() const { return pos_ >= s_.size(); }
  char peek() const { return at_end() ? '\0' : s_[pos_]; }
  void advance() { ++pos_; }
  std::string_view rest() const { return s_.substr(pos_); }

 private:
  std::string_view s_;
  std::size_t pos_ = 0;
};

std::string quoted(std::string_view text) {
  constexpr std::size_t kMaxShown = 80;
  if (text.size() <= kMaxShown) return fmt::format("'{}'", text);
  return fmt::format("'{}...'", text.substr(0, kMaxShown));
}

Status bad(std::string_view text, std::string_view reason) {
  return Status::invalid_argument(fmt::format("invalid timestamp {}: {}", quoted(text), reason));
}

std::int64_t days_since_epoch(int y, unsigned m, unsigned d) {
  auto ymd = std::chrono::year{y} / std::chrono::month{m} / std::chrono::day{d};
  return sys_days{ymd}.time_since_epoch().count();
}

struct Civil {
  int year;
  unsigned month, day, hour, minute, second;
};

Civil to_civil(std::int64_t unix_seconds) {
  // Floor division so that instants before 1970 land on the right day.
  std::int64_t day = unix_seconds / 86400;
  std::int64_t sec = unix_seconds % 86400;
  if (sec < 0) {
    sec += 86400;
    --day;
  }
  std::chrono::year_month_day ymd{sys_days{days{day}}};
  return {static_cast<int>(ymd.year()), static_cast<unsigned>(ymd.month()),
          static_cast<unsigned>(ymd.day()), static_cast<unsigned>(sec / 3600),
          static_cast<unsigned>(sec % 3600 / 60), static_cast<unsigned>(sec % 60)};
}

// Parses "Z" or "+HH[:MM]" / "-HH[MM]" into minutes east of UTC.
Result<int> parse_offset(Cursor& c, std::string_view text) {
  if (c.consume('Z') || c.consume('z')) return 0;
  int sign = 0;
  if (c.consume('+')) {
    sign = 1;
  } else if (c.consume('-')) {
    sign = -1;
  } else {
    return bad(text, "expected 'Z' or a UTC offset like '+08:00' after the time");
  }
  int hh = 0;
  int mm = 0;
  if (!c.digits(2, hh)) return bad(text, "expected a UTC offset like '+08:00'");
  if (c.consume(':')) {
    if (!c.digits(2, mm)) return bad(text, "expected a UTC offset like '+08:00'");
  } else if (!c.at_end()) {
    if (!c.digits(2, mm)) return bad(text, "expected a UTC offset like '+08:00'");
  }
  if (hh > 23) return bad(text, fmt::format("UTC offset hour {:02} is out of range (00-23)", hh));
  if (mm > 59) return bad(text, fmt::format("UTC offset minute {:02} is out of range (00-59)", mm));
  return sign * (hh * 60 + mm);
}

}  // namespace

Result<std::int64_t> parse_timestamp_micros(std::string_view text,
                                            std::optional<int> assumed_offset_minutes) {
  constexpr std::int64_t kMicros = 1000000;
  Cursor c(text);
  int year = 0;
  int month = 0;
  int day = 0;
  if (!(c.digits(4, year) && c.consume('-') && c.digits(2, month) && c.consume('-') &&
        c.digits(2, day))) {
    return bad(text, "expected a date YYYY-MM-DD, optionally followed by a time like T08:00:00Z");
  }
  if (month < 1 || month > 12) {
    return bad(text, fmt::format("month {:02} is out of range (01-12)", month));
  }
  auto last = std::chrono::year_month_day_last{std::chrono::year{year} / std::chrono::month{
                                                   static_cast<unsigned>(month)} /
                                               std::chrono::last};
  unsigned last_day = static_cast<unsigned>(last.day());
  if (day < 1 || static_cast<unsigned>(day) > last_day) {
    return bad(text, fmt::format("day {:02} is out of range for {:04}-{:02} (01-{:02})", day, year,
                                 month, last_day));
  }
  std::int64_t seconds =
      days_since_epoch(year, static_cast<unsigned>(month), static_cast<unsigned>(day)) * 86400;

  if (c.at_end()) {
    return (seconds - static_cast<std::int64_t>(assumed_offset_minutes.value_or(0)) * 60) * kMicros;
  }
  if (!(c.consume('T') || c.consume('t') || c.consume(' '))) {
    return bad(text, fmt::format("unexpected '{}' after the date (expected 'T' and a time)",
                                 c.rest()));
  }
  int hour = 0;
  int minute = 0;
  int second = 0;
  std::int64_t fraction_micros = 0;
  if (!(c.digits(2, hour) && c.consume(':') && c.digits(2, minute))) {
    return bad(text, "expected a time HH:MM or HH:MM:SS after the date");
  }
  if (c.consume(':')) {
    if (!c.digits(2, second)) return bad(text, "expected two digits of seconds after HH:MM:");
    if (c.consume('.') || c.consume(',')) {
      if (!std::isdigit(static_cast<unsigned char>(c.peek()))) {
        return bad(text, "expected digits after the decimal point of the seconds");
      }
      // Digits beyond the sixth are below Anvil's microsecond resolution: dropped.
      std::int64_t scale = kMicros / 10;
      while (std::isdigit(static_cast<unsigned char>(c.peek()))) {
        fraction_micros += (c.peek() - '0') * scale;
        scale /= 10;
        c.advance();
      }
    }
  }
  if (hour > 23) return bad(text, fmt::format("hour {:02} is out of range (00-23)", hour));
  if (minute > 59) return bad(text, fmt::format("minute {:02} is out of range (00-59)", minute));
  if (second > 59) return bad(text, fmt::format("second {:02} is out of range (00-59)", second));
  seconds += hour * 3600 + minute * 60 + second;

  int offset = 0;
  if (c.at_end()) {
    if (!assumed_offset_minutes) {
      return bad(text, "missing UTC offset (add 'Z' for UTC or an offset like '+08:00')");
    }
    offset = *assumed_offset_minutes;
  } else {
    ANVIL_ASSIGN_OR_RETURN(offset, parse_offset(c, text));
    if (!c.at_end()) {
      return bad(text, fmt::format("unexpected '{}' after the UTC offset", c.rest()));
    }
  }
  return (seconds - static_cast<std::int64_t>(offset) * 60) * kMicros + fraction_micros;
}

Result<std::int64_t> parse_timestamp(std::string_view text,
                                     std::optional<int> assumed_offset_minutes) {
  ANVIL_ASSIGN_OR_RETURN(std::int64_t micros, parse_timestamp_micros(text, assumed_offset_minutes));
  // Floor, so that 1969-12-31T23:59:59.5Z is second -1, not 0.
  return micros >= 0 ? micros / 1000000 : -((-micros + 999999) / 1000000);
}

std::string format_timestamp(std::int64_t unix_seconds) {
  Civil t = to_civil(unix_seconds);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", t.year, t.month, t.day, t.hour,
                     t.minute, t.second);
}

std::string format_timestamp(std::int64_t unix_seconds, int offset_minutes) {
  if (offset_minutes == 0) return format_timestamp(unix_seconds);
  Civil t = to_civil(unix_seconds + static_cast<std::int64_t>(offset_minutes) * 60);
  int magnitude = offset_minutes < 0 ? -offset_minutes : offset_minutes;
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}{}{:02}:{:02}", t.year, t.month, t.day,
                     t.hour, t.minute, t.second, offset_minutes < 0 ? '-' : '+', magnitude / 60,
                     magnitude % 60);
}

std::string format_timestamp_micros(std::int64_t unix_micros) {
  std::int64_t seconds = unix_micros >= 0 ? unix_micros / 1000000 : -((-unix_micros + 999999) / 1000000);
  std::int64_t fraction = unix_micros - seconds * 1000000;
  std::string out = format_timestamp(seconds);
  if (fraction != 0) {
    out.pop_back();  // 'Z'
    out += fmt::format(".{:06}Z", fraction);
  }
  return out;
}

std::string format_date(std::int64_t unix_seconds) {
  Civil t = to_civil(unix_seconds);
  return fmt::format("{:04}-{:02}-{:02}", t.year, t.month, t.day);
}

std::string format_timestamp_millis(std::chrono::system_clock::time_point time) {
  auto ms = std::chrono::floor<std::chrono::milliseconds>(time.time_since_epoch()).count();
  std::int64_t seconds = ms / 1000;
  std::int64_t millis = ms % 1000;
  if (millis < 0) {
    millis += 1000;
    --seconds;
  }
  Civil t = to_civil(seconds);
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z", t.year, t.month, t.day, t.hour,
                     t.minute, t.second, millis);
}

std::int64_t unix_now() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

}  // namespace anvil::core
