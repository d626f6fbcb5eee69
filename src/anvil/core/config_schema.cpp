#include "anvil/core/config_schema.h"

#include "anvil/core/quote.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

namespace anvil::core {
namespace {

bool valid_segment(std::string_view s) {
  if (s.empty() || s[0] < 'a' || s[0] > 'z') return false;
  for (char c : s) {
    bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-';
    if (!ok) return false;
  }
  return true;
}

bool valid_key_name(std::string_view name) {
  std::size_t start = 0;
  for (;;) {
    std::size_t dot = name.find('.', start);
    std::string_view segment = name.substr(start, dot == std::string_view::npos ? dot : dot - start);
    if (!valid_segment(segment)) return false;
    if (dot == std::string_view::npos) return true;
    start = dot + 1;
  }
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  return s;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

// A bound as written in messages: 1 rather than 1.0 for whole numbers.
std::string format_bound(double v) { return fmt::format("{}", v); }

Status text_error(const ConfigKey& key, std::string_view expected, std::string_view text) {
  return Status::invalid_argument(
      fmt::format("expected {} for '{}', found '{}'", expected, key.name, text));
}

}  // namespace

std::string_view config_type_name(ConfigType type) {
  switch (type) {
    case ConfigType::kString: return "a string";
    case ConfigType::kInt: return "an integer";
    case ConfigType::kDouble: return "a number";
    case ConfigType::kBool: return "a boolean";
    case ConfigType::kStringList: return "a list of strings";
  }
  return "a value";
}

std::string describe_expected(const ConfigKey& key) {
  if (key.type == ConfigType::kString && !key.choices.empty()) {
    std::string out = "one of ";
    for (std::size_t i = 0; i < key.choices.size(); ++i) {
      if (i > 0) out += ", ";
      out += key.choices[i];
    }
    return out;
  }
  std::string out(config_type_name(key.type));
  if (key.type != ConfigType::kInt && key.type != ConfigType::kDouble) return out;
  if (key.min && key.max) {
    out += fmt::format(" between {} and {}", format_bound(*key.min), format_bound(*key.max));
  } else if (key.min) {
    out += fmt::format(" >= {}", format_bound(*key.min));
  } else if (key.max) {
    out += fmt::format(" <= {}", format_bound(*key.max));
  }
  return out;
}

Status check_limits(const ConfigKey& key, const ConfigValue& value) {
  auto fail = [&] {
    return Status::invalid_argument(fmt::format("expected {} for '{}', found {}",
                                                describe_expected(key), key.name,
                                                format_config_value(value)));
  };
  if (key.type == ConfigType::kString && !key.choices.empty()) {
    const auto& s = std::get<std::string>(value);
    for (const std::string& choice : key.choices) {
      if (choice == s) return {};
    }
    return fail();
  }
  double v = 0;
  if (key.type == ConfigType::kInt) {
    v = static_cast<double>(std::get<std::int64_t>(value));
  } else if (key.type == ConfigType::kDouble) {
    v = std::get<double>(value);
  } else {
    return {};
  }
  if ((key.min && v < *key.min) || (key.max && v > *key.max)) return fail();
  return {};
}

Result<ConfigValue> parse_config_value(const ConfigKey& key, std::string_view text) {
  ConfigValue value;
  switch (key.type) {
    case ConfigType::kString:
      value = std::string(text);
      break;
    case ConfigType::kInt: {
      std::string_view t = trim(text);
      if (t.starts_with('+')) t.remove_prefix(1);
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size()) {
        return text_error(key, ec == std::errc::result_out_of_range
                                   ? "an integer that fits in 64 bits"
                                   : "an integer",
                          text);
      }
      value = v;
      break;
    }
    case ConfigType::kDouble: {
      std::string_view t = trim(text);
      if (t.starts_with('+')) t.remove_prefix(1);
      double v = 0;
      auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
      if (t.empty() || ec != std::errc() || end != t.data() + t.size() || !std::isfinite(v)) {
        return text_error(key, "a number", text);
      }
      value = v;
      break;
    }
    case ConfigType::kBool: {
      std::string t = lower(trim(text));
      if (t == "true" || t == "1" || t == "yes" || t == "on") {
        value = true;
      } else if (t == "false" || t == "0" || t == "no" || t == "off") {
        value = false;
      } else {
        return text_error(key, "a boolean (true or false)", text);
      }
      break;
    }
    case ConfigType::kStringList: {
      std::vector<std::string> items;
      std::size_t start = 0;
      while (start <= text.size()) {
        std::size_t comma = text.find(',', start);
        if (comma == std::string_view::npos) comma = text.size();
        std::string_view item = trim(text.substr(start, comma - start));
        if (!item.empty()) items.emplace_back(item);
        start = comma + 1;
      }
      value = std::move(items);
      break;
    }
  }
  ANVIL_RETURN_IF_ERROR(check_limits(key, value));
  return value;
}

std::string format_config_value(const ConfigValue& value) {
  struct Visitor {
    std::string operator()(const std::string& s) const { return quoted(s); }
    std::string operator()(std::int64_t v) const { return fmt::format("{}", v); }
    std::string operator()(double v) const {
      std::string out = fmt::format("{}", v);
      // TOML needs a '.' or exponent to read a float back as a float.
      if (std::isfinite(v) && out.find_first_of(".e") == std::string::npos) out += ".0";
      return out;
    }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::vector<std::string>& list) const {
      std::string out = "[";
      for (std::size_t i = 0; i < list.size(); ++i) {
        if (i > 0) out += ", ";
        out += (*this)(list[i]);
      }
      return out + "]";
    }
  };
  return std::visit(Visitor{}, value);
}

