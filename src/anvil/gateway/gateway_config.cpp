#include "anvil/gateway/gateway_config.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>
#include <toml++/toml.h>

#include "anvil/core/file_io.h"

namespace anvil::gateway {
namespace {

std::string join(const std::vector<std::string>& items) {
  return fmt::format("{}", fmt::join(items, ", "));
}

// `string "x"`, `integer 3`, `float 1.5`, `boolean true`, `array`, `table`.
std::string describe(const toml::node& node) {
  if (auto s = node.as_string()) return fmt::format("string \"{}\"", s->get());
  if (auto i = node.as_integer()) return fmt::format("integer {}", i->get());
  if (auto f = node.as_floating_point()) return fmt::format("float {}", f->get());
  if (auto b = node.as_boolean()) return b->get() ? "boolean true" : "boolean false";
  if (node.is_array()) return "array";
  if (node.is_table()) return "table";
  return "a date or time";
}

// Reads the tables of [gateway], collecting every error with its line.
class Parser {
 public:
  explicit Parser(std::string source) : source_(std::move(source)) {}

  std::vector<std::pair<std::uint32_t, std::string>> errors;

  void error(const toml::node& at, std::string message) { error(line(at), std::move(message)); }
  void error(std::uint32_t at, std::string message) {
    errors.emplace_back(at, fmt::format("{}:{}: {}", source_, at, message));
  }
  static std::uint32_t line(const toml::node& node) { return node.source().begin.line; }

  // Reports every key of `table` not in `known`; `where` names the table ("[gateway.retry]").
  void check_keys(const toml::table& table, std::string_view where,
                  const std::vector<std::string>& known) {
    for (auto&& [key, node] : table) {
      if (std::find(known.begin(), known.end(), key.str()) != known.end()) continue;
      const std::uint32_t at = key.source().begin.line > 0 ? key.source().begin.line : line(node);
      if (key.str() == "api_key") {
        error(at, fmt::format("{}: secrets never live in anvil.toml; name the secret that holds "
                              "the key with api_key_secret (see docs/GATEWAY.md)",
                              where));
        continue;
      }
      error(at, fmt::format("unknown key '{}' in {} (known keys: {})", key.str(), where,
                            join(known)));
    }
  }

  // A subtable by name; null (and an error if present but not a table).
  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view where) {
    const toml::node* node = parent.get(key);
    if (node == nullptr) return nullptr;
    if (const toml::table* t = node->as_table()) return t;
    error(*node, fmt::format("expected a table for {}, found {}", where, describe(*node)));
    return nullptr;
  }

  bool string(const toml::table& t, std::string_view key, std::string_view where, std::string& out,
              bool required) {
    const toml::node* node = t.get(key);
    if (node == nullptr) {
      if (required) error(t, fmt::format("{}: expected a string '{}', found none", where, key));
      return false;
    }
    if (auto s = node->as_string()) {
      out = s->get();
      return true;
    }
    error(*node, fmt::format("{}: expected a string for '{}', found {}", where, key, describe(*node)));
    return false;
  }

  void strings(const toml::table& t, std::string_view key, std::string_view where,
               std::vector<std::string>& out, std::vector<std::uint32_t>* lines = nullptr) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return;
    const toml::array* array = node->as_array();
    if (array == nullptr) {
      error(*node, fmt::format("{}: expected a list of strings for '{}', found {}", where, key,
                               describe(*node)));
      return;
    }
    for (const toml::node& item : *array) {
      if (auto s = item.as_string()) {
        out.push_back(s->get());
        if (lines != nullptr) lines->push_back(line(item) > 0 ? line(item) : line(*node));
      } else {
        error(item, fmt::format("{}: expected a list of strings for '{}', found {} in it", where,
                                key, describe(item)));
      }
    }
  }

  // A number (integer or float) within [min, max].
  template <typename T>
  void number(const toml::table& t, std::string_view key, std::string_view where, T& out,
              double min, double max) {
    const toml::node* node = t.get(key);
    if (node == nullptr) return;
    double value = 0;
    if (auto i = node->as_integer()) {
      value = static_cast<double>(i->get());
    } else if (auto f = node->as_floating_point(); f != nullptr && std::is_floating_point_v<T>) {
      value = f->get();
    } else {
      error(*node, fmt::format("{}: expected {} for '{}', found {}", where,
                               std::is_floating_point_v<T> ? "a number" : "an integer", key,
                               describe(*node)));
      return;
    }
    if (!(value >= min && value <= max)) {
      error(*node, fmt::format("{}: expected '{}' between {} and {}, found {}", where, key, min,
                               max, describe(*node)));
      return;
    }
    out = static_cast<T>(value);
  }

