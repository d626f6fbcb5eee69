#include "anvil/rag/loaders/timestamp.h"

#include <chrono>
#include <cmath>

#include <fmt/format.h>

namespace anvil::rag::loaders {
namespace {

// A cursor over the text with the few primitives the formats need.
struct Scanner {
  std::string_view s;
  size_t i = 0;

  bool done() const { return i >= s.size(); }
  bool eat(std::string_view lit) {
    if (s.substr(i).starts_with(lit)) {
      i += lit.size();
      return true;
    }
    return false;
  }
  // Reads between min and max digits.
  bool number(int min, int max, int& out) {
    int n = 0;
    int v = 0;
    while (i < s.size() && n < max && s[i] >= '0' && s[i] <= '9') {
      v = v * 10 + (s[i] - '0');
      ++i;
      ++n;
    }
    out = v;
    return n >= min;
  }
};

std::optional<int64_t> to_unix(int y, int mo, int d, int h, int mi, int sec, int offset_minutes) {
  using namespace std::chrono;
  if (y < 1000 || y > 9999 || h > 23 || mi > 59 || sec > 60) return std::nullopt;
  const year_month_day ymd{year{y}, month{static_cast<unsigned>(mo)}, day{static_cast<unsigned>(d)}};
  if (!ymd.ok()) return std::nullopt;
  const int64_t days = sys_days(ymd).time_since_epoch().count();
  return days * 86400 + h * 3600 + mi * 60 + std::min(sec, 59) - int64_t{offset_minutes} * 60;
}

// HH:MM[:SS[.fraction]] at the scanner.
bool parse_time(Scanner& sc, int& h, int& mi, int& sec) {
  if (!sc.number(1, 2, h) || !sc.eat(":") || !sc.number(2, 2, mi)) return false;
  sec = 0;
  if (sc.eat(":")) {
    if (!sc.number(2, 2, sec)) return false;
    if (sc.eat(".") || sc.eat(",")) {
      int frac = 0;
      if (!sc.number(1, 9, frac)) return false;
    }
  }
  return true;
}

// Z, +HH:MM, +HHMM, +HH, or nothing (UTC).
bool parse_zone(Scanner& sc, int& offset_minutes) {
  offset_minutes = 0;
  if (sc.done()) return true;
  if (sc.eat("Z") || sc.eat("z")) return sc.done();
  int sign = 0;
  if (sc.eat("+")) sign = 1;
  else if (sc.eat("-")) sign = -1;
  else return false;
  int hh = 0;
  int mm = 0;
  if (!sc.number(2, 2, hh)) return false;
  if (sc.eat(":")) {
    if (!sc.number(2, 2, mm)) return false;
  } else if (!sc.done() && !sc.number(2, 2, mm)) {
    return false;
  }
  if (hh > 23 || mm > 59) return false;
  offset_minutes = sign * (hh * 60 + mm);
  return sc.done();
}

}  // namespace

std::string format_iso8601(int64_t t) {
  using namespace std::chrono;
  const sys_seconds tp{seconds{t}};
  const sys_days dp = floor<days>(tp);
  const year_month_day ymd{dp};
  const hh_mm_ss<seconds> hms{tp - dp};
  return fmt::format("{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z", static_cast<int>(ymd.year()),
                     static_cast<unsigned>(ymd.month()), static_cast<unsigned>(ymd.day()), hms.hours().count(),
                     hms.minutes().count(), hms.seconds().count());
}

std::optional<std::string> parse_timestamp(std::string_view text) {
  while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
  while (!text.empty() && (text.back() == ' ' || text.back() == '\t')) text.remove_suffix(1);
  Scanner sc{text};
  int y = 0;
  int mo = 0;
  int d = 0;
  int h = 0;
  int mi = 0;
  int sec = 0;
  int offset = 0;
  if (!sc.number(4, 4, y)) return std::nullopt;
  if (sc.eat("年")) {
    if (!sc.number(1, 2, mo) || !sc.eat("月") || !sc.number(1, 2, d)) return std::nullopt;
    sc.eat("日");
    if (!sc.done()) {
      while (sc.eat(" ")) continue;
      if (!parse_time(sc, h, mi, sec) || !sc.done()) return std::nullopt;
    }
  } else {
    std::string_view sep;
    if (sc.eat("-")) sep = "-";
    else if (sc.eat("/")) sep = "/";
    else return std::nullopt;
    if (!sc.number(1, 2, mo) || !sc.eat(sep) || !sc.number(1, 2, d)) return std::nullopt;
    if (!sc.done()) {
      if (!sc.eat("T") && !sc.eat("t") && !sc.eat(" ")) return std::nullopt;
      if (!parse_time(sc, h, mi, sec) || !parse_zone(sc, offset)) return std::nullopt;
    }
  }
  const auto t = to_unix(y, mo, d, h, mi, sec, offset);
  if (!t) return std::nullopt;
  return format_iso8601(*t);
}

std::optional<std::string> timestamp_from_unix(double value) {
  if (!std::isfinite(value) || value < 0) return std::nullopt;
  if (value >= 1e11) value /= 1000.0;      // milliseconds
  if (value >= 253402300800.0) return std::nullopt;  // after 9999-12-31
  return format_iso8601(static_cast<int64_t>(value));
}

std::optional<std::string> timestamp_from_json(const boost::json::value& v) {
  if (v.is_string()) return parse_timestamp(v.get_string());
  if (v.is_int64()) return timestamp_from_unix(static_cast<double>(v.get_int64()));
  if (v.is_uint64()) return timestamp_from_unix(static_cast<double>(v.get_uint64()));
  if (v.is_double()) return timestamp_from_unix(v.get_double());
  return std::nullopt;
}

}  // namespace anvil::rag::loaders
