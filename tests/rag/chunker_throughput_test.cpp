// Chunking throughput on SciFact (the shared BEIR corpus), printed, never asserted: timings do not
// belong in tests. Run it on purpose:
//   rag_tests --gtest_also_run_disabled_tests --gtest_filter='*ChunkerThroughput*'
// docs/CHUNKING.md records the numbers.
#include <ctime>
#include <fstream>
#include <string>
#include <vector>

#include <boost/json/parse.hpp>
#include <gtest/gtest.h>

#include "anvil/rag/chunker.h"
#include "anvil/text/estimated_token_counter.h"
#include "testing/temp_dir.h"

namespace anvil::rag {
namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

TEST(ChunkerThroughput, DISABLED_SciFact) {
  const auto path = anvil::testing::shared_dir() / "data" / "beir" / "scifact" / "corpus.jsonl";
  std::ifstream in(path);
  if (!in) GTEST_SKIP() << "shared data not found: " << path;
  std::vector<std::string> docs;
  size_t bytes = 0;
  for (std::string line; std::getline(in, line);) {
    const auto o = boost::json::parse(line).as_object();
    docs.push_back(std::string(o.at("title").as_string()) + "\n\n" + std::string(o.at("text").as_string()));
    bytes += docs.back().size();
  }
  std::string all;
  for (const auto& d : docs) all += d + "\n\n";

  const text::EstimatedTokenCounter counter;
  for (const ChunkerOptions options : {ChunkerOptions{512, 64}, ChunkerOptions{256, 32}, ChunkerOptions{128, 16}}) {
    auto chunker = Chunker::create(options, counter);
    ASSERT_TRUE(chunker.ok());
    size_t chunks = 0;
    auto count = [&chunks](Chunk&&) {
      ++chunks;
      return core::Status{};
    };
    // One document per abstract, as ingesting the BEIR corpus does.
    double t0 = thread_cpu_seconds();
    for (const auto& d : docs) {
      chunker->begin_document(count);
      ASSERT_TRUE(chunker->add_section({d, {}}).ok());
      ASSERT_TRUE(chunker->finish().ok());
    }
    const double per_doc = thread_cpu_seconds() - t0;
    const size_t doc_chunks = chunks;
    // The whole corpus as one long text streamed in 1 MiB continued sections, as a .txt loads.
    chunks = 0;
    t0 = thread_cpu_seconds();
    chunker->begin_document(count);
    for (size_t off = 0; off < all.size(); off += size_t{1} << 20) {
      ASSERT_TRUE(chunker->add_section({all.substr(off, size_t{1} << 20), {}, std::nullopt, off > 0}).ok());
    }
    ASSERT_TRUE(chunker->finish().ok());
    const double long_doc = thread_cpu_seconds() - t0;
    std::printf("size %d overlap %d: per-abstract %.1f MB/s (%zu chunks), one long text %.1f MB/s (%zu chunks)\n",
                options.chunk_size, options.chunk_overlap, static_cast<double>(bytes) / per_doc / 1e6, doc_chunks,
                static_cast<double>(all.size()) / long_doc / 1e6, chunks);
  }
}

}  // namespace
}  // namespace anvil::rag
