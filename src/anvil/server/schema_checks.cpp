#include "anvil/server/schema_checks.h"

#include <cmath>
#include <limits>

#include <fmt/format.h>

#include "anvil/core/json.h"

namespace anvil::server {

namespace json = boost::json;

const json::value* field(const json::object& o, std::string_view key) {
  const json::value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) return nullptr;
  return v;
}

bool is_integer(const json::value& v) {
  if (v.is_int64() || v.is_uint64()) return true;
  if (v.is_double()) {
    double d = v.get_double();
    return std::isfinite(d) && std::floor(d) == d && std::fabs(d) < 9.0e18;
  }
  return false;
}

std::int64_t integer_value(const json::value& v) {
  if (v.is_int64()) return v.get_int64();
  if (v.is_uint64()) {
    auto u = v.get_uint64();
    return u > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())
               ? std::numeric_limits<std::int64_t>::max()
               : static_cast<std::int64_t>(u);
  }
  return static_cast<std::int64_t>(v.get_double());
}

std::string one_of(std::initializer_list<std::string_view> choices) {
  std::string out = "one of ";
  bool first = true;
  for (std::string_view c : choices) {
    if (!first) out += ", ";
    out += c;
    first = false;
  }
  return out;
}

std::string int_range(std::int64_t min, std::int64_t max) {
  if (min == std::numeric_limits<std::int64_t>::min() &&
      max == std::numeric_limits<std::int64_t>::max()) {
    return "an integer";
  }
  if (max == std::numeric_limits<std::int64_t>::max()) return fmt::format("an integer >= {}", min);
  return fmt::format("an integer between {} and {}", min, max);
}

std::string number_range(double min, double max) {
  return fmt::format("a number between {} and {}", min, max);
}

bool SchemaCheck::fail(std::string param, std::string_view expected, const json::value& found) {
  return fail_with(param, fmt::format("invalid '{}': expected {}, found {}", param, expected,
                                      core::describe_json(found)));
}

bool SchemaCheck::missing(std::string param, std::string_view expected) {
  return fail_with(param,
                   fmt::format("missing required parameter '{}' (expected {})", param, expected));
}

bool SchemaCheck::fail_with(std::string param, std::string message) {
  if (!error_) error_ = ValidationError{std::move(param), std::move(message)};
  return false;
}

namespace {

std::string name(std::string_view prefix, std::string_view key) {
  std::string out;
  out.reserve(prefix.size() + key.size());
  out += prefix;
  out += key;
  return out;
}

}  // namespace

bool SchemaCheck::required_string(const json::object& o, std::string_view key,
                                  std::string_view prefix, bool non_empty) {
  const json::value* v = field(o, key);
  std::string_view expected = non_empty ? "a non-empty string" : "a string";
  if (v == nullptr) return missing(name(prefix, key), expected);
  if (!v->is_string() || (non_empty && v->get_string().empty())) {
    return fail(name(prefix, key), expected, *v);
  }
  return true;
}

bool SchemaCheck::optional_string(const json::object& o, std::string_view key,
                                  std::string_view prefix) {
  const json::value* v = field(o, key);
  if (v == nullptr || v->is_string()) return true;
  return fail(name(prefix, key), "a string", *v);
}

bool SchemaCheck::optional_bool(const json::object& o, std::string_view key,
                                std::string_view prefix) {
  const json::value* v = field(o, key);
  if (v == nullptr || v->is_bool()) return true;
  return fail(name(prefix, key), "a boolean", *v);
}

bool SchemaCheck::optional_number(const json::object& o, std::string_view key,
                                  std::string_view prefix, double min, double max) {
  const json::value* v = field(o, key);
  if (v == nullptr) return true;
  if (v->is_number()) {
    double d = v->to_number<double>();
    if (d >= min && d <= max) return true;
  }
  return fail(name(prefix, key), number_range(min, max), *v);
}

bool SchemaCheck::optional_int(const json::object& o, std::string_view key,
                               std::string_view prefix, std::int64_t min, std::int64_t max) {
  const json::value* v = field(o, key);
  if (v == nullptr) return true;
  if (is_integer(*v)) {
    std::int64_t i = integer_value(*v);
    if (i >= min && i <= max) return true;
  }
  return fail(name(prefix, key), int_range(min, max), *v);
}

bool SchemaCheck::optional_choice(const json::object& o, std::string_view key,
                                  std::string_view prefix,
                                  std::initializer_list<std::string_view> choices) {
  const json::value* v = field(o, key);
  if (v == nullptr) return true;
  if (v->is_string()) {
    std::string_view s = v->get_string();
    for (std::string_view c : choices) {
      if (s == c) return true;
    }
  }
  return fail(name(prefix, key), one_of(choices), *v);
}

bool SchemaCheck::optional_string_or_strings(const json::object& o, std::string_view key,
                                             std::string_view prefix, std::size_t max_items) {
  const json::value* v = field(o, key);
  if (v == nullptr || v->is_string()) return true;
  std::string expected = fmt::format("a string or an array of at most {} strings", max_items);
  if (!v->is_array() || v->get_array().size() > max_items) {
    return fail(name(prefix, key), expected, *v);
  }
  const json::array& a = v->get_array();
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!a[i].is_string()) return fail(fmt::format("{}{}[{}]", prefix, key, i), "a string", a[i]);
  }
  return true;
}

bool SchemaCheck::optional_string_map(const json::object& o, std::string_view key,
                                      std::string_view prefix, std::size_t max_keys,
                                      std::size_t max_key, std::size_t max_value) {
  const json::value* v = field(o, key);
  if (v == nullptr) return true;
  std::string expected = fmt::format("an object of at most {} string values", max_keys);
  if (!v->is_object() || v->get_object().size() > max_keys) {
    return fail(name(prefix, key), expected, *v);
  }
  for (const auto& kv : v->get_object()) {
    std::string param = fmt::format("{}{}.{}", prefix, key, std::string_view(kv.key()));
    if (kv.key().size() > max_key) {
      return fail_with(param, fmt::format("invalid '{}{}': expected keys of at most {} characters, "
                                          "found a key of {}",
                                          prefix, key, max_key, kv.key().size()));
    }
    if (!kv.value().is_string()) return fail(param, "a string", kv.value());
    if (kv.value().get_string().size() > max_value) {
      return fail_with(param, fmt::format("invalid '{}': expected a string of at most {} "
                                          "characters, found {}",
                                          param, max_value, kv.value().get_string().size()));
    }
  }
  return true;
}

bool SchemaCheck::optional_number_map(const json::object& o, std::string_view key,
                                      std::string_view prefix, double min, double max) {
  const json::value* v = field(o, key);
  if (v == nullptr) return true;
  if (!v->is_object()) return fail(name(prefix, key), "an object of numbers", *v);
  for (const auto& kv : v->get_object()) {
    const json::value& x = kv.value();
    if (!x.is_number() || x.to_number<double>() < min || x.to_number<double>() > max) {
      return fail(fmt::format("{}{}.{}", prefix, key, std::string_view(kv.key())),
                  number_range(min, max), x);
    }
  }
  return true;
}

}  // namespace anvil::server
