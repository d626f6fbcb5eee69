#include "anvil/text/python_literal.h"

#include <algorithm>
#include <charconv>
#include <cstdlib>
#include <string>

#include "anvil/text/utf8.h"

namespace anvil::text {

const PyValue* PyValue::find(std::string_view key) const {
  for (const auto& [k, v] : items) {
    if (k == key) return &v;
  }
  return nullptr;
}

namespace {

// Nesting deeper than this is not jieba's format; the limit keeps recursion bounded.
constexpr int kMaxDepth = 16;

class Parser {
 public:
  Parser(std::string_view src, size_t pos, std::string_view origin)
      : src_(src), pos_(pos), origin_(origin) {}

  core::Result<PyValue> value(int depth) {
    skip_space();
    if (depth > kMaxDepth) return error("nesting deeper than 16 levels");
    if (pos_ >= src_.size()) return error("expected a value, found the end of the file");
    char c = src_[pos_];
    if (c == '{') return dict(depth);
    if (c == '\'' || c == '"') {
      ANVIL_ASSIGN_OR_RETURN(std::string s, string());
      PyValue v;
      v.kind = PyValue::Kind::kString;
      v.text = std::move(s);
      return v;
    }
    if (c == '-' || c == '+' || c == '.' || (c >= '0' && c <= '9')) return number();
    return error("expected a dict, string or number, found " + describe());
  }

 private:
  core::Result<PyValue> dict(int depth) {
    ++pos_;  // '{'
    PyValue v;
    v.kind = PyValue::Kind::kDict;
    for (;;) {
      skip_space();
      if (peek() == '}') {
        ++pos_;
        return v;
      }
      if (peek() != '\'' && peek() != '"') return error("expected a string dict key, found " + describe());
      ANVIL_ASSIGN_OR_RETURN(std::string key, string());
      skip_space();
      if (peek() != ':') return error("expected ':' after dict key, found " + describe());
      ++pos_;
      ANVIL_ASSIGN_OR_RETURN(PyValue item, value(depth + 1));
      v.items.emplace_back(std::move(key), std::move(item));
      skip_space();
      if (peek() == ',') {
        ++pos_;
      } else if (peek() != '}') {
        return error("expected ',' or '}' in dict, found " + describe());
      }
    }
  }

  core::Result<std::string> string() {
    const char quote = src_[pos_++];
    std::string out;
    while (pos_ < src_.size() && src_[pos_] != quote) {
      char c = src_[pos_];
      if (c == '\n') return error("unterminated string");
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= src_.size()) break;
      char e = src_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '\\': out.push_back('\\'); break;
        case '\'': out.push_back('\''); break;
        case '"': out.push_back('"'); break;
        case 'n': out.push_back('\n'); break;
        case 't': out.push_back('\t'); break;
        case 'r': out.push_back('\r'); break;
        case 'x':
        case 'u':
        case 'U': {
          const size_t digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          if (pos_ + digits > src_.size()) return error("truncated \\" + std::string(1, e) + " escape");
          auto [end, ec] = std::from_chars(src_.data() + pos_, src_.data() + pos_ + digits, cp, 16);
          if (ec != std::errc() || end != src_.data() + pos_ + digits) {
            return error("expected " + std::to_string(digits) + " hex digits after \\" + std::string(1, e));
          }
          if (cp > 0x10FFFF) return error("escape names U+" + std::string(src_.substr(pos_, digits)) +
                                          ", beyond U+10FFFF");
          append_utf8(out, static_cast<char32_t>(cp));
          pos_ += digits;
          break;
        }
        default:
          return error(std::string("unsupported string escape \\") + e);
      }
    }
    if (pos_ >= src_.size()) return error("unterminated string");
    ++pos_;  // closing quote
    return out;
  }

  core::Result<PyValue> number() {
    const size_t start = pos_;
    while (pos_ < src_.size() && std::string_view("+-.0123456789eE_").find(src_[pos_]) != std::string_view::npos) {
      ++pos_;
    }
    std::string digits(src_.substr(start, pos_ - start));
    digits.erase(std::remove(digits.begin(), digits.end(), '_'), digits.end());
    char* end = nullptr;
    // strtod reads Python's shortest round-trip repr back to the same double.
    double d = std::strtod(digits.c_str(), &end);
    if (digits.empty() || end != digits.c_str() + digits.size()) {
      pos_ = start;
      return error("expected a number, found '" + digits + "'");
    }
    PyValue v;
    v.number = d;
    return v;
  }

  void skip_space() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
        ++pos_;
      } else if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') ++pos_;
      } else if (c == '\\' && pos_ + 1 < src_.size() && src_[pos_ + 1] == '\n') {
        pos_ += 2;  // explicit line continuation
      } else {
        break;
      }
    }
  }

  char peek() const { return pos_ < src_.size() ? src_[pos_] : '\0'; }

  std::string describe() const {
    if (pos_ >= src_.size()) return "the end of the file";
    return "'" + std::string(src_.substr(pos_, 1)) + "'";
  }

  core::Status error(std::string what) const {
    const size_t line = 1 + std::count(src_.begin(), src_.begin() + std::min(pos_, src_.size()), '\n');
    return core::Status::corrupt(std::string(origin_) + ":" + std::to_string(line) + ": " + what);
  }

  std::string_view src_;
  size_t pos_;
  std::string_view origin_;
};

bool is_identifier_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

}  // namespace

core::Result<PyValue> parse_python_assignment(std::string_view source, std::string_view name,
                                              std::string_view origin) {
  // Find a line "name = ..." (at column 0, as a module-level assignment is).
  size_t line_start = 0;
  while (line_start < source.size()) {
    size_t line_end = source.find('\n', line_start);
    if (line_end == std::string_view::npos) line_end = source.size();
    std::string_view line = source.substr(line_start, line_end - line_start);
    if (line.substr(0, name.size()) == name &&
        (line.size() == name.size() || !is_identifier_char(line[name.size()]))) {
      size_t p = name.size();
      while (p < line.size() && (line[p] == ' ' || line[p] == '\t')) ++p;
      if (p < line.size() && line[p] == '=' && (p + 1 >= line.size() || line[p + 1] != '=')) {
        Parser parser(source, line_start + p + 1, origin);
        return parser.value(0);
      }
    }
    line_start = line_end + 1;
  }
  return core::Status::corrupt(std::string(origin) + ": expected an assignment '" + std::string(name) +
                               "=...' at the start of a line, found none");
}

}  // namespace anvil::text
