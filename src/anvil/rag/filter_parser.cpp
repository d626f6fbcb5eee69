// The text front-end of filters (CLI --filter): a lexer and a recursive-descent parser for the
// grammar in docs/FILTERS.md. Precedence: not > and > or.
#include <charconv>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <fmt/format.h>

#include "anvil/rag/filter.h"
#include "anvil/rag/filter_syntax.h"
#include "anvil/rag/filter_time.h"

namespace anvil::rag {
namespace {

using core::Result;
using core::Status;

enum class Tok : uint8_t {
  kName,     // bare or `quoted` field name, or keyword (when bare)
  kString,   // 'text' or "text"
  kInt,
  kDouble,
  kTime,     // 2024-01-01, 2024-01-01T08:00:00Z
  kCompare,  // = == != < <= > >=
  kLParen, kRParen, kLBracket, kRBracket, kComma,
  kEnd,
};

struct Token {
  Tok kind = Tok::kEnd;
  std::string_view raw;  // the source text of the token
  std::string text;      // kName: the name; kString: the unescaped value
  int64_t i = 0;         // kInt; kTime: microseconds since the epoch
  double d = 0;          // kDouble
  FilterOp op = FilterOp::kEq;
  bool quoted_name = false;
  int column = 0;        // 1-based, in Unicode code points

  bool is_keyword(std::string_view kw) const {
    if (kind != Tok::kName || quoted_name || text.size() != kw.size()) return false;
    for (std::size_t k = 0; k < kw.size(); ++k) {
      char c = text[k];
      if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
      if (c != kw[k]) return false;
    }
    return true;
  }
};

Status syntax_error(std::string message) {
  return Status::invalid_argument("filter: " + std::move(message));
}

// How a token is named in "found ..." parts of errors.
std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::kEnd: return "end of input";
    case Tok::kString: return fmt::format("string {}", t.raw);
    case Tok::kInt:
    case Tok::kDouble: return fmt::format("number {}", t.raw);
    case Tok::kTime: return fmt::format("date {}", t.raw);
    default: return fmt::format("'{}'", t.raw);
  }
}

