// Whole-file reads with precise errors, and the atomic write (temporary file, fsync, rename) that
// every file Anvil writes goes through, so a crash never leaves a half-written file behind.
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::core {

// The bytes of `path`. Errors start with the path: kNotFound when it does not exist,
// kPermissionDenied, kInvalidArgument for a directory, kIo otherwise:
// "/etc/anvil.toml: cannot read: No such file or directory".
Result<std::string> read_file(const std::filesystem::path& path);

// Writes `content` to "<path>.tmp.<pid>.<n>", fsyncs it, renames it over `path` and fsyncs the
// folder. Readers see the old file or the new one, never a mix. The folder must exist.
Status write_file_atomic(const std::filesystem::path& path, std::string_view content);

}  // namespace anvil::core
