// A 64 MB text file goes through the loader and the chunker while the process's resident memory
// grows by far less than the file: .txt is streamed, sections and chunks are bounded.
#include <malloc.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "anvil/rag/chunker.h"
#include "anvil/rag/loaders/loader.h"
#include "anvil/text/estimated_token_counter.h"
#include "testing/temp_dir.h"

#if defined(__SANITIZE_ADDRESS__)
#define ANVIL_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define ANVIL_ASAN 1
#endif
#endif

namespace anvil::rag {
namespace {

// Resident set size now, in bytes (Linux /proc).
size_t resident_bytes() {
  std::ifstream statm("/proc/self/statm");
  size_t total_pages = 0;
  size_t resident_pages = 0;
  statm >> total_pages >> resident_pages;
  return resident_pages * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

// Feeds sections to a chunker and keeps only counts, sampling memory as it goes.
class CountingChunkSink : public DocumentSink {
 public:
  explicit CountingChunkSink(Chunker& chunker) : chunker_(chunker) {}
  core::Status begin_document(const DocumentInfo&) override {
    ++documents;
    chunker_.begin_document([this](Chunk&& c) {
      ++chunks;
      chunk_bytes += c.text.size();
      max_chunk_tokens = std::max(max_chunk_tokens, c.token_count);
      return core::Status{};
    });
    return {};
  }
  core::Status add_section(Section s) override {
    ++sections;
    section_bytes += s.text.size();
    max_section = std::max(max_section, s.text.size());
    peak_resident = std::max(peak_resident, resident_bytes());
    return chunker_.add_section(s);
  }
  core::Status end_document() override { return chunker_.finish(); }

  size_t documents = 0;
  size_t sections = 0;
  size_t section_bytes = 0;
  size_t max_section = 0;
  size_t chunks = 0;
  size_t chunk_bytes = 0;
  int max_chunk_tokens = 0;
  size_t peak_resident = 0;

 private:
  Chunker& chunker_;
};

TEST(LoaderMemory, HugeTextFileLoadsInBoundedMemory) {
  anvil::testing::TempDir dir;
  const auto path = dir / "huge.txt";
  constexpr size_t kTarget = size_t{64} << 20;
  size_t written = 0;
  {
    // Paragraphs of English and Chinese sentences, 1 MiB at a time.
    std::mt19937 rng(7);
    const char* sentences[] = {"The pump must be primed before it starts. ", "Check the seal for leaks every day. ",
                               "空压机排气温度过高时应清洗冷却器。", "每运行2000小时更换一次油过滤器。",
                               "Bearing temperature must stay below 85 C. "};
    std::string block;
    std::ofstream out(path, std::ios::binary);
    while (written < kTarget) {
      block.clear();
      while (block.size() < (size_t{1} << 20)) {
        const int n = 2 + static_cast<int>(rng() % 6);
        for (int i = 0; i < n; ++i) block += sentences[rng() % std::size(sentences)];
        block += "\n\n";
      }
      out.write(block.data(), static_cast<std::streamsize>(block.size()));
      written += block.size();
    }
  }
  const text::EstimatedTokenCounter counter;
  auto chunker = Chunker::create({512, 64}, counter);
  ASSERT_TRUE(chunker.ok());
  CountingChunkSink sink(*chunker);
  malloc_trim(0);  // return memory freed by earlier tests, so that growth is measured from live data
  const size_t baseline = resident_bytes();

  ASSERT_TRUE(load_file(path, {}, sink).ok());

  EXPECT_EQ(sink.documents, 1u);
  EXPECT_GE(sink.sections, 64u);
  EXPECT_LE(sink.max_section, size_t{1} << 20);  // LoaderOptions::max_section_bytes
  // Sections are cut at blank lines, whose "\n\n" the section join restores; only the spaces that
  // ended a line before a cut are dropped.
  const size_t rejoined = sink.section_bytes + 2 * (sink.sections - 1);
  EXPECT_LE(rejoined, written);
  EXPECT_GE(rejoined, written - 2 - 2 * sink.sections);
  EXPECT_GT(sink.chunks, 30000u);
  EXPECT_LE(sink.max_chunk_tokens, 512);
  EXPECT_GE(sink.chunk_bytes, written - 4 * sink.chunks);  // only whitespace at cuts is dropped
  const size_t growth = sink.peak_resident > baseline ? sink.peak_resident - baseline : 0;
  std::printf("file %zu MiB, peak resident growth %.1f MiB, %zu sections, %zu chunks\n", written >> 20,
              static_cast<double>(growth) / (1 << 20), sink.sections, sink.chunks);
#ifndef ANVIL_ASAN
  EXPECT_LT(growth, written / 8) << "memory grew with the file: not streamed";
#else
  // AddressSanitizer quarantines freed blocks, so resident memory does not measure live data.
#endif
}

}  // namespace
}  // namespace anvil::rag
