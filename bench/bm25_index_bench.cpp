// Micro-benchmarks of rag::Bm25Index on BEIR SciFact (5,183 abstracts, title + text analyzed by
// the "en" analyzer; 300 test queries): build, search latency (p50/p99 as counters, k = 10 / 100 /
// 1000, with and without a filter), incremental update, save, load, and memory against the text.
// Run from the repository root (data from ../shared, or ANVIL_SHARED_DIR); falls back to a
// synthetic corpus of the same shape when the data is absent. Results: docs/BM25.md (Performance).
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <unistd.h>

#include <benchmark/benchmark.h>
#include <boost/json.hpp>

#include "anvil/rag/analyzer.h"
#include "anvil/rag/bm25_index.h"
#include "anvil/rag/filter.h"

namespace {

using anvil::rag::Bm25Hit;
using anvil::rag::Bm25Index;
using anvil::rag::Filter;

struct Corpus {
  std::string name;
  std::vector<std::vector<std::string>> doc_terms;
  std::vector<boost::json::object> doc_metadata;
  std::vector<std::vector<std::string>> queries;
  std::size_t text_bytes = 0;  // title + text, UTF-8
};

std::filesystem::path scifact_dir() {
  const char* shared = std::getenv("ANVIL_SHARED_DIR");
  return std::filesystem::path(shared != nullptr ? shared : "../shared") / "data" / "beir" / "scifact";
}

// Metadata like the knowledge base stores for a BEIR record, plus a synthetic "rating" (1..5) so
// that filters have something selective to test.
boost::json::object metadata_for(const std::string& id, const std::string& title, std::size_t n) {
  boost::json::object m;
  m["type"] = "beir";
  m["source"] = "corpus.jsonl#" + id;
  m["title"] = title;
  m["rating"] = static_cast<int64_t>(n * 2654435761u % 5 + 1);
  return m;
}

bool load_scifact(Corpus& c) {
  const std::filesystem::path dir = scifact_dir();
  std::ifstream corpus(dir / "corpus.jsonl"), queries(dir / "queries.jsonl"), qrels(dir / "qrels" / "test.tsv");
  if (!corpus || !queries || !qrels) return false;
  auto analyzer = anvil::rag::make_analyzer("en");
  if (!analyzer.ok()) return false;
  std::string line;
  while (std::getline(corpus, line)) {
    const boost::json::object rec = boost::json::parse(line).as_object();
    const std::string title(rec.at("title").as_string()), text(rec.at("text").as_string());
    c.text_bytes += title.size() + text.size();
    c.doc_terms.emplace_back();
    (*analyzer)->analyze(title + "\n" + text, c.doc_terms.back());
    c.doc_metadata.push_back(metadata_for(std::string(rec.at("_id").as_string()), title, c.doc_metadata.size()));
  }
  std::vector<std::string> test_ids;
  while (std::getline(qrels, line)) {
    const std::string qid = line.substr(0, line.find('\t'));
    if (qid != "query-id" && (test_ids.empty() || test_ids.back() != qid)) test_ids.push_back(qid);
  }
  std::sort(test_ids.begin(), test_ids.end());
  while (std::getline(queries, line)) {
    const boost::json::object rec = boost::json::parse(line).as_object();
    if (!std::binary_search(test_ids.begin(), test_ids.end(), std::string(rec.at("_id").as_string()))) continue;
    c.queries.emplace_back();
    (*analyzer)->analyze(std::string(rec.at("text").as_string()), c.queries.back());
  }
  c.name = "scifact";
  return true;
}

// 5,183 chunks of ~160 terms from a Zipf-like 30,000-term vocabulary; 300 queries of ~10 terms.
void make_synthetic(Corpus& c) {
  std::mt19937 rng(1);
  std::uniform_real_distribution<double> u(0, 1);
  auto term = [&] { return "t" + std::to_string(static_cast<int>(std::pow(30000.0, u(rng)))); };
  for (std::size_t d = 0; d < 5183; ++d) {
    c.doc_terms.emplace_back();
    const int n = 60 + static_cast<int>(rng() % 200);
    for (int k = 0; k < n; ++k) c.doc_terms.back().push_back(term());
    for (const std::string& t : c.doc_terms.back()) c.text_bytes += t.size() + 4;  // ~ a word
    c.doc_metadata.push_back(metadata_for(std::to_string(d), "title " + std::to_string(d), d));
  }
  for (int q = 0; q < 300; ++q) {
    c.queries.emplace_back();
    for (int k = 0; k < 10; ++k) c.queries.back().push_back(term());
  }
  c.name = "synthetic";
}

const Corpus& corpus() {
  static const Corpus c = [] {
    Corpus out;
    if (!load_scifact(out)) make_synthetic(out);
    return out;
  }();
  return c;
}

Bm25Index build() {
  const Corpus& c = corpus();
  Bm25Index index;
  for (std::size_t d = 0; d < c.doc_terms.size(); ++d) {
    if (!index.add(static_cast<int64_t>(d), c.doc_terms[d], c.doc_metadata[d]).ok()) std::abort();
  }
  return index;
}

const Bm25Index& shared_index() {
  static const Bm25Index index = build();
  return index;
}

void set_percentiles(benchmark::State& state, std::vector<double>& micros) {
  std::sort(micros.begin(), micros.end());
  state.counters["p50_us"] = micros[micros.size() / 2];
  state.counters["p99_us"] = micros[micros.size() * 99 / 100];
}

void BM_Build(benchmark::State& state) {
  const Corpus& c = corpus();
  std::size_t memory = 0;
  for (auto _ : state) {
    Bm25Index index = build();
    memory = index.memory_bytes();
    benchmark::DoNotOptimize(memory);
  }
  const auto st = shared_index().stats();
  state.SetLabel(c.name);
  state.counters["docs"] = static_cast<double>(st.docs);
  state.counters["terms"] = static_cast<double>(st.terms);
  state.counters["postings"] = static_cast<double>(st.postings);
  state.counters["text_MB"] = static_cast<double>(c.text_bytes) / 1e6;
  state.counters["memory_MB"] = static_cast<double>(memory) / 1e6;
  state.counters["memory_per_text"] = static_cast<double>(memory) / static_cast<double>(c.text_bytes);
  state.counters["docs_per_s"] =
      benchmark::Counter(static_cast<double>(c.doc_terms.size()), benchmark::Counter::kIsIterationInvariantRate);
}
BENCHMARK(BM_Build)->Unit(benchmark::kMillisecond)->Iterations(5);

// One query per iteration, cycling through the test queries. Arg: k.
void BM_Search(benchmark::State& state) {
  const Bm25Index& index = shared_index();
  const auto& queries = corpus().queries;
  const auto k = static_cast<std::size_t>(state.range(0));
  std::vector<double> micros;
  std::size_t q = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Bm25Hit> hits = index.search(queries[q], k);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    benchmark::DoNotOptimize(hits.data());
    q = (q + 1) % queries.size();
  }
  set_percentiles(state, micros);
}
BENCHMARK(BM_Search)->Arg(10)->Arg(100)->Arg(1000)->Unit(benchmark::kMicrosecond);

