// BEIR benchmark data (queries.jsonl, qrels/*.tsv) and the retrieval metrics of trec_eval as BEIR
// reports them: nDCG@10 with graded (linear) gains, Recall@100 and MRR@10.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "anvil/core/status.h"

namespace anvil::app {

struct BeirQuery {
  std::string id;
  std::string text;
};

// qrels[query id][document id] = graded relevance (> 0 is relevant).
using Qrels = std::map<std::string, std::unordered_map<std::string, int>>;

// BEIR corpus records are stored as documents "<corpus path>#<_id>": the _id back from the uri.
std::string beir_doc_id(const std::string& document_uri);

core::Result<std::vector<BeirQuery>> load_beir_queries(const std::filesystem::path& queries_jsonl);
// `query-id<TAB>corpus-id<TAB>score` with a header line; malformed lines name their number.
core::Result<Qrels> load_qrels(const std::filesystem::path& tsv);

struct QueryMetrics {
  std::string query_id;
  double ndcg_at_10 = 0;
  double recall_at_100 = 0;
  double mrr_at_10 = 0;
};

// Metrics of one ranked list of document ids (best first, no duplicates) against its judgements.
QueryMetrics score_ranking(const std::string& query_id, const std::vector<std::string>& ranking,
                           const std::unordered_map<std::string, int>& judged);

struct RetrievalMetrics {
  int queries = 0;
  double ndcg_at_10 = 0;
  double recall_at_100 = 0;
  double mrr_at_10 = 0;
};

// Mean over the given per-query metrics.
RetrievalMetrics average(const std::vector<QueryMetrics>& per_query);

}  // namespace anvil::app
