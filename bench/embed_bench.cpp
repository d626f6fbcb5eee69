// Embedding throughput (run by hand; results in docs/BENCHMARKS.md, section "Embeddings"):
// sentences/s and tokens/s of Embedder::embed on real sentence lengths — the sentences of BEIR
// SciFact abstracts, split by text::SentenceSplitter — in batches of BATCH texts on THREADS
// threads. The model is usually the bge-small-shaped synthetic file:
//   /usr/bin/python3 tests/engine/reference/make_test_model.py --preset bge-small --out /tmp/bge-small.gguf
// Usage: embed_bench MODEL.gguf [THREADS=2] [BATCH=32] [SENTENCES=512] [REPEATS=5]
//                    [CORPUS=../shared/data/beir/scifact/corpus.jsonl]
// Tokenization is timed apart from the encoder; each repeat embeds the same SENTENCES sentences.
// Besides wall-clock rates it prints sentences per CPU-second (process CPU time, all threads), which
// stays meaningful on a machine shared with other work.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include <time.h>

#include <boost/json.hpp>

#include "anvil/engine/embedder.h"
#include "anvil/text/sentences.h"

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

double cpu_seconds() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) + static_cast<double>(ts.tv_nsec) * 1e-9;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

// The first `count` sentences (trimmed, at least 3 bytes) of the corpus's abstracts, in file order.
std::vector<std::string> load_sentences(const std::string& corpus, size_t count) {
  std::ifstream in(corpus);
  auto splitter = anvil::text::SentenceSplitter::create();
  if (!in || !splitter.ok()) return {};
  std::vector<std::string> out;
  std::string line;
  while (out.size() < count && std::getline(in, line)) {
    boost::system::error_code ec;
    auto doc = boost::json::parse(line, ec);
    if (ec || !doc.is_object() || !doc.as_object().contains("text")) continue;
    const std::string text(doc.as_object().at("text").as_string());
    for (const auto& span : splitter->split(text)) {
      std::string s = text.substr(span.begin, span.end - span.begin);
      while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
      if (s.size() >= 3) out.push_back(std::move(s));
      if (out.size() == count) break;
    }
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: embed_bench MODEL.gguf [THREADS=2] [BATCH=32] [SENTENCES=512] "
                 "[REPEATS=5] [CORPUS]\n");
    return 2;
  }
  const std::string model = argv[1];
  const int threads = argc > 2 ? std::atoi(argv[2]) : 2;
  const int batch = argc > 3 ? std::atoi(argv[3]) : 32;
  const size_t n_sentences = argc > 4 ? static_cast<size_t>(std::atol(argv[4])) : 512;
  const int repeats = argc > 5 ? std::atoi(argv[5]) : 5;
  const char* shared = std::getenv("ANVIL_SHARED_DIR");
  const std::string corpus = argc > 6 ? argv[6]
                                      : std::string(shared ? shared : "../shared") +
                                            "/data/beir/scifact/corpus.jsonl";

  const std::vector<std::string> sentences = load_sentences(corpus, n_sentences);
  if (sentences.empty()) {
    std::fprintf(stderr, "embed_bench: no sentences read from %s\n", corpus.c_str());
    return 1;
  }
  anvil::engine::EncoderOptions options;
  options.threads = threads;
  options.max_batch = batch;
  auto embedder = anvil::engine::Embedder::open(model, options);
  if (!embedder.ok()) {
    std::fprintf(stderr, "embed_bench: %s\n", embedder.status().to_string().c_str());
    return 1;
  }
  const auto& e = **embedder;

  // Tokenize once (timed apart), check lengths, and embed the token sequences.
  const auto t_tok = Clock::now();
  std::vector<std::vector<anvil::text::TokenId>> seqs;
  size_t tokens = 0, longest = 0;
  size_t too_long = 0;
  for (const auto& s : sentences) {
    auto ids = e.tokens_for(s);
    if (static_cast<int64_t>(ids.size()) > e.max_tokens()) {  // never truncated: left out
      ++too_long;
      continue;
    }
    tokens += ids.size();
    longest = std::max(longest, ids.size());
    seqs.push_back(std::move(ids));
  }
  const double tok_s = seconds_since(t_tok);
  // What padding each batch to its longest sequence would cost instead of packing.
  size_t padded_tokens = 0;
  for (size_t b = 0; b < seqs.size(); b += static_cast<size_t>(batch)) {
    const size_t end = std::min(seqs.size(), b + static_cast<size_t>(batch));
    size_t longest_in_batch = 0;
    for (size_t i = b; i < end; ++i) longest_in_batch = std::max(longest_in_batch, seqs[i].size());
    padded_tokens += longest_in_batch * (end - b);
  }
  if (too_long) std::printf("%zu sentences longer than the context left out\n", too_long);

  auto warm = e.embed_tokens(std::span(seqs).first(std::min<size_t>(seqs.size(), static_cast<size_t>(batch))));
  if (!warm.ok()) {
    std::fprintf(stderr, "embed_bench: %s\n", warm.status().to_string().c_str());
    return 1;
  }
  std::vector<double> times, cpu_times;
  for (int r = 0; r < repeats; ++r) {
    const auto t0 = Clock::now();
    const double c0 = cpu_seconds();
    auto v = e.embed_tokens(seqs);
    times.push_back(seconds_since(t0));
    cpu_times.push_back(cpu_seconds() - c0);
    if (!v.ok()) {
      std::fprintf(stderr, "embed_bench: %s\n", v.status().to_string().c_str());
      return 1;
    }
  }
  const double med = median(times);
  const double cpu_med = median(cpu_times);
  const double best = *std::min_element(times.begin(), times.end());
  const double worst = *std::max_element(times.begin(), times.end());
  std::printf("model %s: dim %lld, pooling %s\n", model.c_str(), static_cast<long long>(e.dim()),
              std::string(anvil::engine::pooling_type_name(e.pooling())).c_str());
  std::printf("sentences %zu (SciFact), tokens %zu ([CLS]/[SEP] included), mean %.1f, longest %zu\n",
              seqs.size(), tokens, static_cast<double>(tokens) / static_cast<double>(seqs.size()),
              longest);
  std::printf("threads %d, batch %d, repeats %d\n", threads, batch, repeats);
  std::printf("packed: %zu tokens; padded to each batch's longest it would be %zu (%.2fx)\n", tokens,
              padded_tokens, static_cast<double>(padded_tokens) / static_cast<double>(tokens));
  std::printf("tokenize: %.0f sentences/s\n", static_cast<double>(sentences.size()) / tok_s);
  std::printf("embed: %.1f sentences/s, %.0f tokens/s (median %.3f s; min %.3f, max %.3f)\n",
              static_cast<double>(seqs.size()) / med, static_cast<double>(tokens) / med, med,
              best, worst);
  std::printf("cpu: %.1f sentences per CPU-second (median %.3f CPU-s per repeat)\n",
              static_cast<double>(seqs.size()) / cpu_med, cpu_med);
  return 0;
}
