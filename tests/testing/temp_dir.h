// Test helpers: a temporary directory removed at scope exit, and paths to the shared data.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <string_view>

namespace anvil::testing {

class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    auto base = std::filesystem::temp_directory_path();
    for (;;) {
      path_ = base / ("anvil-test-" + std::to_string(rd()));
      if (std::filesystem::create_directory(path_)) break;
    }
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(std::string_view name) const { return path_ / name; }

  // Writes `content` to `name` (creating parent folders) and returns the full path.
  std::filesystem::path write(std::string_view name, std::string_view content) const {
    auto p = path_ / name;
    std::filesystem::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out.write(content.data(), static_cast<std::streamsize>(content.size()));
    return p;
  }

 private:
  std::filesystem::path path_;
};

// The repository root (tests run with it as working directory; ANVIL_SOURCE_DIR overrides).
inline std::filesystem::path source_dir() {
  if (const char* d = std::getenv("ANVIL_SOURCE_DIR")) return d;
  return std::filesystem::current_path();
}

// ../shared beside the repository: the read-only evaluation data.
inline std::filesystem::path shared_dir() {
  if (const char* d = std::getenv("ANVIL_SHARED_DIR")) return d;
  return source_dir() / ".." / "shared";
}

}  // namespace anvil::testing
