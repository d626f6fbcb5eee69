// Knowledge-base benchmark on BEIR SciFact (run by hand; results in docs/BENCHMARKS.md):
//   ingest + index throughput (MB/s of text, one thread), BM25 search latency (p50/p99 over the test
//   queries, index loaded), index memory against the raw text, and the same queries through SQLite
//   FTS5's bm25() over the same chunks in the same run, with nDCG@10 for both.
// Usage: kb_bench [BEIR_DIR=../shared/data/beir/scifact] [REPEATS=5]
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <fstream>
#include <random>
#include <unordered_map>
#include <unordered_set>

#include <boost/json.hpp>

#include "anvil/app/beir.h"
#include "anvil/app/eval_retrieval.h"
#include "anvil/app/knowledge_base.h"

namespace {

using Clock = std::chrono::steady_clock;
using anvil::app::KnowledgeBase;

double ms_since(Clock::time_point t) { return std::chrono::duration<double, std::milli>(Clock::now() - t).count(); }

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * static_cast<double>(v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

double median(std::vector<double> v) { return percentile(std::move(v), 0.5); }

int64_t text_bytes_of_corpus(const std::filesystem::path& corpus) {
  // The text a user sees: title + text of each record (what BM25 indexes), not the JSON syntax.
  std::ifstream in(corpus);
  std::string line;
  int64_t n = 0;
  while (std::getline(in, line)) {
    auto v = boost::json::parse(line);
    n += static_cast<int64_t>(v.at("title").as_string().size() + v.at("text").as_string().size());
  }
  return n;
}

// An FTS5 MATCH expression: every word of the query, quoted, OR-ed (bag of words like BM25).
std::string fts_query(const std::string& q) {
  std::string out, word;
  auto flush = [&] {
    if (word.empty()) return;
    if (!out.empty()) out += " OR ";
    out += "\"" + word + "\"";
    word.clear();
  };
  for (unsigned char c : q) {
    if (std::isalnum(c) || c >= 0x80) word.push_back(static_cast<char>(c));
    else flush();
  }
  flush();
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  std::filesystem::path beir = argc > 1 ? argv[1] : "../shared/data/beir/scifact";
  int repeats = argc > 2 ? std::atoi(argv[2]) : 5;
  auto corpus = beir / "corpus.jsonl";
  int64_t text_bytes = text_bytes_of_corpus(corpus);
  auto queries = anvil::app::load_beir_queries(beir / "queries.jsonl").value();
  auto qrels = anvil::app::load_qrels(beir / "qrels" / "test.tsv").value();
  std::vector<anvil::app::BeirQuery> test;
  for (const auto& q : queries) if (qrels.count(q.id)) test.push_back(q);

  // 1. Ingest + index, fresh data directory each time.
  std::vector<double> ingest_s;
  std::filesystem::path keep;
  for (int r = 0; r < repeats; ++r) {
    auto dir = std::filesystem::temp_directory_path() / ("anvil-bench-" + std::to_string(std::random_device{}()));
    auto kb = KnowledgeBase::open(dir).value();
    anvil::store::CollectionSpec spec{.name = "scifact", .chunk_size = 4096, .chunk_overlap = 0};
    auto t = Clock::now();
    auto report = kb.ingest("scifact", {corpus}, {}, {}, spec);
    if (!report.ok() || !report->ok()) {
      std::fprintf(stderr, "ingest failed: %s\n", report.status().to_string().c_str());
      return 1;
    }
    ingest_s.push_back(ms_since(t) / 1000);
    if (r + 1 < repeats) std::filesystem::remove_all(dir);
    else keep = dir;
  }
  double ingest_median = median(ingest_s);
  std::printf("corpus: %s, %.1f MB of text (%.1f MB file)\n", corpus.c_str(), text_bytes / 1e6,
              std::filesystem::file_size(corpus) / 1e6);
  std::printf("ingest+index: median %.2f s over %d runs -> %.1f MB/s of text (%.1f MB/s of file)\n", ingest_median,
              repeats, text_bytes / 1e6 / ingest_median, std::filesystem::file_size(corpus) / 1e6 / ingest_median);

  // 2. Anvil BM25 search latency with the index loaded (a fresh process-like open first).
  auto kb = KnowledgeBase::open(keep).value();
  auto* index = kb.index("scifact").value();
  auto st = index->bm25().stats();
  std::printf("index: %llu chunks, %llu terms, %llu postings, %.1f MB in memory = %.2fx the text\n",
              static_cast<unsigned long long>(st.docs), static_cast<unsigned long long>(st.terms),
              static_cast<unsigned long long>(st.postings), st.memory_bytes / 1e6,
              static_cast<double>(st.memory_bytes) / static_cast<double>(text_bytes));
  std::unordered_map<int64_t, std::string> doc_of;
  (void)kb.store().for_each_chunk_since(index->collection().id, 0, [&](const anvil::store::StoredChunk& c) {
    doc_of[c.chunk.id] = anvil::app::beir_doc_id(c.document_uri);
    return anvil::core::Status{};
  });
  std::vector<double> lat;
  std::vector<anvil::app::QueryMetrics> anvil_metrics;
  for (int r = 0; r < repeats; ++r) {
    for (const auto& q : test) {
      auto t = Clock::now();
      std::vector<std::string> terms;
      index->analyzer().analyze(q.text, terms);
      auto hits = index->bm25().search(terms, 10);
      lat.push_back(ms_since(t));
      if (r == 0) {
        std::vector<std::string> ranking;
        for (const auto& h : hits) ranking.push_back(doc_of[h.id]);
        anvil_metrics.push_back(anvil::app::score_ranking(q.id, ranking, qrels[q.id]));
      }
    }
  }
  auto anvil_avg = anvil::app::average(anvil_metrics);
  std::printf("anvil bm25 search (k=10, analyze+score, %zu queries x %d): p50 %.3f ms, p99 %.3f ms; nDCG@10 %.4f\n",
              test.size(), repeats, percentile(lat, 0.5), percentile(lat, 0.99), anvil_avg.ndcg_at_10);

  // 3. SQLite FTS5 over the same chunks, same queries, same run.
  sqlite3* db = nullptr;
  sqlite3_open(":memory:", &db);
  sqlite3_exec(db, "CREATE VIRTUAL TABLE fts USING fts5(doc UNINDEXED, body, tokenize='porter unicode61')", nullptr,
               nullptr, nullptr);
  sqlite3_stmt* ins = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO fts(doc, body) VALUES (?, ?)", -1, &ins, nullptr);
  auto t_fts = Clock::now();
  sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
  (void)kb.store().for_each_chunk_since(index->collection().id, 0, [&](const anvil::store::StoredChunk& c) {
    auto doc = anvil::app::beir_doc_id(c.document_uri);
    sqlite3_bind_text(ins, 1, doc.c_str(), -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(ins, 2, c.chunk.text.c_str(), static_cast<int>(c.chunk.text.size()), SQLITE_TRANSIENT);
    sqlite3_step(ins);
    sqlite3_reset(ins);
    return anvil::core::Status{};
  });
  sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  double fts_build = ms_since(t_fts) / 1000;
  sqlite3_finalize(ins);
  sqlite3_stmt* sel = nullptr;
  sqlite3_prepare_v2(db, "SELECT doc FROM fts WHERE fts MATCH ? ORDER BY bm25(fts) LIMIT 10", -1, &sel, nullptr);
  std::vector<double> fts_lat;
  std::vector<anvil::app::QueryMetrics> fts_metrics;
  for (int r = 0; r < repeats; ++r) {
    for (const auto& q : test) {
      auto t = Clock::now();
      auto match = fts_query(q.text);
      sqlite3_bind_text(sel, 1, match.c_str(), -1, SQLITE_TRANSIENT);
      std::vector<std::string> ranking;
      while (sqlite3_step(sel) == SQLITE_ROW) ranking.emplace_back(reinterpret_cast<const char*>(sqlite3_column_text(sel, 0)));
      sqlite3_reset(sel);
      fts_lat.push_back(ms_since(t));
      if (r == 0) fts_metrics.push_back(anvil::app::score_ranking(q.id, ranking, qrels[q.id]));
    }
  }
  sqlite3_finalize(sel);
  sqlite3_close(db);
  auto fts_avg = anvil::app::average(fts_metrics);
  std::printf("sqlite fts5 bm25() (porter unicode61, built in %.2f s): p50 %.3f ms, p99 %.3f ms; nDCG@10 %.4f\n",
              fts_build, percentile(fts_lat, 0.5), percentile(fts_lat, 0.99), fts_avg.ndcg_at_10);
  std::printf("ratio: anvil p50 is %.1fx faster than fts5\n", percentile(fts_lat, 0.5) / percentile(lat, 0.5));
  std::filesystem::remove_all(keep);
  return 0;
}
