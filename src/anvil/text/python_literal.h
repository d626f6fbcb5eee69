// A reader for the small subset of Python literal syntax that jieba stores its HMM model in
// (finalseg/prob_*.py: `P={'B': {'\u4e00': -3.65, ...}, ...}`): dicts, strings and numbers.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::text {

// One parsed value. Dict items keep file order; keys are strings (UTF-8) as jieba uses them.
struct PyValue {
  enum class Kind { kNumber, kString, kDict };
  Kind kind = Kind::kNumber;
  double number = 0;                                  // kNumber
  std::string text;                                   // kString, UTF-8
  std::vector<std::pair<std::string, PyValue>> items;  // kDict

  // The value of `key` in a dict, or nullptr.
  const PyValue* find(std::string_view key) const;
};

// Parses the value assigned to `name` at the top level of `source` ("P=..." in jieba's files).
// Accepts `from __future__ import ...` lines and `#` comments before it. String escapes:
// \uXXXX, \UXXXXXXXX, \xXX, \\, \', \", \n, \t, \r. Numbers: Python float/int literals.
// Errors name `origin` (a path) and the line: "prob_emit.py:3: expected ':' after dict key, found ','".
core::Result<PyValue> parse_python_assignment(std::string_view source, std::string_view name,
                                              std::string_view origin);

}  // namespace anvil::text
