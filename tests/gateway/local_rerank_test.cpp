// The local provider answering /v1/rerank from a tiny cross-encoder: results sorted by
// relevance_score, which is the sigmoid of the engine's own logit for the pair, top_n and
// return_documents, documents as strings or {"text"}, usage and token counting, and pairs over
// the context or malformed documents refused with their index.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "anvil/engine/reranker.h"
#include "anvil/gateway/local_provider.h"
#include "gateway/local_encoder_fixture.h"
#include "testing/temp_dir.h"

namespace anvil::gateway {
namespace {

namespace json = boost::json;
using anvil::testing::run_coroutine;

class LocalRerankTest : public ::testing::Test {
 protected:
  void SetUp() override {
    deployment_.name = "ranker";
    deployment_.provider = "local";
    deployment_.model = anvil::testing::write_tiny_encoder(dir_.path(), "ranker.gguf", true).string();
    LocalProviderOptions o;
    o.threads = 1;
    auto p = LocalProvider::create(std::span(&deployment_, 1), o);
    ASSERT_TRUE(p.ok()) << p.status().to_string();
    provider_ = std::move(p).value();
    engine::EncoderOptions eo;
    eo.threads = 1;
    auto r = engine::Reranker::open(deployment_.model, eo);
    ASSERT_TRUE(r.ok());
    reranker_ = std::move(r).value();
  }

  static ProviderRequest request(json::object body) {
    ProviderRequest r;
    r.op = Operation::kRerank;
    r.body = std::move(body);
    r.body["model"] = "ranker";
    r.request_id = "req-7";
    r.deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
    return r;
  }

  Attempt complete(const ProviderRequest& r) {
    return run_coroutine([&]() { return provider_->complete(deployment_, r); });
  }

  anvil::testing::TempDir dir_;
  Deployment deployment_;
  std::unique_ptr<LocalProvider> provider_;
  std::unique_ptr<engine::Reranker> reranker_;
};

const std::vector<std::string> kDocs = {"replace the seal", "cats sleep", "fix the leak",
                                        "the dog sat on the mat"};

json::array docs_json() {
  // Strings and {"text"} objects may be mixed.
  return json::array{kDocs[0], json::object{{"text", kDocs[1]}}, kDocs[2], json::object{{"text", kDocs[3]}}};
}

TEST_F(LocalRerankTest, ResultsAreSortedBySigmoidOfTheEnginesLogits) {
  const ProviderRequest r = request({{"query", "pump seal leak"}, {"documents", docs_json()}});
  Attempt a = complete(r);
  ASSERT_TRUE(a.ok()) << a.failure->message;
  auto logits = reranker_->score("pump seal leak", kDocs);
  ASSERT_TRUE(logits.ok());

  const json::object body = json::parse(a.response.body).as_object();
  EXPECT_EQ(body.at("id").as_string(), "rerank-req-7");
  EXPECT_EQ(body.at("model").as_string(), "ranker");
  const json::array& results = body.at("results").as_array();
  ASSERT_EQ(results.size(), kDocs.size());
  std::vector<bool> seen(kDocs.size());
  double previous = 2.0;
  for (const json::value& v : results) {
    const json::object& item = v.as_object();
    const auto i = static_cast<size_t>(item.at("index").as_int64());
    ASSERT_LT(i, kDocs.size());
    seen[i] = true;
    const double score = item.at("relevance_score").as_double();
    EXPECT_NEAR(score, 1.0 / (1.0 + std::exp(-static_cast<double>((*logits)[i]))), 1e-6) << "document " << i;
    EXPECT_LE(score, previous);
    previous = score;
    EXPECT_FALSE(item.contains("document"));  // return_documents defaults to false
  }
  EXPECT_EQ(seen, std::vector<bool>(kDocs.size(), true));

  int64_t tokens = 0;
  const auto q = reranker_->runtime().tokenize("pump seal leak");
  for (const std::string& d : kDocs)
    tokens += static_cast<int64_t>(reranker_->make_pair(q, reranker_->runtime().tokenize(d)).tokens.size());
  EXPECT_EQ(body.at("usage").at("prompt_tokens").as_int64(), tokens);
  EXPECT_EQ(a.response.usage.prompt_tokens, tokens);
  auto counted = provider_->count_prompt_tokens(deployment_, Operation::kRerank, r.body);
  ASSERT_TRUE(counted.ok()) << counted.status().to_string();
  EXPECT_EQ(*counted, tokens);
}

TEST_F(LocalRerankTest, TopNAndReturnDocuments) {
  Attempt all = complete(request({{"query", "pump seal leak"}, {"documents", docs_json()}}));
  Attempt top = complete(request(
      {{"query", "pump seal leak"}, {"documents", docs_json()}, {"top_n", 2}, {"return_documents", true}}));
  ASSERT_TRUE(all.ok());
  ASSERT_TRUE(top.ok());
  const json::value all_body = json::parse(all.response.body);
  const json::value top_body = json::parse(top.response.body);
  const json::array& every = all_body.at("results").as_array();
  const json::array& best = top_body.at("results").as_array();
  ASSERT_EQ(best.size(), 2u);
  for (size_t k = 0; k < 2; ++k) {
    const auto i = static_cast<size_t>(best[k].at("index").as_int64());
    EXPECT_EQ(i, static_cast<size_t>(every[k].at("index").as_int64()));
    EXPECT_EQ(best[k].at("document").at("text").as_string(), kDocs[i]);
  }
  // A top_n past the number of documents returns them all.
  Attempt many = complete(request({{"query", "q"}, {"documents", docs_json()}, {"top_n", 100}}));
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(json::parse(many.response.body).at("results").as_array().size(), kDocs.size());
}

TEST_F(LocalRerankTest, PairsOverTheContextAndBadDocumentsAreRefused) {
  std::string thirty_words;
  for (int i = 0; i < 5; ++i) thirty_words += "the cat sat on the mat ";
  Attempt a = complete(
      request({{"query", "pump seal leak"}, {"documents", json::array{"fix the leak", thirty_words}}}));
  ASSERT_FALSE(a.ok());
  EXPECT_EQ(a.failure->kind, FailureKind::kContextOverflow);
  EXPECT_EQ(a.failure->message,
            "documents[1]: the query (3 tokens) and the document (30 tokens) make a pair of 36 tokens "
            "with the special tokens, the model's context holds 24; nothing is truncated: split the "
            "document");
  EXPECT_EQ(json::parse(a.failure->body).at("error").at("param").as_string(), "documents");

  Attempt b = complete(request({{"query", "q"}, {"documents", json::array{"a", 5}}}));
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.failure->http_status, 400);
  EXPECT_EQ(b.failure->message,
            "invalid 'documents[1]': expected a string or an object with a 'text', found 5");

  Attempt c = complete(request({{"query", "q"}, {"documents", json::array{}}}));
  ASSERT_FALSE(c.ok());
  EXPECT_EQ(
      c.failure->message,
      "invalid 'documents': expected a non-empty array of strings or of objects with a 'text', found []");

  ProviderRequest embeddings = request({{"input", "x"}});
  embeddings.op = Operation::kEmbeddings;
  auto counted = provider_->count_prompt_tokens(deployment_, Operation::kEmbeddings, embeddings.body);
  ASSERT_FALSE(counted.ok());
  EXPECT_EQ(counted.status().message(),
            "deployment 'ranker' is a reranker (a cross-encoder with a classification head): it serves "
            "/v1/rerank, not /v1/embeddings");
}

}  // namespace
}  // namespace anvil::gateway
