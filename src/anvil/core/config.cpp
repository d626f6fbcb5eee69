#include "anvil/core/config.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <toml++/toml.h>

#include "anvil/core/file_io.h"
#include "anvil/core/redactor.h"

namespace anvil::core {
namespace {

// `string "fast"`, `integer 3`, `float 1.5`, `boolean true`, `array`, `table`, `date`...
std::string describe_toml(const toml::node& node) {
  if (auto s = node.as_string()) return "string " + format_config_value(s->get());
  if (auto i = node.as_integer()) return fmt::format("integer {}", i->get());
  if (auto f = node.as_floating_point()) return fmt::format("float {}", f->get());
  if (auto b = node.as_boolean()) return b->get() ? "boolean true" : "boolean false";
  if (node.is_array()) return "array";
  if (node.is_table()) return "table";
  if (node.is_date()) return "date";
  if (node.is_time()) return "time";
  if (node.is_date_time()) return "date-time";
  return "value";
}

// Collects value errors from every layer so that one run reports them all.
class Loader {
 public:
  Loader(const ConfigSchema& schema, std::string toml_source)
      : schema_(schema), toml_source_(std::move(toml_source)) {}

  std::vector<std::string> errors;
  // Index into schema keys -> (value, source).
  std::vector<std::pair<std::size_t, std::pair<ConfigValue, std::string>>> assignments;

  void walk(const toml::table& table, const std::string& prefix) {
    for (auto&& [k, node] : table) {
      std::string name = prefix.empty() ? std::string(k.str()) : prefix + "." + std::string(k.str());
      const std::uint32_t line = line_of(k, node);
      std::string where = fmt::format("{}:{}", toml_source_, line);
      if (schema_.is_external_table(name)) continue;
      if (auto index = schema_.index_of(name)) {
        assign_toml(*index, node, line, where);
      } else if (schema_.is_table(name)) {
        if (const toml::table* sub = node.as_table()) {
          walk(*sub, name);
        } else {
          toml_errors_.emplace_back(
              line, fmt::format("{}: expected a table for '{}' (keys: {}), found {}", where, name,
                                join(schema_.children(name)), describe_toml(node)));
        }
      } else {
        std::string known = prefix.empty()
                                ? "known top-level keys: " + join(schema_.children(""))
                                : fmt::format("known keys in [{}]: {}", prefix,
                                              join(schema_.children(prefix)));
        toml_errors_.emplace_back(line, fmt::format("{}: unknown {} '{}' ({})", where,
                                                    node.is_table() ? "table" : "key", name, known));
      }
    }
  }