std::string ConfigSchema::env_name(std::string_view key) {
  std::string out = "ANVIL_";
  for (char c : key) {
    if (c == '.' || c == '-') {
      out += '_';
    } else {
      out += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
  }
  return out;
}

Status ConfigSchema::check(const ConfigKey& key) const {
  if (!valid_key_name(key.name)) {
    return Status::internal(fmt::format(
        "config schema: invalid key name '{}' (expected lower-case dotted names like 'bm25.k1')",
        key.name));
  }
  if (index_.count(key.name) > 0) {
    return Status::internal(fmt::format("config schema: key '{}' is defined twice", key.name));
  }
  if (key.default_value.index() != static_cast<std::size_t>(key.type)) {
    return Status::internal(fmt::format("config schema: default of '{}' is not {}", key.name,
                                        config_type_name(key.type)));
  }
  Status limits = check_limits(key, key.default_value);
  if (!limits.ok()) {
    return Status::internal(fmt::format("config schema: default of '{}': {}", key.name,
                                        limits.message()));
  }
  const std::string env = env_name(key.name);
  for (const ConfigKey& other : keys_) {
    // A key cannot also be a table ("log" and "log.level"): TOML could not hold both.
    if (other.name.starts_with(key.name + ".") || key.name.starts_with(other.name + ".")) {
      return Status::internal(fmt::format("config schema: key '{}' conflicts with key '{}' (one "
                                          "would have to be both a value and a table)",
                                          key.name, other.name));
    }
    if (env_name(other.name) == env) {
      return Status::internal(fmt::format(
          "config schema: keys '{}' and '{}' both map to environment variable {}", other.name,
          key.name, env));
    }
  }
  return {};
}

ConfigSchema& ConfigSchema::add(ConfigKey key) {
  Status s = check(key);
  if (!s.ok()) {
    if (status_.ok()) status_ = std::move(s);
    return *this;
  }
  index_.emplace(key.name, keys_.size());
  keys_.push_back(std::move(key));
  return *this;
}

ConfigSchema& ConfigSchema::add_string(std::string name, std::string default_value,
                                       std::string description) {
  return add({std::move(name), ConfigType::kString, std::move(default_value),
              std::move(description)});
}

ConfigSchema& ConfigSchema::add_choice(std::string name, std::string default_value,
                                       std::vector<std::string> choices, std::string description) {
  return add({std::move(name), ConfigType::kString, std::move(default_value),
              std::move(description), std::move(choices)});
}

ConfigSchema& ConfigSchema::add_int(std::string name, std::int64_t default_value,
                                    std::string description, std::optional<double> min,
                                    std::optional<double> max) {
  return add({std::move(name), ConfigType::kInt, default_value, std::move(description), {}, min,
              max});
}

ConfigSchema& ConfigSchema::add_double(std::string name, double default_value,
                                       std::string description, std::optional<double> min,
                                       std::optional<double> max) {
  return add({std::move(name), ConfigType::kDouble, default_value, std::move(description), {},
              min, max});
}

ConfigSchema& ConfigSchema::add_bool(std::string name, bool default_value,
                                     std::string description) {
  return add({std::move(name), ConfigType::kBool, default_value, std::move(description)});
}

ConfigSchema& ConfigSchema::add_string_list(std::string name,
                                            std::vector<std::string> default_value,
                                            std::string description) {
  return add({std::move(name), ConfigType::kStringList, std::move(default_value),
              std::move(description)});
}

const ConfigKey* ConfigSchema::find(std::string_view name) const {
  auto i = index_of(name);
  return i ? &keys_[*i] : nullptr;
}

std::optional<std::size_t> ConfigSchema::index_of(std::string_view name) const {
  auto it = index_.find(name);
  if (it == index_.end()) return std::nullopt;
  return it->second;
}

ConfigSchema& ConfigSchema::add_external_table(std::string name) {
  external_tables_.push_back(std::move(name));
  return *this;
}

bool ConfigSchema::is_external_table(std::string_view name) const {
  return std::find(external_tables_.begin(), external_tables_.end(), name) != external_tables_.end();
}

bool ConfigSchema::is_table(std::string_view name) const {
  for (const ConfigKey& key : keys_) {
    if (key.name.size() > name.size() && key.name.starts_with(name) && key.name[name.size()] == '.') {
      return true;
    }
  }
  return false;
}

std::vector<std::string> ConfigSchema::children(std::string_view table) const {
  std::vector<std::string> out;
  for (const ConfigKey& key : keys_) {
    std::string_view rest = key.name;
    if (!table.empty()) {
      if (!(rest.size() > table.size() && rest.starts_with(table) && rest[table.size()] == '.')) {
        continue;
      }
      rest.remove_prefix(table.size() + 1);
    }
    std::string child(rest.substr(0, rest.find('.')));
    if (std::find(out.begin(), out.end(), child) == out.end()) out.push_back(std::move(child));
  }
  return out;
}

}  // namespace anvil::core
