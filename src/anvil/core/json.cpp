#include "anvil/core/json.h"

#include <fmt/format.h>

#include <cmath>
#include <exception>
#include <limits>

namespace anvil::core {
namespace {

namespace json = boost::json;

constexpr std::size_t kMaxDescribedChars = 40;

bool is_continuation_byte(char c) { return (static_cast<unsigned char>(c) & 0xC0) == 0x80; }

// 1-based line and column (in code points) of byte `offset` in `text`.
std::pair<std::size_t, std::size_t> line_column(std::string_view text, std::size_t offset) {
  std::size_t line = 1;
  std::size_t column = 1;
  for (std::size_t i = 0; i < offset && i < text.size(); ++i) {
    if (text[i] == '\n') {
      ++line;
      column = 1;
    } else if (!is_continuation_byte(text[i])) {
      ++column;
    }
  }
  return {line, column};
}

Status parse_error(std::string_view text, std::size_t offset, std::string_view reason) {
  auto [line, column] = line_column(text, offset);
  return Status::invalid_argument(
      fmt::format("invalid JSON at line {}, column {}: {}", line, column, reason));
}

Status wrong_type(std::string_view what, std::string_view expected, const json::value& found) {
  return Status::invalid_argument(
      fmt::format("{}: expected {}, found {}", what, expected, describe_json(found)));
}

std::string field_name(std::string_view key) { return fmt::format("field '{}'", key); }

Status missing(std::string_view key, std::string_view expected) {
  return Status::invalid_argument(fmt::format("missing field '{}' (expected {})", key, expected));
}

// Looks up `key`; null when absent.
const json::value* find(const json::object& object, std::string_view key) {
  return object.if_contains(key);
}

template <typename T, typename Convert>
Result<T> required(const json::object& object, std::string_view key, std::string_view expected,
                   Convert convert) {
  const json::value* v = find(object, key);
  if (v == nullptr) return missing(key, expected);
  return convert(*v, field_name(key));
}

template <typename T, typename Convert>
Result<std::optional<T>> optional(const json::object& object, std::string_view key,
                                  Convert convert) {
  const json::value* v = find(object, key);
  if (v == nullptr || v->is_null()) return std::optional<T>();
  ANVIL_ASSIGN_OR_RETURN(T value, convert(*v, field_name(key)));
  return std::optional<T>(std::move(value));
}

}  // namespace

Result<json::value> parse_json(std::string_view text) {
  try {
    json::stream_parser parser;
    boost::system::error_code ec;
    std::size_t consumed = parser.write_some(text.data(), text.size(), ec);
    if (ec) return parse_error(text, consumed, ec.message());
    if (!parser.done()) {
      parser.finish(ec);
      if (ec) return parse_error(text, text.size(), ec.message());
    }
    // write_some stops after a complete value and its trailing whitespace.
    if (consumed < text.size()) {
      return parse_error(text, consumed, "unexpected text after the JSON value");
    }
    return parser.release();
  } catch (const std::exception& e) {
    return Status::resource_exhausted(fmt::format("cannot parse JSON: {}", e.what()));
  }
}

std::string describe_json(const json::value& value) {
  switch (value.kind()) {
    case json::kind::null: return "null";
    case json::kind::bool_: return value.get_bool() ? "boolean true" : "boolean false";
    case json::kind::int64: return fmt::format("number {}", value.get_int64());
    case json::kind::uint64: return fmt::format("number {}", value.get_uint64());
    case json::kind::double_: return fmt::format("number {}", value.get_double());
    case json::kind::object: return "object";
    case json::kind::array: {
      const std::size_t n = value.get_array().size();
      if (n == 0) return "an empty array";
      return fmt::format("an array of {} element{}", n, n == 1 ? "" : "s");
    }
    case json::kind::string: {
      std::string_view s = value.get_string();
      std::size_t chars = 0;
      std::size_t cut = s.size();
      for (std::size_t i = 0; i < s.size(); ++i) {
        if (is_continuation_byte(s[i])) continue;
        if (chars == kMaxDescribedChars) {
          cut = i;
          break;
        }
        ++chars;
      }
      std::string shown = json::serialize(json::string_view(s.data(), cut));
      if (cut < s.size()) shown.insert(shown.size() - 1, "...");
      return "string " + shown;
    }
  }
  return "value";
}

Result<std::string> as_string(const json::value& value, std::string_view what) {
  if (!value.is_string()) return wrong_type(what, "a string", value);
  return std::string(value.get_string());
}

Result<std::int64_t> as_int(const json::value& value, std::string_view what) {
  if (value.is_int64()) return value.get_int64();
  if (value.is_uint64()) {
    if (value.get_uint64() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
      return static_cast<std::int64_t>(value.get_uint64());
    }
    return wrong_type(what, "an integer that fits in 64 bits", value);
  }
  if (value.is_double()) {
    double d = value.get_double();
    // 2^63 is exactly representable; anything at or beyond it does not fit.
    if (std::trunc(d) == d && d >= -9223372036854775808.0 && d < 9223372036854775808.0) {
      return static_cast<std::int64_t>(d);
    }
  }
  return wrong_type(what, "an integer", value);
}

Result<double> as_double(const json::value& value, std::string_view what) {
  if (value.is_number()) return value.to_number<double>();
  return wrong_type(what, "a number", value);
}

Result<bool> as_bool(const json::value& value, std::string_view what) {
  if (!value.is_bool()) return wrong_type(what, "a boolean", value);
  return value.get_bool();
}

Result<const json::object*> as_object(const json::value& value, std::string_view what) {
  if (!value.is_object()) return wrong_type(what, "an object", value);
  return &value.get_object();
}

Result<const json::array*> as_array(const json::value& value, std::string_view what) {
  if (!value.is_array()) return wrong_type(what, "an array", value);
  return &value.get_array();
}

Result<std::string> get_string(const json::object& object, std::string_view key) {
  return required<std::string>(object, key, "a string", as_string);
}
Result<std::int64_t> get_int(const json::object& object, std::string_view key) {
  return required<std::int64_t>(object, key, "an integer", as_int);
}
Result<double> get_double(const json::object& object, std::string_view key) {
  return required<double>(object, key, "a number", as_double);
}
Result<bool> get_bool(const json::object& object, std::string_view key) {
  return required<bool>(object, key, "a boolean", as_bool);
}
Result<const json::object*> get_object(const json::object& object, std::string_view key) {
  return required<const json::object*>(object, key, "an object", as_object);
}
Result<const json::array*> get_array(const json::object& object, std::string_view key) {
  return required<const json::array*>(object, key, "an array", as_array);
}

Result<std::optional<std::string>> get_optional_string(const json::object& object,
                                                       std::string_view key) {
  return optional<std::string>(object, key, as_string);
}
Result<std::optional<std::int64_t>> get_optional_int(const json::object& object,
                                                     std::string_view key) {
  return optional<std::int64_t>(object, key, as_int);
}
Result<std::optional<double>> get_optional_double(const json::object& object,
                                                  std::string_view key) {
  return optional<double>(object, key, as_double);
}
Result<std::optional<bool>> get_optional_bool(const json::object& object, std::string_view key) {
  return optional<bool>(object, key, as_bool);
}

}  // namespace anvil::core
