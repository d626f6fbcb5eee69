// Jinja2's built-in filters (`x | trim`), tests (`x is defined`), the Python methods templates
// call on values (`s.strip()`, `d.items()`) and the default globals (range, dict, namespace).
// Errors have no location; the evaluator adds the line and column of the call.
#pragma once

#include <optional>
#include <string>
#include <string_view>

#include "anvil/core/status.h"
#include "anvil/text/jinja/value.h"

namespace anvil::text::jinja {

bool has_filter(std::string_view name);
bool has_test(std::string_view name);

core::Result<Value> apply_filter(std::string_view name, const Value& input, const CallArgs& args);
core::Result<bool> apply_test(std::string_view name, const Value& input, const CallArgs& args);

// object.name(args): str, dict and list methods. Methods that would change a list or dict are
// refused, as in HF's immutable sandbox.
core::Result<Value> call_method(const Value& object, std::string_view name, const CallArgs& args);

// range(), dict(), namespace(): the globals every template sees.
std::vector<std::pair<std::string, Value>> default_globals();

// Python's json.dumps(value, ensure_ascii=..., indent=..., separators=..., sort_keys=...), which
// is what HF's `tojson` filter calls (ensure_ascii false by default there). Without `indent` the
// separators are ", " and ": "; with it "," and ": " and one item per line.
core::Result<std::string> to_json(const Value& value, std::optional<int> indent, bool sort_keys,
                                  std::optional<std::pair<std::string, std::string>> separators, bool ensure_ascii);

// Argument binding for builtins: positional index `i`, or keyword `name`, or `fallback`.
const Value* find_arg(const CallArgs& args, size_t i, std::string_view name);

}  // namespace anvil::text::jinja
