// The process's resident memory as Linux reports it in /proc/self/status: current resident set
// split into file-backed pages (mapped files: model weights, the binary) and anonymous pages
// (heap, stacks), and the peak. Used by `anvil bench` to check memory against model file + KV cache.
#pragma once

#include <cstdint>
#include <string_view>

#include "anvil/core/status.h"

namespace anvil::core {

struct ProcessMemory {
  uint64_t rss_bytes = 0;       // VmRSS: resident now
  uint64_t rss_file_bytes = 0;  // RssFile: resident pages of mapped files
  uint64_t rss_anon_bytes = 0;  // RssAnon: resident anonymous pages
  uint64_t rss_shmem_bytes = 0; // RssShmem: resident shared memory (tmpfs, shared anonymous)
  uint64_t peak_rss_bytes = 0;  // VmHWM: the most resident at any time so far
};

// Parses the text of /proc/<pid>/status ("VmRSS:\t  123456 kB" lines). Fails naming the first
// field of the five that is missing or not "<number> kB".
Result<ProcessMemory> parse_process_status(std::string_view status_text);

// Reads /proc/self/status; fails with kUnsupported where there is no /proc (not Linux).
Result<ProcessMemory> read_process_memory();

}  // namespace anvil::core
