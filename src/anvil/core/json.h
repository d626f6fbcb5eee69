// JSON over Boost.JSON: parsing with errors that give line and column, and typed accessors whose
// errors name the field, what was expected and what was found.
#pragma once

#include <boost/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::core {

// Parses one JSON document (RFC 8259; surrounding whitespace allowed, nothing else after it).
// Errors: "invalid JSON at line 2, column 7: syntax error". Columns count characters (code
// points), not bytes, so they match what an editor shows for Chinese text.
Result<boost::json::value> parse_json(std::string_view text);

// A short description of a value for error messages: `string "five"`, `number 3`,
// `boolean true`, `null`, `object`, `an empty array`, `an array of 3 elements`. Strings longer than 40 characters are cut with "...".
std::string describe_json(const boost::json::value& value);

// Value conversions. `what` names the value in errors ("field 'rating'", "element 3 of 'tags'"):
// "field 'rating': expected a number, found string \"five\"".
Result<std::string> as_string(const boost::json::value& value, std::string_view what);
// Integers; a double with an integral value (3.0) is accepted, 3.5 is not.
Result<std::int64_t> as_int(const boost::json::value& value, std::string_view what);
// Any JSON number.
Result<double> as_double(const boost::json::value& value, std::string_view what);
Result<bool> as_bool(const boost::json::value& value, std::string_view what);
Result<const boost::json::object*> as_object(const boost::json::value& value,
                                             std::string_view what);
Result<const boost::json::array*> as_array(const boost::json::value& value, std::string_view what);

// Required fields of an object. A missing field is "missing field 'rating' (expected a number)".
Result<std::string> get_string(const boost::json::object& object, std::string_view key);
Result<std::int64_t> get_int(const boost::json::object& object, std::string_view key);
Result<double> get_double(const boost::json::object& object, std::string_view key);
Result<bool> get_bool(const boost::json::object& object, std::string_view key);
Result<const boost::json::object*> get_object(const boost::json::object& object,
                                              std::string_view key);
Result<const boost::json::array*> get_array(const boost::json::object& object,
                                            std::string_view key);

// Optional fields: missing or null gives std::nullopt; present with the wrong type is an error.
Result<std::optional<std::string>> get_optional_string(const boost::json::object& object,
                                                       std::string_view key);
Result<std::optional<std::int64_t>> get_optional_int(const boost::json::object& object,
                                                     std::string_view key);
Result<std::optional<double>> get_optional_double(const boost::json::object& object,
                                                  std::string_view key);
Result<std::optional<bool>> get_optional_bool(const boost::json::object& object,
                                              std::string_view key);

}  // namespace anvil::core