  template <typename Duration>
  void duration(const toml::table& t, std::string_view key, std::string_view where, Duration& out,
                double min, double max) {
    std::int64_t count = out.count();
    number(t, key, where, count, min, max);
    out = Duration(count);
  }

 private:
  std::string source_;
};

constexpr double kMaxCount = 1e15;

void parse_retry(Parser& p, const toml::table& t, RetrySettings& r) {
  const char* where = "[gateway.retry]";
  p.check_keys(t, where, {"max_attempts", "base_delay_ms", "max_delay_ms"});
  p.number(t, "max_attempts", where, r.max_attempts, 1, 100);
  p.duration(t, "base_delay_ms", where, r.base_delay, 0, 3600000);
  p.duration(t, "max_delay_ms", where, r.max_delay, 0, 3600000);
}

void parse_breaker(Parser& p, const toml::table& t, BreakerSettings& b) {
  const char* where = "[gateway.breaker]";
  p.check_keys(t, where, {"window_s", "buckets", "min_requests", "error_rate",
                          "consecutive_failures", "cooldown_s"});
  std::chrono::seconds window = std::chrono::duration_cast<std::chrono::seconds>(b.window);
  std::chrono::seconds cooldown = std::chrono::duration_cast<std::chrono::seconds>(b.cooldown);
  p.duration(t, "window_s", where, window, 1, 86400);
  p.duration(t, "cooldown_s", where, cooldown, 0, 86400);
  b.window = window;
  b.cooldown = cooldown;
  p.number(t, "buckets", where, b.buckets, 1, 3600);
  p.number(t, "min_requests", where, b.min_requests, 1, 1e9);
  p.number(t, "error_rate", where, b.error_rate, 0, 1);
  p.number(t, "consecutive_failures", where, b.consecutive_failures, 0, 1e9);
}

void parse_cache(Parser& p, const toml::table& t, CacheSettings& c) {
  const char* where = "[gateway.cache]";
  p.check_keys(t, where, {"max_entries", "max_bytes", "shards"});
  p.number(t, "max_entries", where, c.max_entries, 1, kMaxCount);
  p.number(t, "max_bytes", where, c.max_bytes, 1024, kMaxCount);
  p.number(t, "shards", where, c.shards, 1, 1024);
}

void parse_local(Parser& p, const toml::table& t, LocalProviderOptions& l) {
  const char* where = "[gateway.local]";
  p.check_keys(t, where, {"threads", "max_sequences", "n_ctx", "n_batch", "max_waiting",
                          "encoder_max_batch", "encoder_batch_tokens"});
  p.number(t, "threads", where, l.threads, 0, 1024);
  p.number(t, "max_sequences", where, l.max_sequences, 1, 4096);
  p.number(t, "n_ctx", where, l.n_ctx, 16, 1 << 24);
  p.number(t, "n_batch", where, l.n_batch, 1, 1 << 16);
  p.number(t, "max_waiting", where, l.max_waiting, 0, 1e6);
  p.number(t, "encoder_max_batch", where, l.encoder_max_batch, 1, 4096);
  p.number(t, "encoder_batch_tokens", where, l.encoder_batch_tokens, 16, 1 << 24);
}

Deployment parse_deployment(Parser& p, const toml::table& t, std::size_t index) {
  Deployment d;
  const std::string anonymous = fmt::format("[[gateway.deployments]] #{}", index + 1);
  p.string(t, "name", anonymous, d.name, true);
  const std::string where = d.name.empty() ? anonymous : fmt::format("deployment '{}'", d.name);
  p.check_keys(t, "[[gateway.deployments]]",
               {"name", "provider", "model", "base_url", "api_key_secret", "price_prompt",
                "price_completion", "price_cached", "weight", "context_window",
                "tokenizer", "connect_timeout_ms", "first_byte_timeout_ms", "idle_timeout_ms"});
  p.string(t, "provider", where, d.provider, true);
  p.string(t, "model", where, d.model, true);
  p.string(t, "base_url", where, d.base_url, d.provider == "openai");
  p.string(t, "api_key_secret", where, d.api_key_secret, false);
  p.number(t, "price_prompt", where, d.price.prompt_per_million, 0, 1e6);
  p.number(t, "price_completion", where, d.price.completion_per_million, 0, 1e6);
  d.price.cached_per_million = d.price.prompt_per_million;  // no discount unless configured
  p.number(t, "price_cached", where, d.price.cached_per_million, 0, 1e6);
  p.number(t, "weight", where, d.weight, 0, 1e6);
  p.number(t, "context_window", where, d.context_window, 0, 1e9);
  p.string(t, "tokenizer", where, d.tokenizer, false);
  p.duration(t, "connect_timeout_ms", where, d.connect_timeout, 1, 3600000);
  p.duration(t, "first_byte_timeout_ms", where, d.first_byte_timeout, 1, 3600000);
  p.duration(t, "idle_timeout_ms", where, d.idle_timeout, 1, 3600000);
  return d;
}

