#include "anvil/text/jinja/pystr.h"

#include <unicode/locid.h>
#include <unicode/uchar.h>
#include <unicode/unistr.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "anvil/text/utf8.h"

namespace anvil::text::jinja::py {

std::string float_repr(double d) {
  if (std::isnan(d)) return "nan";
  if (std::isinf(d)) return d < 0 ? "-inf" : "inf";
  // Shortest round-trip digits, as "-1.2345e+17".
  char buf[64];
  auto res = std::to_chars(buf, buf + sizeof buf, d, std::chars_format::scientific);
  std::string_view sci(buf, static_cast<size_t>(res.ptr - buf));
  std::string out;
  if (sci.front() == '-') {
    out += '-';
    sci.remove_prefix(1);
  }
  const size_t e = sci.find('e');
  std::string digits;
  for (char c : sci.substr(0, e)) {
    if (c != '.') digits += c;
  }
  const int exp10 = std::atoi(std::string(sci.substr(e + 1)).c_str());
  while (digits.size() > 1 && digits.back() == '0') digits.pop_back();
  if (exp10 >= -4 && exp10 < 16) {
    if (exp10 < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exp10 - 1), '0');
      out += digits;
    } else {
      const size_t int_digits = static_cast<size_t>(exp10) + 1;
      if (digits.size() <= int_digits) {
        out += digits;
        out.append(int_digits - digits.size(), '0');
        out += ".0";
      } else {
        out += digits.substr(0, int_digits);
        out += '.';
        out += digits.substr(int_digits);
      }
    }
    return out;
  }
  out += digits[0];
  if (digits.size() > 1) {
    out += '.';
    out += digits.substr(1);
  }
  out += exp10 < 0 ? "e-" : "e+";
  const int mag = std::abs(exp10);
  if (mag < 10) out += '0';
  out += std::to_string(mag);
  return out;
}

std::string string_repr(std::string_view s) {
  const bool has_single = s.find('\'') != std::string_view::npos;
  const bool has_double = s.find('"') != std::string_view::npos;
  const char quote = has_single && !has_double ? '"' : '\'';
  std::string out(1, quote);
  static const char* kHex = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    const size_t start = i;
    const char32_t cp = decode_utf8(s, i);
    if (cp == '\\' || cp == static_cast<char32_t>(quote)) {
      out += '\\';
      out += static_cast<char>(cp);
    } else if (cp == '\n') {
      out += "\\n";
    } else if (cp == '\r') {
      out += "\\r";
    } else if (cp == '\t') {
      out += "\\t";
    } else if (cp < 0x20 || (cp >= 0x7f && cp < 0xa0)) {
      out += "\\x";
      out += kHex[cp >> 4];
      out += kHex[cp & 15];
    } else {
      out.append(s.substr(start, i - start));
    }
  }
  out += quote;
  return out;
}

bool is_space(char32_t cp) {
  if (cp <= 0x20) return cp == ' ' || (cp >= 0x09 && cp <= 0x0d) || (cp >= 0x1c && cp <= 0x1f);
  if (cp < 0x85) return false;
  return cp == 0x85 || cp == 0xa0 || cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200a) ||
         cp == 0x2028 || cp == 0x2029 || cp == 0x202f || cp == 0x205f || cp == 0x3000;
}

namespace {

// Code points with their byte spans: [begin, end).
struct Span {
  char32_t cp;
  size_t begin, end;
};

std::vector<Span> spans(std::string_view s) {
  std::vector<Span> out;
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    const char32_t cp = decode_utf8(s, i);
    out.push_back({cp, b, i});
  }
  return out;
}

bool in_chars(char32_t cp, std::string_view chars) {
  for (size_t i = 0; i < chars.size();) {
    if (decode_utf8(chars, i) == cp) return true;
  }
  return false;
}

}  // namespace

std::string strip(std::string_view s, std::optional<std::string_view> chars, bool left, bool right) {
  auto strippable = [&](char32_t cp) { return chars ? in_chars(cp, *chars) : is_space(cp); };
  const std::vector<Span> sp = spans(s);
  size_t b = 0, e = sp.size();
  if (left) {
    while (b < e && strippable(sp[b].cp)) ++b;
  }
  if (right) {
    while (e > b && strippable(sp[e - 1].cp)) --e;
  }
  if (b == e) return {};
  return std::string(s.substr(sp[b].begin, sp[e - 1].end - sp[b].begin));
}

