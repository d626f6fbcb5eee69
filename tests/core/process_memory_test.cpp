#include "anvil/core/process_memory.h"

#include <gtest/gtest.h>

#include <memory>

namespace anvil::core {
namespace {

// An excerpt of a real /proc/self/status (Linux 6.x).
constexpr std::string_view kStatus =
    "Name:\tanvil\n"
    "VmPeak:\t 1234567 kB\n"
    "VmHWM:\t  540200 kB\n"
    "VmRSS:\t  530100 kB\n"
    "RssAnon:\t   17800 kB\n"
    "RssFile:\t  512300 kB\n"
    "RssShmem:\t       0 kB\n"
    "Threads:\t2\n";

TEST(ProcessMemoryTest, ParsesTheResidentFieldsInBytes) {
  Result<ProcessMemory> m = parse_process_status(kStatus);
  ASSERT_TRUE(m.ok()) << m.status().to_string();
  EXPECT_EQ(m->peak_rss_bytes, 540200ull * 1024);
  EXPECT_EQ(m->rss_bytes, 530100ull * 1024);
  EXPECT_EQ(m->rss_anon_bytes, 17800ull * 1024);
  EXPECT_EQ(m->rss_file_bytes, 512300ull * 1024);
  EXPECT_EQ(m->rss_shmem_bytes, 0u);
}

TEST(ProcessMemoryTest, NamesAMissingOrMalformedField) {
  std::string text(kStatus);
  text.replace(text.find("RssFile"), 7, "RssFoo");
  EXPECT_EQ(parse_process_status(text).status().message(), "process status has no RssFile field");
  std::string bad(kStatus);
  bad.replace(bad.find("17800 kB"), 8, "17800 MB");
  EXPECT_EQ(parse_process_status(bad).status().message(),
            "process status field RssAnon is '17800 MB', expected '<number> kB'");
}

TEST(ProcessMemoryTest, SeesAnAllocationBecomeResident) {
  Result<ProcessMemory> before = read_process_memory();
  ASSERT_TRUE(before.ok()) << before.status().to_string();
  EXPECT_EQ(before->rss_bytes, before->rss_anon_bytes + before->rss_file_bytes + before->rss_shmem_bytes);
  EXPECT_GE(before->peak_rss_bytes, before->rss_bytes);
  // 64 MiB written page by page becomes resident anonymous memory.
  constexpr size_t kBytes = size_t{64} << 20;
  std::unique_ptr<volatile char[]> block(new volatile char[kBytes]);
  for (size_t i = 0; i < kBytes; i += 4096) block[i] = 1;
  Result<ProcessMemory> after = read_process_memory();
  ASSERT_TRUE(after.ok());
  EXPECT_GE(after->rss_anon_bytes, before->rss_anon_bytes + kBytes / 2);
  EXPECT_GE(after->peak_rss_bytes, after->rss_bytes);
}

}  // namespace
}  // namespace anvil::core
