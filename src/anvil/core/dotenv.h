// Parser for `.env` files (dotenv syntax), the development-time source of secrets. Errors name
// the line but never echo its text, because a malformed line may well hold a secret.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::core {

struct DotenvEntry {
  std::string value;
  int line = 0;  // 1-based line where the assignment starts
};

// NAME -> entry; when a name is assigned twice the last assignment wins, as in a shell.
using DotenvEntries = std::map<std::string, DotenvEntry, std::less<>>;

// Syntax, one assignment per line:
//   # comment                  blank lines and comment lines are skipped
//   KEY=value                  unquoted: trimmed, " #..." starts a comment
//   export KEY=value           "export " is accepted and ignored
//   KEY='literal $value'       single quotes: no escapes, may span lines
//   KEY="line1\nline2"         double quotes: \n \r \t \" \\ \$ escapes, may span lines
// Names are [A-Za-z_][A-Za-z0-9_]*. No variable expansion. `source` prefixes errors:
// ".env:3: expected KEY=VALUE, found a line without '='".
Result<DotenvEntries> parse_dotenv(std::string_view text, std::string_view source);

// Reads and parses a file; errors start with the path. A missing file is kNotFound.
Result<DotenvEntries> read_dotenv(const std::filesystem::path& path);

}  // namespace anvil::core
