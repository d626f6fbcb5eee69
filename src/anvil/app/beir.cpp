#include "anvil/app/beir.h"

#include <algorithm>
#include <cmath>
#include <fstream>

#include <boost/json.hpp>

namespace anvil::app {

using core::Result;
using core::Status;

std::string beir_doc_id(const std::string& uri) {
  auto hash = uri.rfind('#');
  return hash == std::string::npos ? uri : uri.substr(hash + 1);
}

Result<std::vector<BeirQuery>> load_beir_queries(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::not_found("cannot read BEIR queries " + path.string());
  std::vector<BeirQuery> out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    boost::system::error_code ec;
    auto v = boost::json::parse(line, ec);
    const boost::json::object* o = (!ec && v.is_object()) ? &v.get_object() : nullptr;
    const boost::json::value* id = o ? o->if_contains("_id") : nullptr;
    const boost::json::value* text = o ? o->if_contains("text") : nullptr;
    if (!id || !text || !text->is_string() || !(id->is_string() || id->is_int64())) {
      return Status::invalid_argument(path.string() + ":" + std::to_string(n) +
                                      ": expected a JSON object with string \"_id\" and \"text\"");
    }
    out.push_back({id->is_string() ? std::string(id->get_string()) : std::to_string(id->get_int64()),
                   std::string(text->get_string())});
  }
  return out;
}

Result<Qrels> load_qrels(const std::filesystem::path& path) {
  std::ifstream in(path);
  if (!in) return Status::not_found("cannot read qrels " + path.string());
  Qrels out;
  std::string line;
  for (int n = 1; std::getline(in, line); ++n) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (line.empty()) continue;
    auto t1 = line.find('\t');
    auto t2 = t1 == std::string::npos ? t1 : line.find('\t', t1 + 1);
    if (t2 == std::string::npos) {
      return Status::invalid_argument(path.string() + ":" + std::to_string(n) +
                                      ": expected query-id<TAB>corpus-id<TAB>score, found '" + line + "'");
    }
    std::string score = line.substr(t2 + 1);
    if (n == 1 && score == "score") continue;  // the header
    char* end = nullptr;
    long rel = std::strtol(score.c_str(), &end, 10);
    if (score.empty() || *end != '\0') {
      return Status::invalid_argument(path.string() + ":" + std::to_string(n) +
                                      ": expected an integer score, found '" + score + "'");
    }
    out[line.substr(0, t1)][line.substr(t1 + 1, t2 - t1 - 1)] = static_cast<int>(rel);
  }
  return out;
}

QueryMetrics score_ranking(const std::string& query_id, const std::vector<std::string>& ranking,
                           const std::unordered_map<std::string, int>& judged) {
  QueryMetrics m;
  m.query_id = query_id;
  std::vector<int> gains;
  int relevant = 0;
  for (const auto& [doc, rel] : judged) {
    if (rel > 0) {
      gains.push_back(rel);
      ++relevant;
    }
  }
  if (relevant == 0) return m;
  std::sort(gains.rbegin(), gains.rend());
  double dcg = 0, idcg = 0;
  for (size_t i = 0; i < gains.size() && i < 10; ++i) idcg += gains[i] / std::log2(static_cast<double>(i) + 2);
  int found = 0;
  for (size_t i = 0; i < ranking.size() && i < 100; ++i) {
    auto it = judged.find(ranking[i]);
    int rel = it == judged.end() ? 0 : it->second;
    if (rel <= 0) continue;
    ++found;
    if (i < 10) {
      dcg += rel / std::log2(static_cast<double>(i) + 2);
      if (m.mrr_at_10 == 0) m.mrr_at_10 = 1.0 / static_cast<double>(i + 1);
    }
  }
  m.ndcg_at_10 = dcg / idcg;
  m.recall_at_100 = static_cast<double>(found) / relevant;
  return m;
}

RetrievalMetrics average(const std::vector<QueryMetrics>& per_query) {
  RetrievalMetrics r;
  r.queries = static_cast<int>(per_query.size());
  if (per_query.empty()) return r;
  for (const auto& q : per_query) {
    r.ndcg_at_10 += q.ndcg_at_10;
    r.recall_at_100 += q.recall_at_100;
    r.mrr_at_10 += q.mrr_at_10;
  }
  r.ndcg_at_10 /= r.queries;
  r.recall_at_100 /= r.queries;
  r.mrr_at_10 /= r.queries;
  return r;
}

}  // namespace anvil::app
