#include "anvil/gateway/local_rerank.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>

#include "anvil/gateway/local_failures.h"

namespace anvil::gateway {

namespace asio = boost::asio;
namespace json = boost::json;

namespace {

std::string_view view(const json::string& s) { return {s.data(), s.size()}; }

UpstreamFailure invalid(std::string_view param, std::string_view expected, const json::value* found) {
  return local_client_error(400,
                            found == nullptr ? fmt::format("missing '{}': expected {}", param, expected)
                                             : fmt::format("invalid '{}': expected {}, found {}", param,
                                                           expected, json::serialize(*found)),
                            param);
}

// The document's text: a string, or an object's "text" (Cohere and Jina accept both).
const json::string* document_text(const json::value& d) {
  if (d.is_string()) return &d.get_string();
  if (!d.is_object()) return nullptr;
  const json::value* text = d.get_object().if_contains("text");
  return text != nullptr && text->is_string() ? &text->get_string() : nullptr;
}

// 1 / (1 + e^-logit): the relevance as a probability, which is what Cohere's and Jina's APIs
// return and what FlagEmbedding's compute_score(normalize=True) gives for bge-reranker.
double relevance(float logit) { return 1.0 / (1.0 + std::exp(-static_cast<double>(logit))); }

// logits: one per document, in the documents' order.
std::string answer_body(const RerankCall& call, std::span<const float> logits, std::string_view model,
                        std::string_view request_id, int64_t tokens) {
  std::vector<size_t> order(logits.size());
  std::iota(order.begin(), order.end(), size_t{0});
  // Most relevant first; equal scores keep the documents' order.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return logits[a] > logits[b]; });
  order.resize(std::min(order.size(), call.top_n));
  json::array results;
  results.reserve(order.size());
  for (size_t i : order) {
    json::object r{{"index", i}, {"relevance_score", relevance(logits[i])}};
    if (call.return_documents) r["document"] = json::object{{"text", call.documents[i]}};
    results.push_back(std::move(r));
  }
  json::object o{{"id", fmt::format("rerank-{}", request_id)},
                 {"object", "list"},
                 {"model", model},
                 {"results", std::move(results)},
                 {"usage", json::object{{"prompt_tokens", tokens}, {"total_tokens", tokens}}}};
  return json::serialize(o);
}

}  // namespace

std::variant<RerankCall, UpstreamFailure> read_rerank(const engine::Reranker& reranker,
                                                      const json::object& body) {
  RerankCall call;
  const json::value* query = body.if_contains("query");
  if (query == nullptr || !query->is_string()) return invalid("query", "a string", query);
  const json::value* docs = body.if_contains("documents");
  if (docs == nullptr || !docs->is_array() || docs->get_array().empty()) {
    return invalid("documents", "a non-empty array of strings or of objects with a 'text'", docs);
  }
  const json::array& list = docs->get_array();
  call.top_n = list.size();
  if (const json::value* top_n = body.if_contains("top_n"); top_n != nullptr && !top_n->is_null()) {
    if (top_n->is_int64() && top_n->get_int64() >= 1) {
      call.top_n = std::min(call.top_n, static_cast<size_t>(top_n->get_int64()));
    } else if (!top_n->is_uint64()) {  // a uint64 is past INT64_MAX: every document
      return invalid("top_n", "an integer >= 1", top_n);
    }
  }
  if (const json::value* r = body.if_contains("return_documents"); r != nullptr && !r->is_null()) {
    if (!r->is_bool()) return invalid("return_documents", "a boolean", r);
    call.return_documents = r->get_bool();
  }

  const engine::EncoderRuntime& rt = reranker.runtime();
  const std::vector<text::TokenId> q = rt.tokenize(view(query->get_string()));
  call.work.pairs.reserve(list.size());
  call.documents.reserve(list.size());
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string param = fmt::format("documents[{}]", i);
    const json::string* text = document_text(list[i]);
    if (text == nullptr) return invalid(param, "a string or an object with a 'text'", &list[i]);
    const std::vector<text::TokenId> d = rt.tokenize(view(*text));
    engine::RerankPair pair = reranker.make_pair(q, d);
    const auto n = static_cast<int64_t>(pair.tokens.size());
    if (n > reranker.max_tokens()) {
      return local_context_overflow(
          fmt::format("{}: the query ({} tokens) and the document ({} tokens) make a pair of {} "
                      "tokens with the special tokens, the model's context holds {}; nothing is "
                      "truncated: split the document",
                      param, q.size(), d.size(), n, reranker.max_tokens()),
          "documents");
    }
    call.work.pairs.push_back(std::move(pair));
    call.documents.push_back(view(*text));
  }
  return call;
}

asio::awaitable<Attempt> answer_rerank(LocalEncoder& encoder, const Deployment& deployment,
                                       const ProviderRequest& request) {
  Attempt attempt;
  auto read = read_rerank(*encoder.reranker(), request.body);
  if (auto* f = std::get_if<UpstreamFailure>(&read)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  RerankCall call = std::move(std::get<RerankCall>(read));
  const int64_t tokens = call.work.tokens();
  auto logits = co_await run_encoder(encoder, std::move(call.work), deployment, request.deadline);
  if (auto* f = std::get_if<UpstreamFailure>(&logits)) {
    attempt.failure = std::move(*f);
    co_return attempt;
  }
  attempt.response.usage = encoder_usage(tokens);
  attempt.response.body =
      answer_body(call, std::get<std::vector<float>>(logits), deployment.name, request.request_id, tokens);
  co_return attempt;
}

}  // namespace anvil::gateway
