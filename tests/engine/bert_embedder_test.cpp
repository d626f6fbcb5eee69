// Embedder and Reranker on small hand-built models with a tiny WordPiece vocabulary: how texts
// become [CLS] text [SEP] and pairs [CLS] q [SEP] d [SEP] with segment ids, golden errors (texts
// longer than the context are refused, never truncated; the wrong kind of model), and results
// that do not depend on batch limits or thread counts.
#include <cmath>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anvil/engine/embedder.h"
#include "anvil/engine/gguf.h"
#include "anvil/engine/gguf_vocab.h"
#include "anvil/engine/reranker.h"
#include "engine/bert_test_model.h"
#include "testing/temp_dir.h"

namespace anvil::engine {
namespace {

using ::testing::ElementsAre;
using testing::TinyBertSpec;

// A runtime over bytes that `tiny` keeps alive.
core::Result<std::unique_ptr<EncoderRuntime>> runtime(const testing::TinyBert& tiny,
                                                      EncoderOptions options = {}) {
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<BertModel> model, tiny.load());
  ANVIL_ASSIGN_OR_RETURN(std::unique_ptr<text::Tokenizer> tok, load_tokenizer(model->file()));
  return EncoderRuntime::create(std::move(model), std::move(tok), options);
}

TinyBertSpec embedding_spec() {
  TinyBertSpec s;
  s.with_vocab = true;
  return s;
}

TinyBertSpec reranker_spec() {
  TinyBertSpec s;
  s.with_vocab = true;
  s.pooling = 4;
  s.rank_head = true;
  return s;
}

TEST(BertEmbedder, FramesTextsWithClsAndSep) {
  auto tiny = testing::tiny_bert(embedding_spec());
  auto rt = runtime(tiny);
  ASSERT_TRUE(rt.ok()) << rt.status().to_string();
  auto e = Embedder::create(std::move(rt).value());
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  // Ids from tiny_wordpiece_tokens(): [CLS] 2, ▁the 8, ▁cat 10, s 5, ▁sat 12, [UNK] 1, ▁. 28,
  // [SEP] 3.
  EXPECT_THAT((*e)->tokens_for("The cats sat zzz."), ElementsAre(2, 8, 10, 5, 12, 1, 28, 3));
  EXPECT_THAT((*e)->tokens_for(""), ElementsAre(2, 3));
  // Special-token text in user input is just text.
  EXPECT_THAT((*e)->tokens_for("[SEP]"), ElementsAre(2, 1, 1, 1, 3));
  EXPECT_EQ((*e)->dim(), 32);
  EXPECT_EQ((*e)->max_tokens(), 24);
}

TEST(BertEmbedder, EmbedsUnitVectorsIndependentOfBatchingAndThreads) {
  auto tiny = testing::tiny_bert(embedding_spec());
  const std::vector<std::string> texts = {"the cat sat on the mat", "hello world", "",
                                          "how to fix a pump seal leak?", "dog", "what is noise"};
  std::vector<std::vector<std::vector<float>>> runs;
  for (EncoderOptions o : {EncoderOptions{1, 32, 8192}, EncoderOptions{3, 2, 8192},
                           EncoderOptions{2, 32, 10}}) {
    auto rt = runtime(tiny, o);
    ASSERT_TRUE(rt.ok());
    auto e = Embedder::create(std::move(rt).value());
    ASSERT_TRUE(e.ok());
    auto v = (*e)->embed(texts);
    ASSERT_TRUE(v.ok()) << v.status().to_string();
    ASSERT_EQ(v->size(), texts.size());
    for (const auto& vec : *v) {
      ASSERT_EQ(vec.size(), 32u);
      double norm = 0;
      for (float x : vec) norm += static_cast<double>(x) * x;
      EXPECT_NEAR(norm, 1.0, 1e-5);
    }
    // embed() is embed_tokens() of tokens_for().
    std::vector<std::vector<text::TokenId>> seqs;
    for (const auto& t : texts) seqs.push_back((*e)->tokens_for(t));
    auto direct = (*e)->embed_tokens(seqs);
    ASSERT_TRUE(direct.ok());
    EXPECT_EQ(*direct, *v);
    runs.push_back(std::move(v).value());
  }
  for (size_t r = 1; r < runs.size(); ++r) {
    for (size_t t = 0; t < texts.size(); ++t) {
      for (size_t i = 0; i < 32; ++i) ASSERT_NEAR(runs[r][t][i], runs[0][t][i], 1e-6) << t;
    }
  }
  // Different texts give different vectors.
  EXPECT_NE(runs[0][0], runs[0][1]);
}

TEST(BertEmbedder, ConcurrentCallsShareTheModelAndPool) {
  auto tiny = testing::tiny_bert(embedding_spec());
  auto e = Embedder::create(runtime(tiny, {2, 2, 8192}).value());
  ASSERT_TRUE(e.ok());
  const std::vector<std::string> a = {"the cat sat", "hello world", "pump seal leak"};
  const std::vector<std::string> b = {"how to fix a bearing", "dog", "what is noise ?"};
  const auto want_a = (*e)->embed(a).value();
  const auto want_b = (*e)->embed(b).value();
  std::vector<std::vector<std::vector<float>>> got(8);
  std::vector<std::thread> threads;
  for (size_t t = 0; t < got.size(); ++t) {
    threads.emplace_back([&, t] { got[t] = (*e)->embed(t % 2 ? b : a).value(); });
  }
  for (auto& t : threads) t.join();
  for (size_t t = 0; t < got.size(); ++t) EXPECT_EQ(got[t], t % 2 ? want_b : want_a) << t;
}

TEST(BertEmbedder, OpensAFile) {
  auto tiny = testing::tiny_bert(embedding_spec());
  testing::TempDir dir;
  auto path = dir.write("tiny-embed.gguf", tiny.bytes);
  auto e = Embedder::open(path, {1, 32, 8192});
  ASSERT_TRUE(e.ok()) << e.status().to_string();
  const std::vector<std::string> texts = {"hello"};
  auto v = (*e)->embed(texts);
  ASSERT_TRUE(v.ok());
  EXPECT_EQ((*v)[0].size(), 32u);
}

TEST(BertEmbedder, GoldenErrors) {
  auto tiny = testing::tiny_bert(embedding_spec());
  auto e = Embedder::create(runtime(tiny).value());
  ASSERT_TRUE(e.ok());
  // 22 words + [CLS] + [SEP] = 24 tokens fit; 23 words do not.
  std::string fits;
  for (int i = 0; i < 22; ++i) fits += "cat ";
  const std::vector<std::string> texts = {"hello", fits, fits + "dog"};
  EXPECT_EQ((*e)->embed(texts).status().message(),
            "texts[2] has 25 tokens ([CLS] and [SEP] included), the model's context holds 24; "
            "texts are not truncated: split it");
  EXPECT_TRUE((*e)->embed(std::span(texts).first(2)).ok());

  const std::vector<std::vector<text::TokenId>> bad = {{2, 3}, {2, 99, 3}};
  EXPECT_EQ((*e)->embed_tokens(bad).status().message(),
            "sequences [0, 2): token id 99 at position 1 of sequence 1 is outside the vocabulary "
            "(32 tokens)");

  TinyBertSpec none = embedding_spec();
  none.pooling = 0;
  auto tiny_none = testing::tiny_bert(none);
  EXPECT_EQ(Embedder::create(runtime(tiny_none).value()).status().message(),
            "tiny.gguf: bert.pooling_type is 0 (none) or absent: the model gives one vector per "
            "token, not one per text; expected 1 (mean), 2 (cls) or 3 (last)");

  auto tiny_rank = testing::tiny_bert(reranker_spec());
  EXPECT_EQ(Embedder::create(runtime(tiny_rank).value()).status().message(),
            "tiny.gguf: bert.pooling_type is 4 (rank): this is a reranker, not an embedding model");
  EXPECT_EQ(Reranker::create(runtime(tiny).value()).status().message(),
            "tiny.gguf: bert.pooling_type is 1 (mean), expected 4 (rank): this is not a reranker");

  EXPECT_EQ(runtime(tiny, {-1, 32, 100}).status().message(),
            "encoder options: threads -1, max_batch 32, max_batch_tokens 100: expected threads >= "
            "0 and positive batch limits");

  TinyBertSpec no_vocab;  // no tokenizer.* keys
  auto tiny_nv = testing::tiny_bert(no_vocab);
  testing::TempDir dir;
  EXPECT_THAT(Embedder::open(dir.write("nv.gguf", tiny_nv.bytes)).status().message(),
              ::testing::HasSubstr("tokenizer.ggml"));
}

TEST(BertReranker, BuildsPairsWithSegments) {
  auto tiny = testing::tiny_bert(reranker_spec());
  auto r = Reranker::create(runtime(tiny).value());
  ASSERT_TRUE(r.ok()) << r.status().to_string();
  const std::vector<text::TokenId> q = {10, 11}, d = {12, 13, 14};
  RerankPair p = (*r)->make_pair(q, d);
  EXPECT_THAT(p.tokens, ElementsAre(2, 10, 11, 3, 12, 13, 14, 3));
  EXPECT_THAT(p.segments, ElementsAre(0, 0, 0, 0, 1, 1, 1, 1));

  TinyBertSpec one_type = reranker_spec();
  one_type.n_types = 1;
  auto tiny1 = testing::tiny_bert(one_type);
  auto r1 = Reranker::create(runtime(tiny1).value());
  ASSERT_TRUE(r1.ok());
  EXPECT_THAT((*r1)->make_pair(q, d).segments, ElementsAre(0, 0, 0, 0, 0, 0, 0, 0));
}

TEST(BertReranker, ScoresEachDocumentAsItsOwnPair) {
  auto tiny = testing::tiny_bert(reranker_spec());
  const std::vector<std::string> docs = {"replace the pump seal", "the cat sat on the mat",
                                         "bearing noise", "", "how to fix a leak"};
  std::vector<std::vector<float>> runs;
  for (EncoderOptions o : {EncoderOptions{1, 32, 8192}, EncoderOptions{2, 2, 8192}}) {
    auto r = Reranker::create(runtime(tiny, o).value());
    ASSERT_TRUE(r.ok());
    auto scores = (*r)->score("pump seal leak", docs);
    ASSERT_TRUE(scores.ok()) << scores.status().to_string();
    ASSERT_EQ(scores->size(), docs.size());
    // Each score equals the document scored alone.
    for (size_t i = 0; i < docs.size(); ++i) {
      auto alone = (*r)->score("pump seal leak", std::span(docs).subspan(i, 1));
      ASSERT_TRUE(alone.ok());
      EXPECT_NEAR((*alone)[0], (*scores)[i], 1e-5) << i;
    }
    runs.push_back(std::move(scores).value());
  }
  for (size_t i = 0; i < docs.size(); ++i) EXPECT_NEAR(runs[1][i], runs[0][i], 1e-5);
  EXPECT_NE(runs[0][0], runs[0][1]);

  auto r = Reranker::create(runtime(tiny).value());
  EXPECT_TRUE((*r)->score("anything", {}).value().empty());
}

TEST(BertReranker, GoldenErrors) {
  auto tiny = testing::tiny_bert(reranker_spec());
  auto r = Reranker::create(runtime(tiny).value());
  ASSERT_TRUE(r.ok());
  std::string doc;
  for (int i = 0; i < 19; ++i) doc += "seal ";
  // query 2 tokens + document 19 + [CLS] + 2 [SEP] = 24: fits; one word more does not.
  const std::vector<std::string> docs = {doc, doc + "leak"};
  EXPECT_EQ((*r)->score("pump seal", docs).status().message(),
            "documents[1]: the query (2 tokens) and the document (20 tokens) make a pair of 25 "
            "tokens with [CLS] and two [SEP], the model's context holds 24; nothing is truncated: "
            "split the document");
  EXPECT_TRUE((*r)->score("pump seal", std::span(docs).first(1)).ok());
}

TEST(BertEncoderRuntime, BatchesRespectBothLimits) {
  auto tiny = testing::tiny_bert(embedding_spec());
  auto rt = runtime(tiny, {1, 3, 10});
  ASSERT_TRUE(rt.ok());
  const std::vector<int64_t> lengths = {4, 4, 1, 1, 12, 3, 3, 3, 3};
  std::vector<std::pair<size_t, size_t>> runs;
  ASSERT_TRUE((*rt)->for_each_batch(lengths, [&](size_t first, size_t count) {
                     runs.emplace_back(first, count);
                     return core::Status();
                   }).ok());
  // {4,4,1} (3 sequences), {1} (1 + 12 > 10), {12} alone (over the token limit but never split),
  // {3,3,3}, {3}.
  EXPECT_THAT(runs, ElementsAre(std::pair<size_t, size_t>{0, 3}, std::pair<size_t, size_t>{3, 1},
                                std::pair<size_t, size_t>{4, 1}, std::pair<size_t, size_t>{5, 3},
                                std::pair<size_t, size_t>{8, 1}));
}

}  // namespace
}  // namespace anvil::engine
