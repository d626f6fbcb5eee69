// Jinja2's lexer: splits template source into text and the tokens inside {{ }} and {% %} tags,
// dropping {# #} comments and applying whitespace control ({%- -%}, {{- -}}, trim_blocks,
// lstrip_blocks) exactly as Jinja2 3.1 does.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text::jinja {

enum class TokenKind {
  kText,           // template data between tags
  kVariableBegin,  // {{
  kVariableEnd,    // }}
  kBlockBegin,     // {%
  kBlockEnd,       // %}
  kName,
  kString,  // text holds the decoded value
  kInteger,
  kFloat,
  kOperator,  // text holds the symbol: "+", "//", "==", "(", ...
  kEnd,
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  std::string text;
  int64_t int_value = 0;
  double float_value = 0;
  size_t offset = 0;  // byte offset in the normalized source
};

struct LexOptions {
  bool trim_blocks = false;    // drop the first newline after a block or comment tag
  bool lstrip_blocks = false;  // drop spaces and tabs before a block or comment tag on its line
  bool keep_trailing_newline = false;
};

// Jinja2 reads "\r\n" and "\r" as "\n" and, unless keep_trailing_newline, drops one newline at
// the very end of the source. Offsets in tokens and errors refer to this normalized text.
std::string normalize_newlines(std::string_view source, bool keep_trailing_newline);

// Tokens of normalized source, ending with kEnd. Text tokens are never empty.
// Errors: "line 2, column 9: unterminated string literal".
core::Result<std::vector<Token>> tokenize(std::string_view source, const LexOptions& options);

// "line 3, column 7" for a byte offset of `source`; columns count code points from 1.
std::string describe_location(std::string_view source, size_t offset);

}  // namespace anvil::text::jinja
