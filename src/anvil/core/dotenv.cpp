#include "anvil/core/dotenv.h"

#include <fmt/format.h>

#include "anvil/core/file_io.h"

namespace anvil::core {
namespace {

bool is_space(char c) { return c == ' ' || c == '\t'; }
bool is_name_start(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}
bool is_name_char(char c) { return is_name_start(c) || (c >= '0' && c <= '9'); }

class Parser {
 public:
  Parser(std::string_view text, std::string_view source) : text_(text), source_(source) {}

  Result<DotenvEntries> run() {
    DotenvEntries entries;
    while (pos_ < text_.size()) {
      ANVIL_RETURN_IF_ERROR(parse_line(entries));
    }
    return entries;
  }

 private:
  Status error(int line, std::string_view what) const {
    return Status::invalid_argument(fmt::format("{}:{}: {}", source_, line, what));
  }

  char peek() const { return pos_ < text_.size() ? text_[pos_] : '\n'; }
  bool at_line_end() const { return pos_ >= text_.size() || text_[pos_] == '\n'; }
  void skip_spaces() {
    while (pos_ < text_.size() && is_space(text_[pos_])) ++pos_;
  }
  // Moves past the end of the current line.
  void next_line() {
    while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
    if (pos_ < text_.size()) ++pos_;
    ++line_;
  }
  // After a value: spaces, an optional comment, a line end ("\r\n" too).
  bool rest_is_blank_or_comment() {
    skip_spaces();
    if (pos_ < text_.size() && text_[pos_] == '\r') ++pos_;
    if (pos_ < text_.size() && text_[pos_] == '#') {
      while (!at_line_end()) ++pos_;
    }
    return at_line_end();
  }

  Status parse_line(DotenvEntries& entries) {
    skip_spaces();
    if (at_line_end() || peek() == '#' || peek() == '\r') {
      next_line();
      return {};
    }
    const int start_line = line_;
    std::string_view rest = text_.substr(pos_);
    if (rest.starts_with("export") && rest.size() > 6 && is_space(rest[6])) {
      pos_ += 6;
      skip_spaces();
    }
    std::size_t name_begin = pos_;
    while (pos_ < text_.size() && text_[pos_] != '=' && text_[pos_] != '\n') ++pos_;
    if (at_line_end()) return error(start_line, "expected KEY=VALUE, found a line without '='");
    std::string_view name = text_.substr(name_begin, pos_ - name_begin);
    while (!name.empty() && is_space(name.back())) name.remove_suffix(1);
    bool valid = !name.empty() && is_name_start(name[0]);
    for (char c : name) valid = valid && is_name_char(c);
    if (!valid) {
      return error(start_line,
                   "invalid variable name before '=' (expected letters, digits and '_', not "
                   "starting with a digit)");
    }
    ++pos_;  // '='
    skip_spaces();

    std::string value;
    if (peek() == '\'' || peek() == '"') {
      ANVIL_RETURN_IF_ERROR(parse_quoted(name, start_line, value));
      if (!rest_is_blank_or_comment()) {
        return error(start_line,
                     fmt::format("unexpected text after the closing quote of '{}'", name));
      }
    } else {
      std::size_t begin = pos_;
      std::size_t end = pos_;
      while (!at_line_end()) {
        // '#' starts a comment only after whitespace, so "pa#ss" stays a value.
        if (text_[pos_] == '#' && pos_ > begin && is_space(text_[pos_ - 1])) break;
        ++pos_;
        end = pos_;
      }
      value.assign(text_.substr(begin, end - begin));
      while (!value.empty() && (is_space(value.back()) || value.back() == '\r')) value.pop_back();
    }
    entries.insert_or_assign(std::string(name), DotenvEntry{std::move(value), start_line});
    next_line();
    return {};
  }

  Status parse_quoted(std::string_view name, int start_line, std::string& out) {
    const char quote = text_[pos_++];
    while (pos_ < text_.size()) {
      char c = text_[pos_++];
      if (c == quote) return {};
      if (c == '\n') ++line_;
      if (c == '\\' && quote == '"' && pos_ < text_.size()) {
        char e = text_[pos_];
        switch (e) {
          case 'n': out += '\n'; ++pos_; continue;
          case 'r': out += '\r'; ++pos_; continue;
          case 't': out += '\t'; ++pos_; continue;
          case '"':
          case '\\':
          case '$': out += e; ++pos_; continue;
          default: break;  // unknown escape: kept as written
        }
      }
      out += c;
    }
    return error(start_line, fmt::format("unterminated {}-quoted value for '{}'",
                                         quote == '"' ? "double" : "single", name));
  }

  std::string_view text_;
  std::string_view source_;
  std::size_t pos_ = 0;
  int line_ = 1;
};

}  // namespace

Result<DotenvEntries> parse_dotenv(std::string_view text, std::string_view source) {
  return Parser(text, source).run();
}

Result<DotenvEntries> read_dotenv(const std::filesystem::path& path) {
  ANVIL_ASSIGN_OR_RETURN(std::string text, read_file(path));
  return parse_dotenv(text, path.string());
}

}  // namespace anvil::core
