// Building blocks of request validation: each checks one field of a JSON object against one
// expectation and, on failure, records which parameter failed and why ("invalid 'temperature':
// expected a number between 0 and 2, found number 3"). The first failure wins.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>

namespace anvil::server {

struct ValidationError {
  std::string param;    // "messages[0].content"
  std::string message;  // what was expected and what was found
};

class SchemaCheck {
 public:
  bool failed() const { return error_.has_value(); }
  std::optional<ValidationError> take_error() { return std::move(error_); }

  // Records "invalid '<param>': expected <expected>, found <what `found` is>"; returns false.
  bool fail(std::string param, std::string_view expected, const boost::json::value& found);
  // Records "missing required parameter '<param>' (expected <expected>)"; returns false.
  bool missing(std::string param, std::string_view expected);
  // Records `message` as is; returns false.
  bool fail_with(std::string param, std::string message);

  // Field checks. A missing or null optional field passes. `prefix` is prepended to the key in
  // the param name ("messages[0]." + "role").
  bool required_string(const boost::json::object& o, std::string_view key, std::string_view prefix,
                       bool non_empty);
  bool optional_string(const boost::json::object& o, std::string_view key, std::string_view prefix);
  bool optional_bool(const boost::json::object& o, std::string_view key, std::string_view prefix);
  bool optional_number(const boost::json::object& o, std::string_view key, std::string_view prefix,
                       double min, double max);
  bool optional_int(const boost::json::object& o, std::string_view key, std::string_view prefix,
                    std::int64_t min, std::int64_t max);
  bool optional_choice(const boost::json::object& o, std::string_view key, std::string_view prefix,
                       std::initializer_list<std::string_view> choices);
  // A string or an array of at most `max_items` strings (OpenAI's `stop`).
  bool optional_string_or_strings(const boost::json::object& o, std::string_view key,
                                  std::string_view prefix, std::size_t max_items);
  // An object whose values are strings: at most `max_keys`, keys of at most `max_key` and values
  // of at most `max_value` characters (OpenAI's `metadata`).
  bool optional_string_map(const boost::json::object& o, std::string_view key,
                           std::string_view prefix, std::size_t max_keys, std::size_t max_key,
                           std::size_t max_value);
  // An object whose values are numbers between min and max (`logit_bias`).
  bool optional_number_map(const boost::json::object& o, std::string_view key,
                           std::string_view prefix, double min, double max);

 private:
  std::optional<ValidationError> error_;
};

// The value of `key` when present and not null.
const boost::json::value* field(const boost::json::object& o, std::string_view key);
// True for JSON integers, and for doubles with an integral value (3.0).
bool is_integer(const boost::json::value& v);
std::int64_t integer_value(const boost::json::value& v);
// "one of a, b, c".
std::string one_of(std::initializer_list<std::string_view> choices);
// "an integer between 1 and 128", "an integer >= 1" (max = INT64_MAX), "a number between 0 and 2".
std::string int_range(std::int64_t min, std::int64_t max);
std::string number_range(double min, double max);

}  // namespace anvil::server
