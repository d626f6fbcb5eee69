#include "anvil/core/process_memory.h"

#include <algorithm>
#include <charconv>
#include <fstream>
#include <sstream>
#include <string>

namespace anvil::core {

namespace {

// The value of "name:\t   N kB" in `text`, in bytes.
Result<uint64_t> field_bytes(std::string_view text, std::string_view name) {
  size_t pos = 0;
  while (pos < text.size()) {
    const size_t eol = std::min(text.find('\n', pos), text.size());
    std::string_view line = text.substr(pos, eol - pos);
    pos = eol + 1;
    if (line.size() <= name.size() || line.substr(0, name.size()) != name || line[name.size()] != ':') continue;
    line.remove_prefix(name.size() + 1);
    while (!line.empty() && (line.front() == ' ' || line.front() == '\t')) line.remove_prefix(1);
    uint64_t kib = 0;
    const auto [end, ec] = std::from_chars(line.data(), line.data() + line.size(), kib);
    const std::string_view unit(end, static_cast<size_t>(line.data() + line.size() - end));
    if (ec != std::errc() || unit != " kB") {
      return Status::corrupt("process status field " + std::string(name) + " is '" + std::string(line) +
                             "', expected '<number> kB'");
    }
    return kib * 1024;
  }
  return Status::corrupt("process status has no " + std::string(name) + " field");
}

}  // namespace

Result<ProcessMemory> parse_process_status(std::string_view status_text) {
  ProcessMemory m;
  const std::pair<std::string_view, uint64_t*> fields[] = {{"VmRSS", &m.rss_bytes},
                                                           {"RssAnon", &m.rss_anon_bytes},
                                                           {"RssFile", &m.rss_file_bytes},
                                                           {"RssShmem", &m.rss_shmem_bytes},
                                                           {"VmHWM", &m.peak_rss_bytes}};
  for (const auto& [name, out] : fields) {
    ANVIL_ASSIGN_OR_RETURN(*out, field_bytes(status_text, name));
  }
  return m;
}

Result<ProcessMemory> read_process_memory() {
  std::ifstream in("/proc/self/status");
  if (!in) return Status::unsupported("cannot read /proc/self/status: process memory is only measured on Linux");
  std::ostringstream text;
  text << in.rdbuf();
  return parse_process_status(text.str());
}

}  // namespace anvil::core
