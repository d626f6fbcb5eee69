// Tokenizer throughput: encodes the SciFact corpus (title + text of every document) with each
// shared vocabulary and prints tokens/s and MB/s (best of --reps runs, one thread). Rates are per
// second of this thread's CPU time (CLOCK_THREAD_CPUTIME_ID), so that other processes competing
// for the cores do not distort them; wall-clock rates are printed beside them.
//   tokenizer_bench [--corpus PATH] [--vocab-dir DIR] [--reps N]
// The shared vocabulary files are damaged (see tests/engine/vocab_salvage.h); they are salvaged
// in memory first, as the tests do.
#include <algorithm>
#include <chrono>
#include <ctime>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <boost/json.hpp>

#include "../tests/engine/vocab_salvage.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"

namespace {

double thread_cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

int main(int argc, char** argv) {
  std::string corpus = "../shared/data/beir/scifact/corpus.jsonl";
  std::string vocab_dir = "../shared/data/tokenizer";
  int reps = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--corpus") corpus = argv[i + 1];
    if (a == "--vocab-dir") vocab_dir = argv[i + 1];
    if (a == "--reps") reps = std::max(1, std::atoi(argv[i + 1]));
  }
  std::vector<std::string> docs;
  size_t bytes = 0;
  {
    std::ifstream in(corpus);
    for (std::string line; std::getline(in, line);) {
      boost::system::error_code ec;
      auto v = boost::json::parse(line, ec);
      if (ec || !v.is_object()) continue;
      const auto& o = v.as_object();
      std::string doc;
      if (auto* t = o.if_contains("title"); t && t->is_string()) doc = std::string(t->as_string()) + "\n";
      if (auto* t = o.if_contains("text"); t && t->is_string()) doc += std::string(t->as_string());
      bytes += doc.size();
      docs.push_back(std::move(doc));
    }
  }
  if (docs.empty()) {
    std::fprintf(stderr, "no documents read from %s\n", corpus.c_str());
    return 1;
  }
  std::printf("corpus: %zu documents, %.2f MB\n", docs.size(), bytes / 1e6);
  std::printf("%-16s %-8s %10s %12s %8s %14s\n", "vocab", "model", "tokens", "tokens/s cpu", "MB/s", "tokens/s wall");
  for (const char* name : {"llama-spm", "phi-3", "gpt-2", "deepseek-llm", "deepseek-coder", "falcon", "starcoder",
                           "bert-bge"}) {
    const std::string path = vocab_dir + "/ggml-vocab-" + name + ".gguf";
    std::string raw = read_file(path);
    if (raw.empty()) continue;
    auto file = anvil::engine::GgufFile::parse({reinterpret_cast<const uint8_t*>(raw.data()), raw.size()}, path);
    std::string rebuilt;
    if (!file.ok()) {
      std::string why;
      auto s = anvil::testing::salvage_gguf(raw, &why);
      if (!s) {
        std::printf("%-16s cannot be read: %s\n", name, why.c_str());
        continue;
      }
      rebuilt = std::move(*s);
      file = anvil::engine::GgufFile::parse({reinterpret_cast<const uint8_t*>(rebuilt.data()), rebuilt.size()}, path);
    }
    if (!file.ok()) continue;
    auto tok = anvil::engine::load_tokenizer(**file);
    if (!tok.ok()) {
      std::printf("%-16s %s\n", name, tok.status().message().c_str());
      continue;
    }
    double best_cpu = 1e30, best_wall = 1e30;
    size_t n_tokens = 0;
    for (int r = 0; r < reps; ++r) {
      const auto t0 = std::chrono::steady_clock::now();
      const double c0 = thread_cpu_seconds();
      size_t n = 0;
      for (const auto& d : docs) n += (*tok)->encode(d, false, false).size();
      best_cpu = std::min(best_cpu, thread_cpu_seconds() - c0);
      best_wall = std::min(best_wall, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
      n_tokens = n;
    }
    std::printf("%-16s %-8s %10zu %12.0f %8.2f %14.0f\n", name, (*tok)->vocab().model.c_str(), n_tokens,
                n_tokens / best_cpu, bytes / best_cpu / 1e6, n_tokens / best_wall);
  }
  return 0;
}
