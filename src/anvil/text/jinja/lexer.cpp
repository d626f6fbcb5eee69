#include "anvil/text/jinja/lexer.h"

#include <array>
#include <cerrno>
#include <cstdlib>

#include "anvil/text/jinja/pystr.h"
#include "anvil/text/utf8.h"

namespace anvil::text::jinja {

std::string normalize_newlines(std::string_view source, bool keep_trailing_newline) {
  std::string out;
  out.reserve(source.size());
  for (size_t i = 0; i < source.size(); ++i) {
    if (source[i] == '\r') {
      out += '\n';
      if (i + 1 < source.size() && source[i + 1] == '\n') ++i;
    } else {
      out += source[i];
    }
  }
  if (!keep_trailing_newline && !out.empty() && out.back() == '\n') out.pop_back();
  return out;
}

std::string describe_location(std::string_view source, size_t offset) {
  offset = std::min(offset, source.size());
  size_t line = 1, line_start = 0;
  for (size_t i = 0; i < offset; ++i) {
    if (source[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  const size_t column = count_code_points(source.substr(line_start, offset - line_start)) + 1;
  return "line " + std::to_string(line) + ", column " + std::to_string(column);
}

namespace {

bool is_ascii_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f'; }
bool is_digit(char c) { return c >= '0' && c <= '9'; }
bool is_name_start(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool is_name_char(char c) { return is_name_start(c) || is_digit(c); }

// Python's str.isspace() over UTF-8: Jinja's \s in its regexes matches these.
size_t skip_space(std::string_view s, size_t pos) {
  while (pos < s.size()) {
    size_t next = pos;
    if (!py::is_space(decode_utf8(s, next))) break;
    pos = next;
  }
  return pos;
}

// Length of the trailing whitespace of `text`.
size_t trailing_space(std::string_view text) { return text.size() - py::strip(text, std::nullopt, false, true).size(); }

class Lexer {
 public:
  Lexer(std::string_view src, const LexOptions& options) : s_(src), opt_(options) {}

  core::Result<std::vector<Token>> run() {
    bool line_starting = true;
    while (pos_ < s_.size()) {
      const size_t tag = find_tag(pos_);
      if (tag == std::string_view::npos) {
        emit_text(s_.substr(pos_), pos_);
        pos_ = s_.size();
        break;
      }
      const char kind = s_[tag + 1];
      const char sign = tag + 2 < s_.size() && (s_[tag + 2] == '-' || s_[tag + 2] == '+') ? s_[tag + 2] : 0;
      std::string_view text = s_.substr(pos_, tag - pos_);
      if (sign == '-') {
        text.remove_suffix(trailing_space(text));
      } else if (sign != '+' && opt_.lstrip_blocks && kind != '{') {
        const size_t nl = text.rfind('\n');
        const size_t l_pos = nl == std::string_view::npos ? 0 : nl + 1;
        if ((l_pos > 0 || line_starting) && l_pos < text.size() && trailing_space(text.substr(l_pos)) == text.size() - l_pos) {
          text = text.substr(0, l_pos);
        }
      }
      emit_text(text, pos_);
      pos_ = tag + 2 + (sign ? 1 : 0);
      core::Status st;
      if (kind == '#') {
        st = comment(tag);
      } else if (kind == '%' && is_raw(pos_)) {
        st = raw(tag);
      } else {
        push(kind == '%' ? TokenKind::kBlockBegin : TokenKind::kVariableBegin, tag);
        st = tag_body(kind == '%');
      }
      if (!st.ok()) return st;
      line_starting = pos_ > 0 && s_[pos_ - 1] == '\n';
    }
    push(TokenKind::kEnd, s_.size());
    return std::move(tokens_);
  }

 private:
  size_t find_tag(size_t from) const {
    for (size_t i = s_.find('{', from); i != std::string_view::npos; i = s_.find('{', i + 1)) {
      if (i + 1 < s_.size() && (s_[i + 1] == '{' || s_[i + 1] == '%' || s_[i + 1] == '#')) return i;
    }
    return std::string_view::npos;
  }

  void emit_text(std::string_view text, size_t offset) {
    if (text.empty()) return;
    Token t;
    t.kind = TokenKind::kText;
    t.text = std::string(text);
    t.offset = offset;
    tokens_.push_back(std::move(t));
  }

  void push(TokenKind kind, size_t offset, std::string text = {}) {
    Token t;
    t.kind = kind;
    t.offset = offset;
    t.text = std::move(text);
    tokens_.push_back(std::move(t));
  }

  core::Status error(size_t offset, const std::string& message) const {
    return core::Status::invalid_argument(describe_location(s_, offset) + ": " + message);
  }

  // After a block or comment end: "-" eats all following whitespace, "+" nothing, and a plain end
  // one newline when trim_blocks is on.
  void after_end(char sign, bool trims) {
    if (sign == '-') {
      pos_ = skip_space(s_, pos_);
    } else if (sign == 0 && trims && opt_.trim_blocks && pos_ < s_.size() && s_[pos_] == '\n') {
      ++pos_;
    }
  }

  core::Status comment(size_t start) {
    const size_t end = s_.find("#}", pos_);
    if (end == std::string_view::npos) return error(start, "missing end of comment tag");
    const char sign = end > pos_ && (s_[end - 1] == '-' || s_[end - 1] == '+') ? s_[end - 1] : 0;
    pos_ = end + 2;
    after_end(sign, true);
    return core::Status::ok_status();
  }

  // {% raw %}...{% endraw %}: the text in between is data, tags and all.
  bool is_raw(size_t p) const {
    p = skip_space(s_, p);
    if (s_.compare(p, 3, "raw") != 0 || (p + 3 < s_.size() && is_name_char(s_[p + 3]))) return false;
    p = skip_space(s_, p + 3);
    if (p < s_.size() && s_[p] == '-') ++p;
    return s_.compare(p, 2, "%}") == 0;
  }

  core::Status raw(size_t start) {
    size_t p = skip_space(s_, pos_) + 3;
    p = skip_space(s_, p);
    const bool strip_after_open = s_[p] == '-';
    pos_ = p + (strip_after_open ? 1 : 0) + 2;
    if (strip_after_open) pos_ = skip_space(s_, pos_);
    for (size_t i = find_tag(pos_); i != std::string_view::npos; i = find_tag(i + 1)) {
      if (s_[i + 1] != '%') continue;
      size_t q = i + 2;
      const char open_sign = q < s_.size() && (s_[q] == '-' || s_[q] == '+') ? s_[q] : 0;
      if (open_sign) ++q;
      q = skip_space(s_, q);
      if (s_.compare(q, 6, "endraw") != 0) continue;
      q = skip_space(s_, q + 6);
      const char close_sign = q < s_.size() && (s_[q] == '-' || s_[q] == '+') ? s_[q] : 0;
      if (close_sign) ++q;
      if (s_.compare(q, 2, "%}") != 0) continue;
      std::string_view text = s_.substr(pos_, i - pos_);
      if (open_sign == '-') text.remove_suffix(trailing_space(text));
      emit_text(text, pos_);
      pos_ = q + 2;
      after_end(close_sign, true);
      return core::Status::ok_status();
    }
    return error(start, "missing {% endraw %} for {% raw %}");
  }

  // Tokens up to the closing %} or }} (not counted while brackets are open, as in Jinja2).
  core::Status tag_body(bool block) {
    const size_t start = tokens_.back().offset;
    std::vector<char> brackets;
    for (;;) {
      if (pos_ >= s_.size()) {
        return error(start, block ? "missing '%}' to close this block tag" : "missing '}}' to close this expression");
      }
      if (brackets.empty()) {
        const std::string_view end = block ? "%}" : "}}";
        const char sign = s_[pos_] == '-' || (block && s_[pos_] == '+') ? s_[pos_] : 0;
        if (s_.compare(pos_ + (sign ? 1 : 0), 2, end) == 0) {
          push(block ? TokenKind::kBlockEnd : TokenKind::kVariableEnd, pos_);
          pos_ += (sign ? 1 : 0) + 2;
          after_end(sign, block);
          return core::Status::ok_status();
        }
      }
      const char c = s_[pos_];
      if (is_ascii_space(c)) {
        ++pos_;
      } else if (is_digit(c)) {
        number();
      } else if (is_name_start(c)) {
        const size_t b = pos_;
        while (pos_ < s_.size() && is_name_char(s_[pos_])) ++pos_;
        push(TokenKind::kName, b, std::string(s_.substr(b, pos_ - b)));
      } else if (c == '\'' || c == '"') {
        ANVIL_RETURN_IF_ERROR(string_literal());
      } else {
        ANVIL_RETURN_IF_ERROR(op(brackets));
      }
    }
  }

  void number() {
    const size_t b = pos_;
    auto digits = [&] {
      while (pos_ < s_.size() && (is_digit(s_[pos_]) || (s_[pos_] == '_' && pos_ + 1 < s_.size() && is_digit(s_[pos_ + 1])))) ++pos_;
    };
    digits();
    bool is_float = false;
    const bool after_dot = b > 0 && s_[b - 1] == '.';  // `x.0.1` is attribute access, not a float
    if (!after_dot) {
      if (pos_ + 1 < s_.size() && s_[pos_] == '.' && is_digit(s_[pos_ + 1])) {
        ++pos_;
        digits();
        is_float = true;
      }
      if (pos_ < s_.size() && s_[pos_] == 'e') {
        size_t q = pos_ + 1;
        if (q < s_.size() && (s_[q] == '+' || s_[q] == '-')) ++q;
        if (q < s_.size() && is_digit(s_[q])) {
          pos_ = q;
          digits();
          is_float = true;
        }
      }
    }
    std::string text;
    for (char ch : s_.substr(b, pos_ - b)) {
      if (ch != '_') text += ch;
    }
    Token t;
    t.offset = b;
    t.text = text;
    if (is_float) {
      t.kind = TokenKind::kFloat;
      t.float_value = std::strtod(text.c_str(), nullptr);
    } else {
      t.kind = TokenKind::kInteger;
      errno = 0;
      t.int_value = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) {  // Python ints are unbounded; Anvil keeps 64 bits and says so
        t.kind = TokenKind::kFloat;
        t.float_value = std::strtod(text.c_str(), nullptr);
      }
    }
    tokens_.push_back(std::move(t));
  }

  static int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Python string literal escapes (Jinja2 decodes with "unicode-escape"): unknown escapes stay
  // as written, backslash included.
  core::Status string_literal() {
    const size_t b = pos_;
    const char quote = s_[pos_++];
    std::string value;
    for (;;) {
      if (pos_ >= s_.size()) return error(b, "unterminated string literal");
      const char c = s_[pos_];
      if (c == quote) {
        ++pos_;
        break;
      }
      if (c != '\\') {
        value += c;
        ++pos_;
        continue;
      }
      if (pos_ + 1 >= s_.size()) return error(b, "unterminated string literal");
      const char e = s_[pos_ + 1];
      pos_ += 2;
      switch (e) {
        case '\\': value += '\\'; break;
        case '\'': value += '\''; break;
        case '"': value += '"'; break;
        case 'a': value += '\a'; break;
        case 'b': value += '\b'; break;
        case 'f': value += '\f'; break;
        case 'n': value += '\n'; break;
        case 'r': value += '\r'; break;
        case 't': value += '\t'; break;
        case 'v': value += '\v'; break;
        case '\n': break;  // line continuation
        case 'x':
        case 'u':
        case 'U': {
          const size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (size_t k = 0; k < n; ++k) {
            const int h = pos_ + k < s_.size() ? hex_value(s_[pos_ + k]) : -1;
            if (h < 0) return error(pos_ - 2, std::string("truncated \\") + e + " escape in string literal");
            cp = cp * 16 + static_cast<uint32_t>(h);
          }
          pos_ += n;
          if (cp > 0x10FFFF) return error(pos_ - n - 2, "escape \\U beyond U+10FFFF in string literal");
          append_utf8(value, cp);
          break;
        }
        default:
          if (e >= '0' && e <= '7') {
            uint32_t cp = static_cast<uint32_t>(e - '0');
            for (int k = 0; k < 2 && pos_ < s_.size() && s_[pos_] >= '0' && s_[pos_] <= '7'; ++k) {
              cp = cp * 8 + static_cast<uint32_t>(s_[pos_++] - '0');
            }
            append_utf8(value, cp);
          } else {
            value += '\\';
            value += e;
          }
      }
    }
    push(TokenKind::kString, b, std::move(value));
    return core::Status::ok_status();
  }

  core::Status op(std::vector<char>& brackets) {
    static constexpr std::array<std::string_view, 6> kTwo = {"//", "**", "==", "!=", "<=", ">="};
    for (std::string_view two : kTwo) {
      if (s_.compare(pos_, 2, two) == 0) {
        push(TokenKind::kOperator, pos_, std::string(two));
        pos_ += 2;
        return core::Status::ok_status();
      }
    }
    const char c = s_[pos_];
    static constexpr std::string_view kOne = "+-/*%~[](){}<>=.:|,;";
    if (kOne.find(c) == std::string_view::npos) {
      size_t next = pos_;
      const char32_t cp = decode_utf8(s_, next);
      std::string shown;
      append_utf8(shown, cp);
      return error(pos_, "unexpected character '" + shown + "'");
    }
    if (c == '(' || c == '[' || c == '{') {
      brackets.push_back(c);
    } else if (c == ')' || c == ']' || c == '}') {
      const char open = c == ')' ? '(' : c == ']' ? '[' : '{';
      if (brackets.empty()) return error(pos_, std::string("unexpected '") + c + "'");
      if (brackets.back() != open) {
        const char want = brackets.back() == '(' ? ')' : brackets.back() == '[' ? ']' : '}';
        return error(pos_, std::string("unexpected '") + c + "', expected '" + want + "'");
      }
      brackets.pop_back();
    }
    push(TokenKind::kOperator, pos_, std::string(1, c));
    ++pos_;
    return core::Status::ok_status();
  }

  std::string_view s_;
  LexOptions opt_;
  size_t pos_ = 0;
  std::vector<Token> tokens_;
};

}  // namespace

core::Result<std::vector<Token>> tokenize(std::string_view source, const LexOptions& options) {
  return Lexer(source, options).run();
}

}  // namespace anvil::text::jinja
