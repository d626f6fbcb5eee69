// `anvil eval retrieval`: ingests a BEIR folder's corpus into a collection, runs its queries and
// scores the rankings against its qrels (document level: a document scores as its best chunk).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "anvil/app/beir.h"
#include "anvil/app/ingest.h"
#include "anvil/app/knowledge_base.h"
#include "anvil/core/status.h"

namespace anvil::app {

struct RetrievalEvalOptions {
  std::filesystem::path beir_dir;
  std::string qrels = "test";         // qrels/<name>.tsv
  // Settings of the collection the corpus goes into. BEIR documents are judged whole, so the
  // default chunk size keeps nearly every document in one chunk, as Anserini indexes them.
  store::CollectionSpec spec{.name = "", .chunk_size = 4096, .chunk_overlap = 0};
};

struct RetrievalEvalReport {
  RetrievalMetrics metrics;
  std::vector<QueryMetrics> per_query;
  int64_t documents = 0;
  int64_t chunks = 0;
  double ingest_seconds = 0;
  double search_seconds = 0;
};

// Uses (and keeps) the collection named in options.spec.name inside `kb`.
core::Result<RetrievalEvalReport> eval_retrieval(KnowledgeBase& kb, const RetrievalEvalOptions& options,
                                                 const IngestProgressFn& progress = {});

}  // namespace anvil::app
