// Secrets (upstream API keys, admin keys) resolved from where deployments deliver them: the
// environment, files named by NAME_FILE, a secrets folder (Docker, Kubernetes, Vault agents) or a
// development .env file. Never from anvil.toml. Every value resolved is registered for redaction.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "anvil/core/dotenv.h"
#include "anvil/core/environment.h"
#include "anvil/core/redactor.h"
#include "anvil/core/status.h"

namespace anvil::core {

struct SecretStoreOptions {
  Environment environment;                             // usually process_environment()
  std::filesystem::path secrets_dir = "/run/secrets";  // empty: not consulted
  std::filesystem::path dotenv_path;                   // empty: none; a missing file is skipped
  Redactor* redactor = &Redactor::global();            // where resolved values are registered
};

struct Secret {
  std::string value;
  // Where it came from, for diagnostics (never the value): "environment OPENAI_API_KEY",
  // "file /run/keys/openai (environment OPENAI_API_KEY_FILE)", "file /run/secrets/openai_api_key",
  // ".env:3".
  std::string source;
};

class SecretStore {
 public:
  // Reads the .env file when one is named and exists; a malformed one is an error naming the line.
  static Result<SecretStore> open(SecretStoreOptions options);

  // Resolves NAME ([A-Za-z_][A-Za-z0-9_]*), first match wins:
  //   1. environment NAME (an empty value counts as unset)
  //   2. environment NAME_FILE: the file's content, trailing "\n" / "\r\n" trimmed
  //   3. <secrets_dir>/NAME, then <secrets_dir>/name (lower case), trimmed the same way
  //   4. the .env file (an empty value counts as unset)
  // Files are read on every call, so rotated secrets are picked up. A file that is named or
  // present but unreadable or empty is an error rather than a silent fall-through. Not found is
  // kNotFound listing where it looked. Values of 4+ bytes are registered with the Redactor.
  Result<Secret> resolve(std::string_view name) const;

  // resolve(name).value.
  Result<std::string> get(std::string_view name) const;

 private:
  explicit SecretStore(SecretStoreOptions options) : options_(std::move(options)) {}

  SecretStoreOptions options_;
  DotenvEntries dotenv_;
};

}  // namespace anvil::core
