// `anvil embed --model E TEXT... [--json]` and `anvil rerank --model R --query Q DOC... [--json]`:
// embeddings and cross-encoder scores from BERT-family GGUF models (docs/EMBEDDINGS.md). A TEXT or
// DOC of "-" stands for the lines of standard input, one text per line.
#include <algorithm>
#include <cstdio>
#include <iostream>
#include <numeric>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/cli/context.h"
#include "anvil/engine/embedder.h"
#include "anvil/engine/reranker.h"

namespace anvil::cli {

namespace {

// Replaces a "-" argument by the lines of stdin (a final newline does not make an empty text).
core::Result<std::vector<std::string>> expand_stdin(const std::vector<std::string>& args,
                                                    const char* what) {
  std::vector<std::string> out;
  bool read_stdin = false;
  for (const std::string& a : args) {
    if (a != "-") {
      out.push_back(a);
      continue;
    }
    if (read_stdin) {
      return core::Status::invalid_argument(
          fmt::format("'-' (read {} from standard input) may be given once", what));
    }
    read_stdin = true;
    std::string line;
    while (std::getline(std::cin, line)) {
      if (!line.empty() && line.back() == '\r') line.pop_back();
      out.push_back(line);
    }
  }
  if (out.empty()) {
    return core::Status::invalid_argument(fmt::format("no {} given (pass them as arguments, or '-' "
                                                      "to read one per line from standard input)",
                                                      what));
  }
  return out;
}

std::string model_name(const std::string& path) {
  return std::filesystem::path(path).stem().string();
}

struct EncoderFlags {
  std::string model;
  int threads = 0;
  int batch = 32;
  bool json = false;
};

void add_encoder_flags(CLI::App* cmd, EncoderFlags& f) {
  cmd->add_option("-m,--model", f.model, "GGUF model file (arch bert)")->required();
  cmd->add_option("-t,--threads", f.threads, "Threads (0: all cores)")->capture_default_str();
  cmd->add_option("--batch", f.batch, "Texts per forward pass")->capture_default_str();
  cmd->add_flag("--json", f.json, "Print JSON");
}

engine::EncoderOptions encoder_options(const EncoderFlags& f) {
  engine::EncoderOptions o;
  o.threads = f.threads;
  o.max_batch = f.batch;
  return o;
}

}  // namespace

void register_embed(CLI::App& app, Context& ctx) {
  {
    auto* cmd = app.add_subcommand("embed", "Embed texts with an embedding model (e.g. bge)");
    struct Options {
      EncoderFlags flags;
      std::vector<std::string> texts;
    };
    auto opts = std::make_shared<Options>();
    add_encoder_flags(cmd, opts->flags);
    cmd->add_option("texts", opts->texts, "Texts to embed ('-': one per line from stdin)");
    cmd->callback([&ctx, opts] {
      auto texts = expand_stdin(opts->texts, "texts");
      if (!texts.ok()) return ctx.fail(texts.status());
      auto embedder = engine::Embedder::open(opts->flags.model, encoder_options(opts->flags));
      if (!embedder.ok()) return ctx.fail(embedder.status());
      auto vectors = (*embedder)->embed(*texts);
      if (!vectors.ok()) return ctx.fail(vectors.status());
      if (opts->flags.json) {
        boost::json::array data;
        for (size_t i = 0; i < vectors->size(); ++i) {
          boost::json::array v;
          for (float x : (*vectors)[i]) v.push_back(static_cast<double>(x));
          data.push_back(boost::json::object{{"index", i}, {"embedding", std::move(v)}});
        }
        boost::json::object out{{"model", model_name(opts->flags.model)},
                                {"dim", (*embedder)->dim()},
                                {"data", std::move(data)}};
        std::printf("%s\n", boost::json::serialize(out).c_str());
        return;
      }
      for (size_t i = 0; i < vectors->size(); ++i) {
        std::string line = fmt::format("embedding {}:", i);
        for (float x : (*vectors)[i]) line += fmt::format(" {:.6f}", x);
        std::printf("%s\n", line.c_str());
      }
    });
  }
  {
    auto* cmd = app.add_subcommand("rerank", "Score documents against a query with a cross-encoder");
    struct Options {
      EncoderFlags flags;
      std::string query;
      std::vector<std::string> docs;
    };
    auto opts = std::make_shared<Options>();
    add_encoder_flags(cmd, opts->flags);
    cmd->add_option("-q,--query", opts->query, "The query")->required();
    cmd->add_option("docs", opts->docs, "Documents ('-': one per line from stdin)");
    cmd->callback([&ctx, opts] {
      auto docs = expand_stdin(opts->docs, "documents");
      if (!docs.ok()) return ctx.fail(docs.status());
      auto reranker = engine::Reranker::open(opts->flags.model, encoder_options(opts->flags));
      if (!reranker.ok()) return ctx.fail(reranker.status());
      auto scores = (*reranker)->score(opts->query, *docs);
      if (!scores.ok()) return ctx.fail(scores.status());
      std::vector<size_t> order(docs->size());
      std::iota(order.begin(), order.end(), size_t{0});
      // Highest score first; ties keep the documents' order.
      std::stable_sort(order.begin(), order.end(),
                       [&](size_t a, size_t b) { return (*scores)[a] > (*scores)[b]; });
      if (opts->flags.json) {
        boost::json::array results;
        for (size_t i : order) {
          results.push_back(boost::json::object{{"index", i},
                                                {"score", static_cast<double>((*scores)[i])},
                                                {"document", (*docs)[i]}});
        }
        boost::json::object out{{"model", model_name(opts->flags.model)},
                                {"query", opts->query},
                                {"results", std::move(results)}};
        std::printf("%s\n", boost::json::serialize(out).c_str());
        return;
      }
      for (size_t rank = 0; rank < order.size(); ++rank) {
        const size_t i = order[rank];
        std::printf("%2zu. %9.4f  [%zu] %s\n", rank + 1, static_cast<double>((*scores)[i]), i,
                    (*docs)[i].c_str());
      }
    });
  }
}

}  // namespace anvil::cli