void append_utf8(std::string& out, uint32_t cp) {
  if (cp < 0x80) {
    out += static_cast<char>(cp);
  } else if (cp < 0x800) {
    out += static_cast<char>(0xC0 | (cp >> 6));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else if (cp < 0x10000) {
    out += static_cast<char>(0xE0 | (cp >> 12));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  } else {
    out += static_cast<char>(0xF0 | (cp >> 18));
    out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
    out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
    out += static_cast<char>(0x80 | (cp & 0x3F));
  }
}

class Lexer {
 public:
  explicit Lexer(std::string_view src) : src_(src) {}

  Result<std::vector<Token>> run() {
    std::vector<Token> tokens;
    for (;;) {
      skip_space();
      Token t;
      t.column = column_of(pos_);
      if (pos_ >= src_.size()) {
        t.kind = Tok::kEnd;
        tokens.push_back(std::move(t));
        return tokens;
      }
      std::size_t start = pos_;
      ANVIL_RETURN_IF_ERROR(next(t));
      t.raw = src_.substr(start, pos_ - start);
      tokens.push_back(std::move(t));
    }
  }

 private:
  // Columns count code points: UTF-8 continuation bytes (10xxxxxx) do not start a character.
  int column_of(std::size_t pos) const {
    int col = 1;
    for (std::size_t k = 0; k < pos && k < src_.size(); ++k) {
      if ((static_cast<unsigned char>(src_[k]) & 0xC0) != 0x80) ++col;
    }
    return col;
  }

  char peek(std::size_t ahead = 0) const {
    return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0';
  }

  static bool is_digit(char c) { return c >= '0' && c <= '9'; }

  void skip_space() {
    while (pos_ < src_.size() &&
           (src_[pos_] == ' ' || src_[pos_] == '\t' || src_[pos_] == '\n' || src_[pos_] == '\r')) {
      ++pos_;
    }
  }

  Status next(Token& t) {
    char c = peek();
    switch (c) {
      case '(': ++pos_; t.kind = Tok::kLParen; return {};
      case ')': ++pos_; t.kind = Tok::kRParen; return {};
      case '[': ++pos_; t.kind = Tok::kLBracket; return {};
      case ']': ++pos_; t.kind = Tok::kRBracket; return {};
      case ',': ++pos_; t.kind = Tok::kComma; return {};
      case '=':
        pos_ += peek(1) == '=' ? 2 : 1;
        t.kind = Tok::kCompare;
        t.op = FilterOp::kEq;
        return {};
      case '!':
        if (peek(1) != '=') {
          return syntax_error(fmt::format("expected '!=' at column {}, found '!'", t.column));
        }
        pos_ += 2;
        t.kind = Tok::kCompare;
        t.op = FilterOp::kNe;
        return {};
      case '<':
      case '>': {
        bool or_equal = peek(1) == '=';
        pos_ += or_equal ? 2 : 1;
        t.kind = Tok::kCompare;
        t.op = c == '<' ? (or_equal ? FilterOp::kLe : FilterOp::kLt)
                        : (or_equal ? FilterOp::kGe : FilterOp::kGt);
        return {};
      }
      case '"':
      case '\'': return string(t);
      case '`': return quoted_name(t);
      default: break;
    }
    if (is_digit(c) || ((c == '-' || c == '+') && (is_digit(peek(1)) || peek(1) == '.')) ||
        (c == '.' && is_digit(peek(1)))) {
      return number_or_time(t);
    }
    if (filter_syntax::is_name_start(static_cast<unsigned char>(c))) return name(t);
    // Name the whole UTF-8 character, not its first byte.
    std::size_t len = 1;
    while (pos_ + len < src_.size() && (static_cast<unsigned char>(src_[pos_ + len]) & 0xC0) == 0x80) {
      ++len;
    }
    return syntax_error(fmt::format("unexpected character '{}' at column {}",
                                    src_.substr(pos_, len), t.column));
  }

  Status name(Token& t) {
    std::size_t start = pos_;
    bool segment_start = true;
    while (pos_ < src_.size()) {
      auto c = static_cast<unsigned char>(src_[pos_]);
      if (c == '.') {
        if (segment_start) break;
        segment_start = true;
      } else if (segment_start ? filter_syntax::is_name_start(c) : filter_syntax::is_name_char(c)) {
        segment_start = false;
      } else {
        break;
      }
      ++pos_;
    }
    if (segment_start) {
      return syntax_error(fmt::format("expected a field name segment after '.' at column {}, found {}",
                                      column_of(pos_), rest_description()));
    }
    t.kind = Tok::kName;
    t.text = std::string(src_.substr(start, pos_ - start));
    return {};
  }

  std::string rest_description() const {
    if (pos_ >= src_.size()) return "end of input";
    std::size_t len = 1;
    while (pos_ + len < src_.size() && (static_cast<unsigned char>(src_[pos_ + len]) & 0xC0) == 0x80) {
      ++len;
    }
    return fmt::format("'{}'", src_.substr(pos_, len));
  }

  Status quoted_name(Token& t) {
    ++pos_;  // opening backquote
    t.kind = Tok::kName;
    t.quoted_name = true;
    for (;;) {
      if (pos_ >= src_.size()) {
        return syntax_error(
            fmt::format("unterminated field name starting at column {}, expected '`'", t.column));
      }
      char c = src_[pos_++];
      if (c == '`') {
        if (peek() != '`') break;
        ++pos_;  // `` is a literal backquote
      }
      t.text += c;
    }
    if (t.text.empty()) {
      return syntax_error(fmt::format("empty field name at column {}", t.column));
    }
    return {};
  }

  Status string(Token& t) {
    const char quote = src_[pos_++];
    t.kind = Tok::kString;
    for (;;) {
      if (pos_ >= src_.size()) {
        return syntax_error(fmt::format("unterminated string starting at column {}, expected {}",
                                        t.column, quote == '"' ? "'\"'" : "\"'\""));
      }
      char c = src_[pos_++];
      if (c == quote) return {};
      if (c != '\\') {
        t.text += c;
        continue;
      }
      const int escape_column = column_of(pos_ - 1);
      if (pos_ >= src_.size()) continue;  // reported as an unterminated string
      char e = peek();
      ++pos_;
      switch (e) {
        case '"': t.text += '"'; break;
        case '\'': t.text += '\''; break;
        case '\\': t.text += '\\'; break;
        case '/': t.text += '/'; break;
        case 'n': t.text += '\n'; break;
        case 't': t.text += '\t'; break;
        case 'r': t.text += '\r'; break;
        case 'b': t.text += '\b'; break;
        case 'f': t.text += '\f'; break;
        case 'u': {
          std::optional<uint32_t> cp = hex4();
          if (cp && *cp >= 0xD800 && *cp <= 0xDBFF && peek() == '\\' && peek(1) == 'u') {
            pos_ += 2;
            std::optional<uint32_t> low = hex4();
            if (low && *low >= 0xDC00 && *low <= 0xDFFF) {
              cp = 0x10000 + ((*cp - 0xD800) << 10) + (*low - 0xDC00);
            } else {
              cp.reset();
            }
          }
          if (!cp || (*cp >= 0xD800 && *cp <= 0xDFFF)) {
            return syntax_error(fmt::format(
                "invalid \\u escape at column {}: expected 4 hex digits naming a character "
                "(surrogates in pairs)", escape_column));
          }
          append_utf8(t.text, *cp);
          break;
        }
        default:
          return syntax_error(fmt::format(
              "invalid escape '\\{}' at column {}: expected one of \\\" \\' \\\\ \\/ \\n \\t \\r "
              "\\b \\f \\uXXXX",
              src_.substr(pos_ - 1, 1), escape_column));
      }
    }
  }

  std::optional<uint32_t> hex4() {
    if (pos_ + 4 > src_.size()) return std::nullopt;
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(src_.data() + pos_, src_.data() + pos_ + 4, v, 16);
    if (ec != std::errc() || end != src_.data() + pos_ + 4) return std::nullopt;
    pos_ += 4;
    return v;
  }

  Status number_or_time(Token& t) {
    const std::size_t start = pos_;
    // YYYY-MM-DD... is a date: four digits then '-' and a digit.
    if (is_digit(peek()) && is_digit(peek(1)) && is_digit(peek(2)) && is_digit(peek(3)) &&
        peek(4) == '-' && is_digit(peek(5))) {
      while (pos_ < src_.size()) {
        char c = src_[pos_];
        if (is_digit(c) || c == '-' || c == '+' || c == ':' || c == '.' || c == 'T' || c == 'Z' ||
            c == 't' || c == 'z') {
          ++pos_;
        } else {
          break;
        }
      }
      std::string_view text = src_.substr(start, pos_ - start);
      std::optional<int64_t> micros = parse_iso8601_micros(text);
      if (!micros) {
        return syntax_error(fmt::format(
            "invalid date '{}' at column {}: expected an ISO 8601 date or datetime such as "
            "2024-01-31 or 2024-01-31T08:00:00Z",
            text, t.column));
      }
      t.kind = Tok::kTime;
      t.i = *micros;
      return {};
    }
    if (peek() == '-' || peek() == '+') ++pos_;
    bool is_double = false;
    while (is_digit(peek())) ++pos_;
    if (peek() == '.') {
      is_double = true;
      ++pos_;
      while (is_digit(peek())) ++pos_;
    }
    if (peek() == 'e' || peek() == 'E') {
      is_double = true;
      ++pos_;
      if (peek() == '-' || peek() == '+') ++pos_;
      while (is_digit(peek())) ++pos_;
    }
    // A number runs into a name or another fraction ("5kg", "1.2.3"): report the whole run.
    while (pos_ < src_.size() &&
           (src_[pos_] == '.' || filter_syntax::is_name_char(static_cast<unsigned char>(src_[pos_])))) {
      ++pos_;
    }
    std::string_view text = src_.substr(start, pos_ - start);
    std::string_view digits = text.front() == '+' ? text.substr(1) : text;
    const char* first = digits.data();
    const char* last = digits.data() + digits.size();
    if (!is_double) {
      auto [end, ec] = std::from_chars(first, last, t.i);
      if (ec == std::errc() && end == last) {
        t.kind = Tok::kInt;
        t.d = static_cast<double>(t.i);
        return {};
      }
    }
    auto [end, ec] = std::from_chars(first, last, t.d);
    if (ec != std::errc() || end != last) {
      return syntax_error(fmt::format("invalid number '{}' at column {}", text, t.column));
    }
    t.kind = Tok::kDouble;
    return {};
  }

  std::string_view src_;
  std::size_t pos_ = 0;
};

class Parser {
 public:
  explicit Parser(std::vector<Token> tokens) : tokens_(std::move(tokens)) {}

  Result<Filter> run() {
    ANVIL_ASSIGN_OR_RETURN(FilterNode root, parse_or(0));
    if (cur().kind != Tok::kEnd) {
      return syntax_error(fmt::format("expected 'and', 'or' or end of input at column {}, found {}",
                                      cur().column, describe(cur())));
    }
    return Filter(std::move(root), fields_.take());
  }

 private:
  const Token& cur() const { return tokens_[pos_]; }
  void advance() {
    if (tokens_[pos_].kind != Tok::kEnd) ++pos_;
  }

  Result<FilterNode> parse_or(int depth) { return parse_chain(depth, "or", FilterOp::kOr); }

  Result<FilterNode> parse_and(int depth) { return parse_chain(depth, "and", FilterOp::kAnd); }

  // a KW b KW c ... becomes one n-ary node; a single operand is returned as is.
  Result<FilterNode> parse_chain(int depth, std::string_view keyword, FilterOp op) {
    auto operand = [&]() { return op == FilterOp::kOr ? parse_and(depth) : parse_not(depth); };
    ANVIL_ASSIGN_OR_RETURN(FilterNode first, operand());
    if (!cur().is_keyword(keyword)) return first;
    FilterNode node;
    node.op = op;
    node.children.push_back(std::move(first));
    while (cur().is_keyword(keyword)) {
      advance();
      ANVIL_ASSIGN_OR_RETURN(FilterNode next, operand());
      node.children.push_back(std::move(next));
    }
    return node;
  }

  Result<FilterNode> parse_not(int depth) {
    if (depth >= filter_syntax::kMaxDepth) {
      return syntax_error(fmt::format("nesting deeper than {} levels at column {}",
                                      filter_syntax::kMaxDepth, cur().column));
    }
    if (cur().is_keyword("not")) {
      advance();
      ANVIL_ASSIGN_OR_RETURN(FilterNode child, parse_not(depth + 1));
      FilterNode node;
      node.op = FilterOp::kNot;
      node.children.push_back(std::move(child));
      return node;
    }
    if (cur().kind == Tok::kLParen) {
      advance();
      ANVIL_ASSIGN_OR_RETURN(FilterNode inner, parse_or(depth + 1));
      if (cur().kind != Tok::kRParen) {
        return syntax_error(fmt::format("expected ')' at column {}, found {}", cur().column,
                                        describe(cur())));
      }
      advance();
      return inner;
    }
    return parse_comparison();
  }

  Result<FilterNode> parse_comparison() {
    const Token& name = cur();
    if (name.kind != Tok::kName || (!name.quoted_name && filter_syntax::is_keyword(name.text))) {
      return syntax_error(fmt::format("expected a field name at column {}, found {}", name.column,
                                      describe(name)));
    }
    FilterNode node;
    node.field = fields_.intern(name.text);
    const std::string field_name = name.text;
    advance();
    const Token& op = cur();
    if (op.kind == Tok::kCompare) {
      node.op = op.op;
      std::string after = fmt::format("'{}'", op.raw);
      advance();
      ANVIL_ASSIGN_OR_RETURN(FilterLiteral v, parse_value(after, node.op));
      node.values.push_back(std::move(v));
      return node;
    }
    if (op.is_keyword("in")) {
      node.op = FilterOp::kIn;
      advance();
      ANVIL_RETURN_IF_ERROR(parse_list("'in'", node.values));
      return node;
    }
    if (op.is_keyword("not")) {
      advance();
      if (!cur().is_keyword("in")) {
        return syntax_error(fmt::format("expected 'in' after 'not' at column {}, found {}",
                                        cur().column, describe(cur())));
      }
      node.op = FilterOp::kNotIn;
      advance();
      ANVIL_RETURN_IF_ERROR(parse_list("'not in'", node.values));
      return node;
    }
    if (op.is_keyword("exists")) {
      node.op = FilterOp::kExists;
      advance();
      return node;
    }
    return syntax_error(fmt::format(
        "expected an operator (= == != < <= > >= in, not in, exists) after field '{}' at column "
        "{}, found {}",
        field_name, op.column, describe(op)));
  }

  Result<FilterLiteral> parse_value(std::string_view after, FilterOp op) {
    const Token& t = cur();
    const bool ordering =
        op == FilterOp::kLt || op == FilterOp::kLe || op == FilterOp::kGt || op == FilterOp::kGe;
    FilterLiteral lit;
    switch (t.kind) {
      case Tok::kString: lit = FilterLiteral::string(t.text); break;
      case Tok::kInt: lit = FilterLiteral::integer(t.i); break;
      case Tok::kDouble: lit = FilterLiteral::number(t.d); break;
      case Tok::kTime: lit = FilterLiteral::time(t.i); break;
      case Tok::kName:
        if (t.is_keyword("true") || t.is_keyword("false")) {
          if (ordering) {
            return syntax_error(fmt::format(
                "expected a number, string or date after {} at column {}, found {} (booleans "
                "have no order)",
                after, t.column, describe(t)));
          }
          lit = FilterLiteral::boolean(t.is_keyword("true"));
          break;
        }
        [[fallthrough]];
      default:
        return syntax_error(fmt::format("expected a value after {} at column {}, found {}", after,
                                        t.column, describe(t)));
    }
    advance();
    return lit;
  }

  Status parse_list(std::string_view after, std::vector<FilterLiteral>& out) {
    if (cur().kind != Tok::kLBracket) {
      return syntax_error(fmt::format("expected '[' after {} at column {}, found {}", after,
                                      cur().column, describe(cur())));
    }
    advance();
    if (cur().kind == Tok::kRBracket) {
      advance();
      return {};
    }
    for (;;) {
      ANVIL_ASSIGN_OR_RETURN(FilterLiteral v, parse_value(out.empty() ? "'['" : "','", FilterOp::kEq));
      out.push_back(std::move(v));
      if (cur().kind == Tok::kRBracket) {
        advance();
        return {};
      }
      if (cur().kind != Tok::kComma) {
        return syntax_error(fmt::format("expected ',' or ']' at column {}, found {}", cur().column,
                                        describe(cur())));
      }
      advance();
    }
  }

  std::vector<Token> tokens_;
  std::size_t pos_ = 0;
  filter_syntax::FieldTable fields_;
};

}  // namespace

core::Result<Filter> Filter::parse(std::string_view text) {
  ANVIL_ASSIGN_OR_RETURN(std::vector<Token> tokens, Lexer(text).run());
  return Parser(std::move(tokens)).run();
}

}  // namespace anvil::rag