struct ModelLines {
  std::uint32_t at = 0;
  std::vector<std::uint32_t> deployments, fallbacks, context_fallbacks;
};

ModelRoute parse_model(Parser& p, const toml::table& t, std::size_t index, ModelLines& lines) {
  ModelRoute m;
  lines.at = Parser::line(t);
  const std::string anonymous = fmt::format("[[gateway.models]] #{}", index + 1);
  p.string(t, "name", anonymous, m.name, true);
  const std::string where = m.name.empty() ? anonymous : fmt::format("model '{}'", m.name);
  p.check_keys(t, "[[gateway.models]]",
               {"name", "deployments", "fallbacks", "context_window_fallbacks", "cache",
                "max_prompt_tokens"});
  p.strings(t, "deployments", where, m.deployments, &lines.deployments);
  if (m.deployments.empty() && t.get("deployments") == nullptr) {
    p.error(t, fmt::format("{}: expected a list of deployments, found none", where));
  }
  if (t.get("max_prompt_tokens") != nullptr) {
    std::int64_t limit = 0;
    p.number(t, "max_prompt_tokens", where, limit, 0, 1e9);
    m.max_prompt_tokens = limit;
  }
  p.strings(t, "fallbacks", where, m.fallbacks, &lines.fallbacks);
  p.strings(t, "context_window_fallbacks", where, m.context_window_fallbacks,
            &lines.context_fallbacks);
  if (const toml::node* cache = t.get("cache")) {
    if (auto on = cache->as_boolean()) {
      m.cache.enabled = on->get();
    } else if (const toml::table* c = cache->as_table()) {
      const std::string cache_where = where + " cache";
      p.check_keys(*c, cache_where, {"enabled", "ttl_s", "stale_s"});
      m.cache.enabled = true;
      if (const toml::node* enabled = c->get("enabled")) {
        if (auto b = enabled->as_boolean()) {
          m.cache.enabled = b->get();
        } else {
          p.error(*enabled, fmt::format("{}: expected a boolean for 'enabled', found {}",
                                        cache_where, describe(*enabled)));
        }
      }
      p.duration(*c, "ttl_s", cache_where, m.cache.ttl, 1, 365.0 * 86400);
      p.duration(*c, "stale_s", cache_where, m.cache.stale_ttl, 0, 365.0 * 86400);
    } else {
      p.error(*cache, fmt::format("{}: expected a table (or a boolean) for 'cache', found {}",
                                  where, describe(*cache)));
    }
  }
  return m;
}

// Every name a model refers to must be defined; every name defined once.
void check_references(Parser& p, const GatewayConfig& config,
                      const std::vector<std::uint32_t>& deployment_lines,
                      const std::vector<ModelLines>& model_lines) {
  std::map<std::string, std::uint32_t> deployments, models;
  std::vector<std::string> deployment_names, model_names;
  for (std::size_t i = 0; i < config.deployments.size(); ++i) {
    const std::string& name = config.deployments[i].name;
    if (name.empty()) continue;
    auto [it, fresh] = deployments.emplace(name, deployment_lines[i]);
    if (!fresh) {
      p.error(deployment_lines[i], fmt::format("deployment '{}' is defined twice (first at line {})",
                                               name, it->second));
    } else {
      deployment_names.push_back(name);
    }
  }
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    const std::string& name = config.models[i].name;
    if (name.empty()) continue;
    auto [it, fresh] = models.emplace(name, model_lines[i].at);
    if (!fresh) {
      p.error(model_lines[i].at,
              fmt::format("model '{}' is defined twice (first at line {})", name, it->second));
    } else {
      model_names.push_back(name);
    }
  }
  for (std::size_t i = 0; i < config.models.size(); ++i) {
    const ModelRoute& m = config.models[i];
    const ModelLines& lines = model_lines[i];
    for (std::size_t j = 0; j < m.deployments.size(); ++j) {
      if (deployments.count(m.deployments[j]) == 0) {
        p.error(lines.deployments[j],
                fmt::format("deployment '{}' in model '{}' is not defined (defined: {})",
                            m.deployments[j], m.name, join(deployment_names)));
      }
    }
    const auto check_models = [&](const std::vector<std::string>& names,
                                  const std::vector<std::uint32_t>& at, std::string_view key) {
      for (std::size_t j = 0; j < names.size(); ++j) {
        if (names[j] == m.name) {
          p.error(at[j], fmt::format("model '{}' lists itself in {}", m.name, key));
        } else if (models.count(names[j]) == 0) {
          p.error(at[j], fmt::format("model '{}' in the {} of model '{}' is not defined (defined: {})",
                                     names[j], key, m.name, join(model_names)));
        }
      }
    };
    check_models(m.fallbacks, lines.fallbacks, "fallbacks");
    check_models(m.context_window_fallbacks, lines.context_fallbacks, "context_window_fallbacks");
  }
}

}  // namespace

