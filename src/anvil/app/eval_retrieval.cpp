#include "anvil/app/eval_retrieval.h"

#include <chrono>
#include <unordered_map>
#include <unordered_set>

namespace anvil::app {

using core::Result;
using core::Status;

Result<RetrievalEvalReport> eval_retrieval(KnowledgeBase& kb, const RetrievalEvalOptions& options,
                                           const IngestProgressFn& progress) {
  const auto& dir = options.beir_dir;
  auto corpus = dir / "corpus.jsonl";
  auto qrels_path = dir / "qrels" / (options.qrels + ".tsv");
  for (const auto& p : {corpus, dir / "queries.jsonl", qrels_path}) {
    std::error_code ec;
    if (!std::filesystem::is_regular_file(p, ec)) {
      return Status::not_found("BEIR folder " + dir.string() + ": expected " + p.filename().string() +
                               " (corpus.jsonl, queries.jsonl and qrels/" + options.qrels + ".tsv), found none at " +
                               p.string());
    }
  }
  ANVIL_ASSIGN_OR_RETURN(auto queries, load_beir_queries(dir / "queries.jsonl"));
  ANVIL_ASSIGN_OR_RETURN(auto qrels, load_qrels(qrels_path));

  RetrievalEvalReport report;
  IngestOptions ingest_options;
  ANVIL_ASSIGN_OR_RETURN(auto ingested, kb.ingest(options.spec.name, {corpus}, ingest_options, progress, options.spec));
  if (!ingested.ok()) {
    for (const auto& f : ingested.files) {
      if (f.kind == FileOutcomeKind::kFailed) return Status::invalid_argument(f.path + ": " + f.message);
    }
  }
  report.ingest_seconds = ingested.seconds;

  ANVIL_ASSIGN_OR_RETURN(auto collection, kb.get_collection(options.spec.name));
  ANVIL_ASSIGN_OR_RETURN(auto stats, kb.store().stats(collection.id));
  report.documents = stats.documents;
  report.chunks = stats.chunks;

  // chunk id -> BEIR document id, read once rather than per hit.
  std::unordered_map<int64_t, std::string> doc_of_chunk;
  doc_of_chunk.reserve(static_cast<size_t>(stats.chunks));
  ANVIL_RETURN_IF_ERROR(kb.store().for_each_chunk_since(collection.id, 0, [&](const store::StoredChunk& c) {
    doc_of_chunk.emplace(c.chunk.id, beir_doc_id(c.document_uri));
    return Status{};
  }));

  ANVIL_ASSIGN_OR_RETURN(CollectionIndex * index, kb.index(options.spec.name));
  // Enough chunks that 100 distinct documents remain after keeping each document's best chunk.
  size_t depth = report.chunks > report.documents ? 1000 : 100;
  auto start = std::chrono::steady_clock::now();
  std::vector<std::string> terms;
  for (const auto& q : queries) {
    auto judged = qrels.find(q.id);
    if (judged == qrels.end()) continue;
    terms.clear();
    index->analyzer().analyze(q.text, terms);
    auto hits = index->bm25().search(terms, depth, nullptr);
    std::vector<std::string> ranking;
    std::unordered_set<std::string> seen;
    for (const auto& h : hits) {
      const auto& doc = doc_of_chunk[h.id];
      if (seen.insert(doc).second) ranking.push_back(doc);
      if (ranking.size() == 100) break;
    }
    report.per_query.push_back(score_ranking(q.id, ranking, judged->second));
  }
  report.search_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  report.metrics = average(report.per_query);
  return report;
}

}  // namespace anvil::app
