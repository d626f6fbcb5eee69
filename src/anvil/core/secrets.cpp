#include "anvil/core/secrets.h"

#include <fmt/format.h>

#include <vector>

#include "anvil/core/file_io.h"

namespace anvil::core {
namespace {

bool valid_name(std::string_view name) {
  if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
  for (char c : name) {
    bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
    if (!ok) return false;
  }
  return true;
}

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

void trim_line_ends(std::string& s) {
  while (!s.empty() && (s.back() == '\n' || s.back() == '\r')) s.pop_back();
}

// The trimmed content of a secret file; kNotFound when it does not exist.
Result<std::string> read_secret_file(std::string_view name, const std::filesystem::path& path,
                                     std::string_view named_by) {
  Result<std::string> content = read_file(path);
  if (!content.ok()) {
    if (content.status().code() == StatusCode::kNotFound) return content.status();
    return content.status().with_context(fmt::format("secret '{}'{}", name, named_by));
  }
  std::string value = std::move(content).value();
  trim_line_ends(value);
  if (value.empty()) {
    return Status::invalid_argument(
        fmt::format("secret '{}'{}: file '{}' is empty", name, named_by, path.string()));
  }
  return value;
}

}  // namespace

Result<SecretStore> SecretStore::open(SecretStoreOptions options) {
  SecretStore store(std::move(options));
  if (!store.options_.dotenv_path.empty()) {
    Result<DotenvEntries> entries = read_dotenv(store.options_.dotenv_path);
    if (entries.ok()) {
      store.dotenv_ = std::move(entries).value();
    } else if (entries.status().code() != StatusCode::kNotFound) {
      return entries.status();
    }
  }
  return store;
}

Result<Secret> SecretStore::resolve(std::string_view name) const {
  if (!valid_name(name)) {
    return Status::invalid_argument(fmt::format(
        "invalid secret name '{}': expected letters, digits and '_', not starting with a digit",
        name));
  }
  std::vector<std::string> looked;
  auto found = [&](std::string value, std::string source) -> Result<Secret> {
    if (options_.redactor != nullptr) options_.redactor->add(name, value);
    return Secret{std::move(value), std::move(source)};
  };

  const std::string key(name);
  if (auto it = options_.environment.find(key); it != options_.environment.end() && !it->second.empty()) {
    return found(it->second, "environment " + key);
  }
  looked.push_back("environment " + key);

  const std::string file_key = key + "_FILE";
  if (auto it = options_.environment.find(file_key);
      it != options_.environment.end() && !it->second.empty()) {
    std::string named_by = " (environment " + file_key + ")";
    Result<std::string> value = read_secret_file(name, it->second, named_by);
    if (!value.ok()) {
      return value.status().code() == StatusCode::kNotFound
                 ? value.status().with_context(fmt::format("secret '{}'{}", name, named_by))
                 : value.status();
    }
    return found(std::move(value).value(), "file " + it->second + named_by);
  }
  looked.push_back("environment " + file_key);

  if (!options_.secrets_dir.empty()) {
    std::vector<std::string> candidates{key};
    if (lower(key) != key) candidates.push_back(lower(key));
    for (const std::string& file : candidates) {
      std::filesystem::path path = options_.secrets_dir / file;
      Result<std::string> value = read_secret_file(name, path, "");
      if (value.ok()) return found(std::move(value).value(), "file " + path.string());
      if (value.status().code() != StatusCode::kNotFound) return value.status();
      looked.push_back(path.string());
    }
  }

  if (!options_.dotenv_path.empty()) {
    if (auto it = dotenv_.find(key); it != dotenv_.end() && !it->second.value.empty()) {
      return found(it->second.value,
                   fmt::format("{}:{}", options_.dotenv_path.string(), it->second.line));
    }
    looked.push_back(options_.dotenv_path.string());
  }

  std::string where;
  for (const std::string& place : looked) {
    if (!where.empty()) where += ", ";
    where += place;
  }
  return Status::not_found(fmt::format("secret '{}' is not set (looked in: {})", name, where));
}

Result<std::string> SecretStore::get(std::string_view name) const {
  ANVIL_ASSIGN_OR_RETURN(Secret secret, resolve(name));
  return std::move(secret.value);
}

}  // namespace anvil::core