const Deployment* GatewayConfig::find_deployment(std::string_view name) const {
  for (const Deployment& d : deployments) {
    if (d.name == name) return &d;
  }
  return nullptr;
}

const ModelRoute* GatewayConfig::find_model(std::string_view name) const {
  for (const ModelRoute& m : models) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

core::Result<GatewayConfig> parse_gateway_config(std::string_view toml_text,
                                                 std::string_view source_name,
                                                 const core::SecretStore* secrets) {
  toml::table root;
  try {
    root = toml::parse(toml_text, source_name);
  } catch (const toml::parse_error& e) {
    const auto& begin = e.source().begin;
    return core::Status::invalid_argument(fmt::format("{}:{}:{}: invalid TOML: {}", source_name,
                                                      begin.line, begin.column, e.description()));
  }
  GatewayConfig config;
  Parser p{std::string(source_name)};
  const toml::table* gateway = p.table(root, "gateway", "[gateway]");
  if (gateway == nullptr) {
    if (!p.errors.empty()) return core::Status::invalid_argument(p.errors.front().second);
    return config;
  }
  p.check_keys(*gateway, "[gateway]",
               {"request_timeout_s", "max_prompt_tokens", "retry", "breaker", "cache", "local",
                "deployments", "models"});
  std::chrono::seconds timeout = std::chrono::duration_cast<std::chrono::seconds>(config.request_timeout);
  p.duration(*gateway, "request_timeout_s", "[gateway]", timeout, 1, 86400);
  config.request_timeout = timeout;
  p.number(*gateway, "max_prompt_tokens", "[gateway]", config.max_prompt_tokens, 0, 1e9);
  if (auto* t = p.table(*gateway, "retry", "[gateway.retry]")) parse_retry(p, *t, config.retry);
  if (auto* t = p.table(*gateway, "breaker", "[gateway.breaker]")) parse_breaker(p, *t, config.breaker);
  if (auto* t = p.table(*gateway, "cache", "[gateway.cache]")) parse_cache(p, *t, config.cache);
  if (auto* t = p.table(*gateway, "local", "[gateway.local]")) parse_local(p, *t, config.local);

  std::vector<std::uint32_t> deployment_lines;
  std::vector<ModelLines> model_lines;
  const auto each_table = [&](std::string_view key, auto&& visit) {
    const toml::node* node = gateway->get(key);
    if (node == nullptr) return;
    const toml::array* array = node->as_array();
    if (array == nullptr || !array->is_array_of_tables()) {
      p.error(*node, fmt::format("expected [[gateway.{}]] tables, found {}", key, describe(*node)));
      return;
    }
    for (std::size_t i = 0; i < array->size(); ++i) visit(*array->get(i)->as_table(), i);
  };
  each_table("deployments", [&](const toml::table& t, std::size_t i) {
    config.deployments.push_back(parse_deployment(p, t, i));
    deployment_lines.push_back(Parser::line(t));
  });
  each_table("models", [&](const toml::table& t, std::size_t i) {
    model_lines.emplace_back();
    config.models.push_back(parse_model(p, t, i, model_lines.back()));
  });
  check_references(p, config, deployment_lines, model_lines);

  if (secrets != nullptr) {
    for (std::size_t i = 0; i < config.deployments.size(); ++i) {
      Deployment& d = config.deployments[i];
      if (d.api_key_secret.empty()) continue;
      core::Result<std::string> key = secrets->get(d.api_key_secret);
      if (key.ok()) {
        d.api_key = std::move(key).value();
      } else {
        p.error(deployment_lines[i], fmt::format("deployment '{}': api_key_secret: {}", d.name,
                                                 key.status().message()));
      }
    }
  }

  if (!p.errors.empty()) {
    std::stable_sort(p.errors.begin(), p.errors.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::string message;
    for (const auto& [line, text] : p.errors) {
      if (!message.empty()) message += '\n';
      message += text;
    }
    return core::Status::invalid_argument(std::move(message));
  }
  return config;
}

core::Result<GatewayConfig> load_gateway_config(const std::filesystem::path& path,
                                                const core::SecretStore* secrets) {
  core::Result<std::string> text = core::read_file(path);
  if (!text.ok()) return text.status();
  return parse_gateway_config(*text, path.string(), secrets);
}

}  // namespace anvil::gateway
