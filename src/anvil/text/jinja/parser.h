// Jinja2's grammar (the subset chat templates use) from lexer tokens to a syntax tree. Operator
// precedence follows Jinja2's parser, which differs from Python in places: filters bind tighter
// than any binary operator (`a + b | trim` trims only b) and `**` is left-associative.
#pragma once

#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/jinja/ast.h"
#include "anvil/text/jinja/lexer.h"

namespace anvil::text::jinja {

// Parses the tokens of `source` (the normalized text the tokens came from, for error locations).
// Errors: "line 3, column 8: expected 'endfor' to close the 'for' at line 1, column 1, found the
// end of the template"; tags and filters outside the subset are named: "unsupported tag 'macro'".
core::Result<Body> parse(std::string_view source, const std::vector<Token>& tokens);

}  // namespace anvil::text::jinja
