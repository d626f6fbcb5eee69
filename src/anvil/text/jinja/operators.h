// Python semantics of template operators: arithmetic, `~`, comparisons, `in`, attribute and item
// access (Jinja2's getattr/getitem rules), slicing, iteration. Errors use Python's wording
// ("unsupported operand type(s) for +: 'int' and 'str'"); the evaluator adds line and column.
#pragma once

#include <string_view>
#include <vector>

#include "anvil/core/status.h"
#include "anvil/text/jinja/value.h"

namespace anvil::text::jinja {

// op: + - * / // % ** ~
core::Result<Value> binary_op(std::string_view op, const Value& a, const Value& b);
// op: == != < <= > >= in, "not in"
core::Result<bool> compare(std::string_view op, const Value& a, const Value& b);

// obj.name: a dict's key; anything missing is undefined (an error only once it is used), but
// reading from an undefined value is an error now: "'x' is undefined".
core::Result<Value> get_attribute(const Value& obj, std::string_view name);
// obj[key]: dict keys, list and string indexes (negative from the end).
core::Result<Value> get_item(const Value& obj, const Value& key);
// obj[start:stop:step] on lists, tuples and strings (by code point); null parts are omitted.
core::Result<Value> get_slice(const Value& obj, const Value* start, const Value* stop, const Value* step);

// The items a for loop visits: list items, dict keys, string characters; undefined is empty.
core::Result<std::vector<Value>> iterate(const Value& v);

}  // namespace anvil::text::jinja
