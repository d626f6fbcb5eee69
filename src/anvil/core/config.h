// Anvil's configuration, loaded in layers against a ConfigSchema:
//   defaults < anvil.toml < ANVIL_* environment variables < flags.
// Every value remembers where it came from, for `anvil config show` and for error messages.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "anvil/core/config_schema.h"
#include "anvil/core/environment.h"
#include "anvil/core/status.h"

namespace anvil::core {

// (key, value as text) pairs from the command line, applied in order (a later one wins).
using ConfigFlags = std::vector<std::pair<std::string, std::string>>;

class Config {
 public:
  // Layers, lowest first:
  //   1. the schema's defaults;
  //   2. the TOML file at `toml_path`, when given: tables map to dotted keys ([bm25] k1 = 1.2 is
  //      "bm25.k1"); unknown keys and wrong types are errors ("anvil.toml:7: unknown key
  //      'bm25.k3' (known keys in [bm25]: k1, b)"); a missing, unreadable or malformed file is an
  //      error with line:column;
  //   3. `environment`: ANVIL_<KEY> with the key upper-cased and '.'/'-' turned into '_'
  //      (ANVIL_BM25_K1 -> bm25.k1). Variables that match no key are ignored (the environment
  //      also carries secrets and other tools' settings); empty values count as unset;
  //   4. `flags`.
  // All value errors of all layers are reported together, one per line, each naming its source:
  // "environment ANVIL_BM25_K1: expected a number for 'bm25.k1', found 'fast'".
  static Result<Config> load(const ConfigSchema& schema,
                             const std::optional<std::filesystem::path>& toml_path,
                             const Environment& environment, const ConfigFlags& flags);

  // As load(), with the TOML document given as text; `source_name` stands in for its path in
  // messages and sources.
  static Result<Config> load_from_string(const ConfigSchema& schema, std::string_view toml_text,
                                         std::string_view source_name,
                                         const Environment& environment, const ConfigFlags& flags);

  // Typed getters. Asking for a key the schema lacks (kNotFound) or with the wrong type
  // (kInternal) is a bug in the caller; the messages say which.
  Result<std::string> get_string(std::string_view key) const;
  Result<std::int64_t> get_int(std::string_view key) const;
  Result<double> get_double(std::string_view key) const;
  Result<bool> get_bool(std::string_view key) const;
  Result<std::vector<std::string>> get_string_list(std::string_view key) const;

  // The value, or null for a key the schema lacks.
  const ConfigValue* find(std::string_view key) const;

  // "default", "anvil.toml:7", "environment ANVIL_BM25_K1" or "flag"; "" for an unknown key.
  std::string source_of(std::string_view key) const;

  // One line per key in schema order, keys aligned: `bm25.k1  = 1.2  (anvil.toml:7)`. With
  // descriptions, each line is preceded by "# <description>". Registered secrets are redacted.
  std::string dump(bool with_descriptions = false) const;

  const ConfigSchema& schema() const { return schema_; }

 private:
  struct Entry {
    ConfigValue value;
    std::string source;
  };

  explicit Config(const ConfigSchema& schema);
  static Result<Config> load_layers(const ConfigSchema& schema,
                                    std::optional<std::pair<std::string, std::string>> toml,
                                    const Environment& environment, const ConfigFlags& flags);
  Result<const Entry*> typed(std::string_view key, ConfigType type) const;

  ConfigSchema schema_;
  std::vector<Entry> entries_;  // parallel to schema_.keys()
};

// Splits a command-line override "bm25.k1=1.5" at the first '=' into ("bm25.k1", "1.5").
// Errors: "expected KEY=VALUE, found 'bm25.k1'".
Result<std::pair<std::string, std::string>> parse_flag_override(std::string_view text);

}  // namespace anvil::core
