// `anvil eval retrieval --beir DIR [--qrels test] [--per-query] [--json]`
#include <cstdio>
#include <random>

#include <boost/json.hpp>

#include "anvil/app/eval_retrieval.h"
#include "anvil/cli/context.h"
#include "anvil/cli/progress_bar.h"

namespace anvil::cli {

void register_eval(CLI::App& app, Context& ctx) {
  auto* cmd = app.add_subcommand("eval", "Measure quality on benchmark data");
  cmd->require_subcommand(1);
  struct Options {
    app::RetrievalEvalOptions eval;
    std::string beir_dir;
    std::string collection;
    bool per_query = false;
    bool json = false;
  };
  auto opts = std::make_shared<Options>();
  auto* retrieval = cmd->add_subcommand("retrieval", "nDCG@10, Recall@100 and MRR@10 of search on a BEIR folder");
  retrieval->add_option("--beir", opts->beir_dir, "BEIR folder: corpus.jsonl, queries.jsonl, qrels/")->required();
  retrieval->add_option("--qrels", opts->eval.qrels, "Which qrels/<NAME>.tsv to score against")->capture_default_str();
  retrieval->add_option("--collection", opts->collection,
                        "Keep the corpus in this collection of the data directory (default: a scratch "
                        "collection in a temporary directory, removed afterwards)");
  retrieval->add_option("--language", opts->eval.spec.language, "Analyzer: auto, en or zh")->capture_default_str();
  retrieval->add_option("--chunk-size", opts->eval.spec.chunk_size, "Chunk size in tokens")->capture_default_str();
  retrieval->add_option("--k1", opts->eval.spec.bm25_k1, "BM25 k1")->capture_default_str();
  retrieval->add_option("--b", opts->eval.spec.bm25_b, "BM25 b")->capture_default_str();
  retrieval->add_flag("--per-query", opts->per_query, "Also print each query's metrics (JSON lines)");
  retrieval->add_flag("--json", opts->json, "Print JSON");
  retrieval->callback([&ctx, opts] {
    opts->eval.beir_dir = opts->beir_dir;
    std::optional<std::filesystem::path> scratch;
    core::Result<app::KnowledgeBase> kb = core::Status::internal("unset");
    if (opts->collection.empty()) {
      std::random_device rd;
      scratch = std::filesystem::temp_directory_path() / ("anvil-eval-" + std::to_string(rd()));
      kb = app::KnowledgeBase::open(*scratch);
      opts->eval.spec.name = "eval";
    } else {
      kb = ctx.open_knowledge_base();
      opts->eval.spec.name = opts->collection;
    }
    if (!kb.ok()) return ctx.fail(kb.status());
    ProgressBar bar(!opts->json);
    auto report = app::eval_retrieval(*kb, opts->eval, [&](const app::IngestProgress& p) {
      bar.update(p.bytes_done, p.bytes_total, p.files_done, p.files_total, p.seconds,
                 std::to_string(p.documents) + " documents");
    });
    bar.finish();
    if (scratch) {
      std::error_code ec;
      std::filesystem::remove_all(*scratch, ec);
    }
    if (!report.ok()) return ctx.fail(report.status());
    const auto& m = report->metrics;
    if (opts->json) {
      boost::json::object o{{"beir", opts->beir_dir},
                            {"qrels", opts->eval.qrels},
                            {"queries", m.queries},
                            {"documents", report->documents},
                            {"chunks", report->chunks},
                            {"ndcg@10", m.ndcg_at_10},
                            {"recall@100", m.recall_at_100},
                            {"mrr@10", m.mrr_at_10},
                            {"ingest_seconds", report->ingest_seconds},
                            {"search_seconds", report->search_seconds}};
      if (opts->per_query) {
        boost::json::array arr;
        for (const auto& q : report->per_query) {
          arr.push_back({{"query_id", q.query_id},
                         {"ndcg@10", q.ndcg_at_10},
                         {"recall@100", q.recall_at_100},
                         {"mrr@10", q.mrr_at_10}});
        }
        o["per_query"] = std::move(arr);
      }
      std::printf("%s\n", boost::json::serialize(o).c_str());
      return;
    }
    if (opts->per_query) {
      for (const auto& q : report->per_query) {
        std::printf("{\"query_id\":%s,\"ndcg@10\":%.4f,\"recall@100\":%.4f,\"mrr@10\":%.4f}\n",
                    boost::json::serialize(boost::json::value(q.query_id)).c_str(), q.ndcg_at_10,
                    q.recall_at_100, q.mrr_at_10);
      }
    }
    std::printf("BEIR %s (qrels %s): %d queries, %lld documents in %lld chunks\n", opts->beir_dir.c_str(),
                opts->eval.qrels.c_str(), m.queries, static_cast<long long>(report->documents),
                static_cast<long long>(report->chunks));
    std::printf("nDCG@10     %.4f\nRecall@100  %.4f\nMRR@10      %.4f\n", m.ndcg_at_10, m.recall_at_100, m.mrr_at_10);
    std::printf("ingest %.2f s, search %.3f s (%.3f ms/query)\n", report->ingest_seconds, report->search_seconds,
                m.queries ? report->search_seconds * 1000 / m.queries : 0.0);
  });
}

}  // namespace anvil::cli
