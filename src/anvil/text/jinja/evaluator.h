// Runs a parsed template: Jinja2's scoping (each loop iteration is its own scope, so only
// namespace() objects carry values out of a loop), loop variables, break/continue, and errors
// that name the line and column of the expression that failed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/jinja/ast.h"

namespace anvil::text::jinja {

// Renders `body` (parsed from `source`, for error locations) with `variables` visible at the top
// level, appending to `out`. Errors read "line 4, column 12: ...", except those a function marked
// verbatim raised (raise_exception): those keep their message as is and set `verbatim_error`.
// More than `max_steps` statements and loop iterations is a kResourceExhausted error.
core::Status render_body(std::string_view source, const Body& body,
                         const std::vector<std::pair<std::string, Value>>& variables, uint64_t max_steps,
                         std::string& out, bool& verbatim_error);

}  // namespace anvil::text::jinja