  // TOML tables iterate in key order; errors are reported in line order instead.
  void finish_toml() {
    std::stable_sort(toml_errors_.begin(), toml_errors_.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (auto& e : toml_errors_) errors.push_back(std::move(e.second));
    toml_errors_.clear();
  }

  void assign_text(std::size_t index, std::string_view text, const std::string& where) {
    Result<ConfigValue> value = parse_config_value(schema_.keys()[index], text);
    if (!value.ok()) {
      errors.push_back(fmt::format("{}: {}", where, value.status().message()));
      return;
    }
    assignments.push_back({index, {std::move(value).value(), where}});
  }

  std::string unknown_key(std::string_view name) const {
    std::size_t dot = name.rfind('.');
    if (dot == std::string_view::npos) {
      return fmt::format("unknown key '{}' (known top-level keys: {})", name,
                         join(schema_.children("")));
    }
    std::string_view table = name.substr(0, dot);
    if (!schema_.is_table(table)) {
      return fmt::format("unknown key '{}' (known top-level keys: {})", name,
                         join(schema_.children("")));
    }
    return fmt::format("unknown key '{}' (known keys in [{}]: {})", name, table,
                       join(schema_.children(table)));
  }

 private:
  static std::string join(const std::vector<std::string>& items) {
    std::string out;
    for (const std::string& item : items) {
      if (!out.empty()) out += ", ";
      out += item;
    }
    return out;
  }

  static std::uint32_t line_of(const toml::key& k, const toml::node& node) {
    if (k.source().begin.line > 0) return k.source().begin.line;
    return node.source().begin.line;
  }

  void assign_toml(std::size_t index, const toml::node& node, std::uint32_t line,
                   const std::string& where) {
    const ConfigKey& key = schema_.keys()[index];
    auto mismatch = [&](std::string found) {
      toml_errors_.emplace_back(line, fmt::format("{}: expected {} for '{}', found {}", where,
                                                  config_type_name(key.type), key.name, found));
    };
    ConfigValue value;
    switch (key.type) {
      case ConfigType::kString:
        if (auto s = node.as_string()) {
          value = s->get();
        } else {
          return mismatch(describe_toml(node));
        }
        break;
      case ConfigType::kInt:
        if (auto i = node.as_integer()) {
          value = i->get();
        } else {
          return mismatch(describe_toml(node));
        }
        break;
      case ConfigType::kDouble:
        if (auto f = node.as_floating_point(); f && std::isfinite(f->get())) {
          value = f->get();
        } else if (auto i = node.as_integer()) {
          value = static_cast<double>(i->get());
        } else {
          return mismatch(describe_toml(node));
        }
        break;
      case ConfigType::kBool:
        if (auto b = node.as_boolean()) {
          value = b->get();
        } else {
          return mismatch(describe_toml(node));
        }
        break;
      case ConfigType::kStringList: {
        const toml::array* array = node.as_array();
        if (array == nullptr) return mismatch(describe_toml(node));
        std::vector<std::string> items;
        for (std::size_t i = 0; i < array->size(); ++i) {
          const toml::node& item = *array->get(i);
          auto s = item.as_string();
          if (!s) {
            return mismatch(fmt::format("{} as element {}", describe_toml(item), i + 1));
          }
          items.push_back(s->get());
        }
        value = std::move(items);
        break;
      }
    }
    Status limits = check_limits(key, value);
    if (!limits.ok()) {
      toml_errors_.emplace_back(line, fmt::format("{}: {}", where, limits.message()));
      return;
    }
    assignments.push_back({index, {std::move(value), where}});
  }

  const ConfigSchema& schema_;
  std::string toml_source_;
  std::vector<std::pair<std::uint32_t, std::string>> toml_errors_;  // (line, message)
};

}  // namespace

Config::Config(const ConfigSchema& schema) : schema_(schema) {
  entries_.reserve(schema_.keys().size());
  for (const ConfigKey& key : schema_.keys()) entries_.push_back({key.default_value, "default"});
}

Result<Config> Config::load(const ConfigSchema& schema,
                            const std::optional<std::filesystem::path>& toml_path,
                            const Environment& environment, const ConfigFlags& flags) {
  std::optional<std::pair<std::string, std::string>> toml;
  if (toml_path) {
    Result<std::string> text = read_file(*toml_path);
    if (!text.ok()) {
      return Status(text.status().code(),
                    fmt::format("config file {}", text.status().message()));
    }
    toml.emplace(std::move(text).value(), toml_path->string());
  }
  return load_layers(schema, std::move(toml), environment, flags);
}

Result<Config> Config::load_from_string(const ConfigSchema& schema, std::string_view toml_text,
                                        std::string_view source_name,
                                        const Environment& environment, const ConfigFlags& flags) {
  return load_layers(schema, std::make_pair(std::string(toml_text), std::string(source_name)),
                     environment, flags);
}

Result<Config> Config::load_layers(const ConfigSchema& schema,
                                   std::optional<std::pair<std::string, std::string>> toml,
                                   const Environment& environment, const ConfigFlags& flags) {
  ANVIL_RETURN_IF_ERROR(schema.status());
  Config config(schema);
  Loader loader(schema, toml ? toml->second : std::string());

  if (toml) {
    const auto& [text, source] = *toml;
    try {
      toml::table table = toml::parse(text, source);
      loader.walk(table, "");
      loader.finish_toml();
    } catch (const toml::parse_error& e) {
      const auto& begin = e.source().begin;
      return Status::invalid_argument(fmt::format("{}:{}:{}: invalid TOML: {}", source,
                                                  begin.line, begin.column, e.description()));
    }
  }

  for (std::size_t i = 0; i < schema.keys().size(); ++i) {
    std::string env = ConfigSchema::env_name(schema.keys()[i].name);
    auto it = environment.find(env);
    if (it == environment.end() || it->second.empty()) continue;
    loader.assign_text(i, it->second, "environment " + env);
  }

  for (const auto& [key, value] : flags) {
    auto index = schema.index_of(key);
    if (!index) {
      loader.errors.push_back("flag: " + loader.unknown_key(key));
      continue;
    }
    loader.assign_text(*index, value, "flag");
  }

  if (!loader.errors.empty()) {
    std::string message;
    for (const std::string& error : loader.errors) {
      if (!message.empty()) message += "\n";
      message += error;
    }
    return Status::invalid_argument(std::move(message));
  }
  for (auto& [index, assignment] : loader.assignments) {
    config.entries_[index] = {std::move(assignment.first), std::move(assignment.second)};
  }
  return config;
}

Result<const Config::Entry*> Config::typed(std::string_view key, ConfigType type) const {
  auto index = schema_.index_of(key);
  if (!index) return Status::not_found(fmt::format("config key '{}' is not in the schema", key));
  const ConfigKey& k = schema_.keys()[*index];
  if (k.type != type) {
    return Status::internal(fmt::format("config key '{}' holds {}, not {}", key,
                                        config_type_name(k.type), config_type_name(type)));
  }
  return &entries_[*index];
}

Result<std::string> Config::get_string(std::string_view key) const {
  ANVIL_ASSIGN_OR_RETURN(const Entry* e, typed(key, ConfigType::kString));
  return std::get<std::string>(e->value);
}

Result<std::int64_t> Config::get_int(std::string_view key) const {
  ANVIL_ASSIGN_OR_RETURN(const Entry* e, typed(key, ConfigType::kInt));
  return std::get<std::int64_t>(e->value);
}

Result<double> Config::get_double(std::string_view key) const {
  ANVIL_ASSIGN_OR_RETURN(const Entry* e, typed(key, ConfigType::kDouble));
  return std::get<double>(e->value);
}

Result<bool> Config::get_bool(std::string_view key) const {
  ANVIL_ASSIGN_OR_RETURN(const Entry* e, typed(key, ConfigType::kBool));
  return std::get<bool>(e->value);
}

Result<std::vector<std::string>> Config::get_string_list(std::string_view key) const {
  ANVIL_ASSIGN_OR_RETURN(const Entry* e, typed(key, ConfigType::kStringList));
  return std::get<std::vector<std::string>>(e->value);
}

const ConfigValue* Config::find(std::string_view key) const {
  auto index = schema_.index_of(key);
  return index ? &entries_[*index].value : nullptr;
}

std::string Config::source_of(std::string_view key) const {
  auto index = schema_.index_of(key);
  return index ? entries_[*index].source : std::string();
}

std::string Config::dump(bool with_descriptions) const {
  std::size_t width = 0;
  for (const ConfigKey& key : schema_.keys()) width = std::max(width, key.name.size());
  std::string out;
  for (std::size_t i = 0; i < entries_.size(); ++i) {
    const ConfigKey& key = schema_.keys()[i];
    if (with_descriptions && !key.description.empty()) out += "# " + key.description + "\n";
    out += fmt::format("{:<{}} = {}  ({})\n", key.name, width,
                       format_config_value(entries_[i].value), entries_[i].source);
  }
  return redact(out);
}

Result<std::pair<std::string, std::string>> parse_flag_override(std::string_view text) {
  std::size_t eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0) {
    return Status::invalid_argument(fmt::format("expected KEY=VALUE, found '{}'", text));
  }
  return std::make_pair(std::string(text.substr(0, eq)), std::string(text.substr(eq + 1)));
}

}  // namespace anvil::core