std::vector<std::string> split(std::string_view s, std::optional<std::string_view> sep,
                               int64_t maxsplit) {
  std::vector<std::string> out;
  if (sep) {
    size_t pos = 0;
    for (;;) {
      const size_t hit = maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit
                             ? std::string_view::npos
                             : s.find(*sep, pos);
      if (hit == std::string_view::npos) {
        out.emplace_back(s.substr(pos));
        return out;
      }
      out.emplace_back(s.substr(pos, hit - pos));
      pos = hit + sep->size();
    }
  }
  const std::vector<Span> sp = spans(s);
  size_t i = 0;
  while (i < sp.size()) {
    while (i < sp.size() && is_space(sp[i].cp)) ++i;
    if (i == sp.size()) break;
    if (maxsplit >= 0 && static_cast<int64_t>(out.size()) >= maxsplit) {
      out.emplace_back(s.substr(sp[i].begin));  // the rest, trailing whitespace kept as Python does
      break;
    }
    const size_t b = i;
    while (i < sp.size() && !is_space(sp[i].cp)) ++i;
    out.emplace_back(s.substr(sp[b].begin, sp[i - 1].end - sp[b].begin));
  }
  return out;
}

std::vector<std::string> splitlines(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  const std::vector<Span> sp = spans(s);
  for (size_t i = 0; i < sp.size(); ++i) {
    const char32_t cp = sp[i].cp;
    const bool boundary = cp == '\n' || cp == '\r' || cp == 0x0b || cp == 0x0c ||
                          (cp >= 0x1c && cp <= 0x1e) || cp == 0x85 || cp == 0x2028 || cp == 0x2029;
    if (!boundary) {
      cur.append(s.substr(sp[i].begin, sp[i].end - sp[i].begin));
      continue;
    }
    if (cp == '\r' && i + 1 < sp.size() && sp[i + 1].cp == '\n') ++i;
    out.push_back(std::move(cur));
    cur.clear();
  }
  if (!cur.empty()) out.push_back(std::move(cur));
  return out;
}

namespace {

std::string icu_case(std::string_view s, bool to_upper) {
  icu::UnicodeString u = icu::UnicodeString::fromUTF8(icu::StringPiece(s.data(), static_cast<int32_t>(s.size())));
  if (to_upper) {
    u.toUpper(icu::Locale::getRoot());
  } else {
    u.toLower(icu::Locale::getRoot());
  }
  std::string out;
  u.toUTF8String(out);
  return out;
}

bool is_cased(char32_t cp) {
  return u_isUUppercase(static_cast<UChar32>(cp)) || u_isULowercase(static_cast<UChar32>(cp)) ||
         u_istitle(static_cast<UChar32>(cp));
}

}  // namespace

std::string upper(std::string_view s) { return icu_case(s, true); }
std::string lower(std::string_view s) { return icu_case(s, false); }

std::string capitalize(std::string_view s) {
  if (s.empty()) return {};
  size_t i = 0;
  decode_utf8(s, i);
  return upper(s.substr(0, i)) + lower(s.substr(i));
}

std::string title(std::string_view s) {
  std::string out;
  bool previous_cased = false;
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    const char32_t cp = decode_utf8(s, i);
    const std::string_view one = s.substr(b, i - b);
    out += previous_cased ? lower(one) : upper(one);
    previous_cased = is_cased(cp);
  }
  return out;
}

bool is_upper(std::string_view s) {
  bool cased = false;
  for (size_t i = 0; i < s.size();) {
    const auto cp = static_cast<UChar32>(decode_utf8(s, i));
    if (u_isULowercase(cp) || u_istitle(cp)) return false;
    if (u_isUUppercase(cp)) cased = true;
  }
  return cased;
}

bool is_lower(std::string_view s) {
  bool cased = false;
  for (size_t i = 0; i < s.size();) {
    const auto cp = static_cast<UChar32>(decode_utf8(s, i));
    if (u_isUUppercase(cp) || u_istitle(cp)) return false;
    if (u_isULowercase(cp)) cased = true;
  }
  return cased;
}

std::vector<std::string> chars(std::string_view s) {
  std::vector<std::string> out;
  for (size_t i = 0; i < s.size();) {
    const size_t b = i;
    decode_utf8(s, i);
    out.emplace_back(s.substr(b, i - b));
  }
  return out;
}

size_t length(std::string_view s) { return count_code_points(s); }

}  // namespace anvil::text::jinja::py
