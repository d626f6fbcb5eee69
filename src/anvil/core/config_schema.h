// The schema of Anvil's configuration: which dotted keys exist ("data_dir", "log.level",
// "bm25.k1"), their types, defaults, limits and one-line descriptions. The app layer declares
// Anvil's keys; Config (config.h) loads values against a schema.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::core {

enum class ConfigType { kString, kInt, kDouble, kBool, kStringList };

// Alternatives in ConfigType order, so value.index() == static_cast<size_t>(type).
using ConfigValue = std::variant<std::string, std::int64_t, double, bool, std::vector<std::string>>;

struct ConfigKey {
  std::string name;  // dotted, lower case: [a-z][a-z0-9_-]* segments joined by '.'
  ConfigType type = ConfigType::kString;
  ConfigValue default_value;
  std::string description;  // one line, shown by `anvil config show --describe`
  std::vector<std::string> choices;  // kString only: allowed values; empty = any
  std::optional<double> min;         // kInt, kDouble: inclusive bounds
  std::optional<double> max;
};

class ConfigSchema {
 public:
  // Each returns *this so a schema reads as one statement. Mistakes (bad name, duplicate, default
  // of the wrong type or outside its limits, a key that is also a table, two keys with the same
  // environment variable) are kept in status(), which Config::load returns: a schema is code,
  // so a mistake in it is a bug to report, not a crash.
  ConfigSchema& add(ConfigKey key);
  ConfigSchema& add_string(std::string name, std::string default_value, std::string description);
  ConfigSchema& add_choice(std::string name, std::string default_value,
                           std::vector<std::string> choices, std::string description);
  ConfigSchema& add_int(std::string name, std::int64_t default_value, std::string description,
                        std::optional<double> min = std::nullopt,
                        std::optional<double> max = std::nullopt);
  ConfigSchema& add_double(std::string name, double default_value, std::string description,
                           std::optional<double> min = std::nullopt,
                           std::optional<double> max = std::nullopt);
  ConfigSchema& add_bool(std::string name, bool default_value, std::string description);
  ConfigSchema& add_string_list(std::string name, std::vector<std::string> default_value,
                                std::string description);

  // A table that another module reads itself (e.g. "gateway", whose arrays of tables flat keys
  // cannot express): Config skips it, whatever it holds.
  ConfigSchema& add_external_table(std::string name);
  bool is_external_table(std::string_view name) const;

  const std::vector<ConfigKey>& keys() const { return keys_; }
  const ConfigKey* find(std::string_view name) const;
  std::optional<std::size_t> index_of(std::string_view name) const;
  // True when some key starts with "<name>." (so `name` is a TOML table).
  bool is_table(std::string_view name) const;
  // Names directly under a table, in schema order: children("bm25") -> {"k1", "b"};
  // children("") -> top-level names ({"data_dir", "log", "bm25"}).
  std::vector<std::string> children(std::string_view table) const;
  const Status& status() const { return status_; }

  // "bm25.k1" -> "ANVIL_BM25_K1": upper case, '.' and '-' become '_'.
  static std::string env_name(std::string_view key);

 private:
  Status check(const ConfigKey& key) const;

  std::vector<ConfigKey> keys_;
  std::map<std::string, std::size_t, std::less<>> index_;
  std::vector<std::string> external_tables_;
  Status status_;
};

// "a string", "an integer", "a number", "a boolean", "a list of strings".
std::string_view config_type_name(ConfigType type);

// What a key accepts, for errors: "a number >= 0", "an integer between 1 and 64",
// "one of trace, debug, info, warn, error".
std::string describe_expected(const ConfigKey& key);

// Checks choices and limits. Error (without source prefix): "expected a number >= 0 for
// 'bm25.k1', found -1".
Status check_limits(const ConfigKey& key, const ConfigValue& value);

// Parses a value given as text (environment, flags). Strings are taken as is; integers and numbers
// are trimmed; booleans accept true/false, 1/0, yes/no, on/off in any case; lists are
// comma-separated, items trimmed, empty items dropped. Error (without source prefix):
// "expected a number for 'bm25.k1', found 'fast'". Limits are checked too.
Result<ConfigValue> parse_config_value(const ConfigKey& key, std::string_view text);

// TOML spelling of a value: "text" (escaped), 42, 1.5, 1.0, true, ["a", "b"].
std::string format_config_value(const ConfigValue& value);

}  // namespace anvil::core
