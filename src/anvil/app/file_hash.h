// Content hashes of source files (SHA-256, hex), streamed so that any file size hashes in
// constant memory. Used to make ingest idempotent: an unchanged file is not re-ingested.
#pragma once

#include <filesystem>
#include <string>

#include "anvil/core/status.h"

namespace anvil::app {

core::Result<std::string> sha256_file(const std::filesystem::path& path);

}  // namespace anvil::app