// Arg 0: "rating >= 3" (about 60% of chunks pass); 1: "type = 'beir' and rating = 5" (20%).
void BM_SearchFiltered(benchmark::State& state) {
  const Bm25Index& index = shared_index();
  const auto& queries = corpus().queries;
  const Filter filter =
      *Filter::parse(state.range(0) == 0 ? "rating >= 3" : "type = 'beir' and rating = 5");
  std::vector<double> micros;
  std::size_t q = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<Bm25Hit> hits = index.search(queries[q], 10, &filter);
    micros.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
    benchmark::DoNotOptimize(hits.data());
    q = (q + 1) % queries.size();
  }
  set_percentiles(state, micros);
}
BENCHMARK(BM_SearchFiltered)->Arg(0)->Arg(1)->Unit(benchmark::kMicrosecond);

// Replacing one chunk (remove + add), including any automatic compaction it triggers.
void BM_Update(benchmark::State& state) {
  const Corpus& c = corpus();
  Bm25Index index = build();
  std::size_t d = 0;
  for (auto _ : state) {
    if (!index.update(static_cast<int64_t>(d), c.doc_terms[d], c.doc_metadata[d]).ok()) std::abort();
    d = (d + 1) % c.doc_terms.size();
  }
}
BENCHMARK(BM_Update)->Unit(benchmark::kMicrosecond);

std::filesystem::path bench_file() {
  return std::filesystem::temp_directory_path() / ("anvil-bm25-bench-" + std::to_string(::getpid()) + ".idx");
}

void BM_Save(benchmark::State& state) {
  const std::filesystem::path path = bench_file();
  for (auto _ : state) {
    if (!shared_index().save(path).ok()) std::abort();
  }
  state.counters["file_MB"] = static_cast<double>(std::filesystem::file_size(path)) / 1e6;
  std::filesystem::remove(path);
}
BENCHMARK(BM_Save)->Unit(benchmark::kMillisecond);

void BM_Load(benchmark::State& state) {
  const std::filesystem::path path = bench_file();
  if (!shared_index().save(path).ok()) std::abort();
  std::size_t memory = 0;
  for (auto _ : state) {
    auto loaded = Bm25Index::load(path);
    if (!loaded.ok()) std::abort();
    memory = loaded->memory_bytes();
  }
  state.counters["memory_MB"] = static_cast<double>(memory) / 1e6;
  std::filesystem::remove(path);
}
BENCHMARK(BM_Load)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
