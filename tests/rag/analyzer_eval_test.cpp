// Measurements, not checks: disabled unless asked for, and they print instead of asserting
// (timed assertions do not belong in tests). Commands and results: docs/ANALYZERS.md.
//
//   build-text/tests/rag_tests --gtest_also_run_disabled_tests --gtest_filter='AnalyzerEval.*'
//
// DISABLED_Throughput: MB/s of analyze() on one thread over the BEIR corpora, of word
// segmentation with and without the ASCII fast path, and jieba's loading time.
// DISABLED_DumpTerms: with ANVIL_TERMS_OUT=DIR, writes DIR/<dataset>.<analyzer>.{corpus,queries}.tsv
// ("id<TAB>term term ...") for tests/text/bm25_eval.py, which scores BM25 and nDCG@10.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "anvil/core/file_io.h"
#include "anvil/rag/analyzer.h"
#include "anvil/text/jieba.h"
#include "anvil/text/word_breaker.h"
#include "testing/temp_dir.h"

namespace anvil::rag {
namespace {

struct Record {
  std::string id;
  std::string text;
};

// BEIR jsonl: "title text" for corpus records (Anserini's "flat" contents), "text" for queries.
std::vector<Record> read_beir(const std::filesystem::path& path) {
  std::vector<Record> out;
  auto content = core::read_file(path);
  if (!content.ok()) return out;
  std::istringstream in(*content);
  for (std::string line; std::getline(in, line);) {
    auto v = boost::json::parse(line).as_object();
    std::string text;
    if (auto* t = v.if_contains("title"); t && t->is_string() && !t->as_string().empty()) {
      text = std::string(t->as_string()) + " ";
    }
    text += std::string(v.at("text").as_string());
    out.push_back({std::string(v.at("_id").as_string()), std::move(text)});
  }
  return out;
}

std::filesystem::path beir_dir(std::string_view dataset) {
  return anvil::testing::shared_dir() / "data" / "beir" / std::string(dataset);
}

// Best of three runs of fn(), in seconds: the machine is shared.
template <typename Fn>
double best_of_three(Fn&& fn) {
  double best = 1e9;
  for (int round = 0; round < 3; ++round) {
    const auto t0 = std::chrono::steady_clock::now();
    fn();
    best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  }
  return best;
}

TEST(AnalyzerEval, DISABLED_Throughput) {
  const double load = best_of_three([] { ASSERT_TRUE(text::Jieba::load(text::Jieba::default_dir()).ok()); });
  std::printf("jieba load (dict.txt + HMM): %.3f s\n", load);

  const auto scifact = read_beir(beir_dir("scifact") / "corpus.jsonl");
  ASSERT_FALSE(scifact.empty());
  size_t scifact_bytes = 0;
  for (const auto& d : scifact) scifact_bytes += d.text.size();
  auto breaker = text::WordBreaker::shared();
  ASSERT_TRUE(breaker.ok());
  std::vector<std::string_view> words;
  const double fast = best_of_three([&] {
    for (const auto& d : scifact) {
      words.clear();
      (*breaker)->split(d.text, words);
    }
  });
  const double icu = best_of_three([&] {
    for (const auto& d : scifact) {
      words.clear();
      (*breaker)->split_with_icu(d.text, words);
    }
  });
  std::printf("words of scifact: fast path %.2f MB/s, break iterator only %.2f MB/s\n", scifact_bytes / 1e6 / fast,
              scifact_bytes / 1e6 / icu);

  struct Case {
    std::string_view analyzer, dataset;
  };
  for (const Case c : {Case{"en", "scifact"}, Case{"auto", "scifact"}, Case{"auto", "xquad-en"},
                       Case{"auto", "xquad-zh"}, Case{"auto", "cmrc2018-zh"}, Case{"zh", "cmrc2018-zh"}}) {
    auto analyzer = make_analyzer(c.analyzer);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().to_string();
    const auto docs = read_beir(beir_dir(c.dataset) / "corpus.jsonl");
    ASSERT_FALSE(docs.empty()) << c.dataset;
    size_t bytes = 0;
    for (const auto& d : docs) bytes += d.text.size();
    std::vector<std::string> terms;
    size_t n_terms = 0;
    const double best = best_of_three([&] {
      n_terms = 0;
      for (const auto& d : docs) {
        terms.clear();
        (*analyzer)->analyze(d.text, terms);
        n_terms += terms.size();
      }
    });
    std::printf("%-5s %-12s %8.2f MB %9zu terms %7.3f s %7.2f MB/s\n", std::string(c.analyzer).c_str(),
                std::string(c.dataset).c_str(), bytes / 1e6, n_terms, best, bytes / 1e6 / best);
  }
}

TEST(AnalyzerEval, DISABLED_DumpTerms) {
  const char* out_dir = std::getenv("ANVIL_TERMS_OUT");
  ASSERT_NE(out_dir, nullptr) << "set ANVIL_TERMS_OUT to the folder for the term files";
  std::filesystem::create_directories(out_dir);
  struct Case {
    std::string_view analyzer, dataset;
  };
  for (const Case c : {Case{"en", "scifact"}, Case{"auto", "scifact"}, Case{"en", "xquad-en"},
                       Case{"auto", "xquad-en"}, Case{"auto", "xquad-zh"}, Case{"zh", "xquad-zh"},
                       Case{"auto", "cmrc2018-zh"}, Case{"zh", "cmrc2018-zh"}}) {
    auto analyzer = make_analyzer(c.analyzer);
    ASSERT_TRUE(analyzer.ok()) << analyzer.status().to_string();
    for (std::string_view part : {"corpus", "queries"}) {
      const auto records = read_beir(beir_dir(c.dataset) / (std::string(part) + ".jsonl"));
      ASSERT_FALSE(records.empty()) << c.dataset << " " << part;
      std::ofstream out(std::filesystem::path(out_dir) / (std::string(c.dataset) + "." + std::string(c.analyzer) +
                                                          "." + std::string(part) + ".tsv"));
      std::vector<std::string> terms;
      for (const auto& r : records) {
        terms.clear();
        (*analyzer)->analyze(r.text, terms);
        out << r.id << '\t';
        for (size_t i = 0; i < terms.size(); ++i) out << (i ? " " : "") << terms[i];
        out << '\n';
      }
    }
  }
}

}  // namespace
}  // namespace anvil::rag
