// vocab_salvage: writes repaired copies of the damaged shared vocabulary files with
// tests/engine/vocab_salvage.h, for the Python reference (reference/vocab_repair.py runs it) and
// by hand. A file that parses as GGUF is copied as it is.
//   vocab_salvage --out-dir DIR FILE.gguf...   writes DIR/FILE.gguf for each FILE
//   vocab_salvage --out PATH FILE.gguf          writes PATH (atomically: a temporary file, renamed)
// Exit status 1 when any file cannot be rebuilt (its reason on stderr), 2 on bad arguments.
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/engine/gguf.h"
#include "engine/vocab_salvage.h"

namespace {

namespace fs = std::filesystem;

bool read_file(const fs::path& p, std::string& out) {
  std::ifstream in(p, std::ios::binary);
  if (!in) return false;
  std::ostringstream s;
  s << in.rdbuf();
  out = s.str();
  return static_cast<bool>(in);
}

bool write_atomically(const fs::path& p, std::string_view bytes) {
  const fs::path tmp = p.string() + ".tmp." + std::to_string(::getpid());
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
    if (!out.flush()) return false;
  }
  std::error_code ec;
  fs::rename(tmp, p, ec);
  if (ec) fs::remove(tmp, ec);
  return !ec;
}

// Repairs `in` into `out`; prints one line saying what it did. False on failure.
bool salvage_file(const fs::path& in, const fs::path& out) {
  const std::string name = in.filename().string();
  std::string raw;
  if (!read_file(in, raw)) {
    std::fprintf(stderr, "%s: cannot read %s\n", name.c_str(), in.c_str());
    return false;
  }
  std::string bytes;
  if (anvil::engine::GgufFile::parse({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, name).ok()) {
    std::printf("%s: intact, copied\n", name.c_str());
    bytes = std::move(raw);
  } else {
    std::string why;
    std::vector<std::string> notes;
    auto salvaged = anvil::testing::salvage_gguf(raw, &why, &notes);
    if (!salvaged) {
      std::fprintf(stderr, "%s: NOT REPAIRED: %s\n", name.c_str(), why.c_str());
      return false;
    }
    std::printf("%s: repaired\n", name.c_str());
    for (const auto& n : notes) std::printf("  guess: %s\n", n.c_str());
    bytes = std::move(*salvaged);
  }
  if (!write_atomically(out, bytes)) {
    std::fprintf(stderr, "%s: cannot write %s\n", name.c_str(), out.c_str());
    return false;
  }
  return true;
}

int usage() {
  std::fprintf(stderr, "usage: vocab_salvage --out-dir DIR FILE.gguf... | vocab_salvage --out PATH FILE.gguf\n");
  return 2;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) return usage();
  const std::string_view mode = argv[1];
  const fs::path target = argv[2];
  std::vector<fs::path> files(argv + 3, argv + argc);
  if (mode == "--out") {
    if (files.size() != 1) return usage();
    return salvage_file(files[0], target) ? 0 : 1;
  }
  if (mode != "--out-dir") return usage();
  std::error_code ec;
  fs::create_directories(target, ec);
  bool ok = true;
  for (const auto& f : files) ok = salvage_file(f, target / f.filename()) && ok;
  return ok ? 0 : 1;
}
