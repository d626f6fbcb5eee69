// BM25 scoring: Lucene's length norms, bit-exact scores against Lucene 8.7's BM25Similarity on
// tiny corpora, hand-computed scores with and without Lucene norms, query term weighting, ties.
#include <algorithm>
#include <cmath>
#include <ostream>
#include <sstream>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anvil/rag/bm25/lucene_norms.h"
#include "anvil/rag/bm25_index.h"

namespace anvil::rag {

// gtest prints hits through ADL; static keeps each test file's copy private.
[[maybe_unused]] static void PrintTo(const Bm25Hit& h, std::ostream* os) {
  *os << "{" << h.id << ", " << h.score << "}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> words(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string w; in >> w;) out.push_back(w);
  return out;
}

std::string repeat(const std::string& word, int n) {
  std::string out;
  for (int k = 0; k < n; ++k) out += word + " ";
  return out;
}

// Lengths 3, 4, 5, 100 (norm decodes to 96), 1, 40 (exact) and 41 (decodes to 40).
const std::vector<std::pair<int64_t, std::string>>& tiny_corpus() {
  static const std::vector<std::pair<int64_t, std::string>> corpus = {
      {1, "a b c"},
      {2, "a a b d"},
      {3, "c d e f g"},
      {4, "a " + repeat("x", 99)},
      {5, "b"},
      {6, repeat("c", 3) + repeat("y", 37)},
      {7, repeat("c", 3) + repeat("y", 38)},
  };
  return corpus;
}

Bm25Index build(const Bm25Params& params) {
  Bm25Index index(params);
  for (const auto& [id, text] : tiny_corpus()) {
    EXPECT_TRUE(index.add(id, words(text)).ok());
  }
  return index;
}

std::vector<Bm25Hit> search(const Bm25Index& index, const std::string& query, std::size_t k = 100) {
  return index.search(words(query), k);
}

TEST(LuceneNorms, MatchesSmallFloatIntToByte4) {
  // {length, intToByte4(length), byte4ToInt(intToByte4(length))} from Lucene 8.7's SmallFloat.
  const struct {
    uint64_t length;
    int norm;
    uint32_t decoded;
  } cases[] = {
      {0, 0, 0},       {1, 1, 1},         {23, 23, 23},          {24, 24, 24},
      {39, 39, 39},    {40, 40, 40},      {41, 40, 40},          {47, 43, 46},
      {48, 44, 48},    {100, 57, 96},     {255, 70, 248},        {1000, 87, 984},
      {4096, 103, 3864}, {100000, 140, 98328}, {2147483647, 255, 2013265944},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.length);
    EXPECT_EQ(bm25::length_to_norm(c.length), c.norm);
    EXPECT_EQ(bm25::norm_to_length(static_cast<uint8_t>(c.norm)), c.decoded);
  }
  // Lengths past INT32_MAX clamp to the largest norm.
  EXPECT_EQ(bm25::length_to_norm(uint64_t{1} << 40), 255);
}

TEST(LuceneNorms, EveryByteDecodesToALengthThatEncodesBackToIt) {
  uint32_t previous = 0;
  for (int b = 0; b < 256; ++b) {
    const uint32_t length = bm25::norm_to_length(static_cast<uint8_t>(b));
    EXPECT_EQ(bm25::length_to_norm(length), b);
    if (b > 0) {
      EXPECT_GT(length, previous);
    }
    EXPECT_EQ(bm25::norm_length_table()[b], static_cast<float>(length));
    previous = length;
  }
}

// Expected hits were produced by Lucene 8.7 (Debian liblucene8-java): WhitespaceAnalyzer, one
// TextField, BM25Similarity(k1, b), a BooleanQuery of BoostQuery(TermQuery, count) clauses (the
// bag-of-words query of Anserini); scores printed with Float.toString, so equality is exact.
TEST(Bm25Scoring, MatchesLuceneBitForBitWithDefaults) {
  const Bm25Index index = build(Bm25Params{});
  EXPECT_THAT(search(index, "a"),
              ElementsAre(Bm25Hit{2, 0.6378794f}, Bm25Hit{1, 0.5235559f}, Bm25Hit{4, 0.2966184f}));
  EXPECT_THAT(search(index, "a b"),
              ElementsAre(Bm25Hit{2, 1.1571633f}, Bm25Hit{1, 1.0471117f}, Bm25Hit{5, 0.5323143f},
                          Bm25Hit{4, 0.2966184f}));
  EXPECT_THAT(search(index, "a a c"),
              ElementsAre(Bm25Hit{1, 1.411504f}, Bm25Hit{2, 1.2757587f}, Bm25Hit{4, 0.5932368f},
                          Bm25Hit{6, 0.42518914f}, Bm25Hit{7, 0.42518914f},
                          Bm25Hit{3, 0.35849386f}));
  EXPECT_THAT(search(index, "c"),
              ElementsAre(Bm25Hit{6, 0.42518914f}, Bm25Hit{7, 0.42518914f},
                          Bm25Hit{1, 0.3643923f}, Bm25Hit{3, 0.35849386f}));
  EXPECT_THAT(search(index, "x"), ElementsAre(Bm25Hit{4, 1.6442959f}));
  EXPECT_THAT(search(index, "b d e"),
              ElementsAre(Bm25Hit{3, 1.7677372f}, Bm25Hit{2, 1.2499251f}, Bm25Hit{5, 0.5323143f},
                          Bm25Hit{1, 0.5235559f}));
  EXPECT_THAT(search(index, "c y"),
              ElementsAre(Bm25Hit{7, 1.5567865f}, Bm25Hit{6, 1.5559576f},
                          Bm25Hit{1, 0.3643923f}, Bm25Hit{3, 0.35849386f}));
}

TEST(Bm25Scoring, MatchesLuceneBitForBitWithOtherParameters) {
  const Bm25Index index = build(Bm25Params{1.2f, 0.75f, true});
  EXPECT_THAT(search(index, "a a c"),
              ElementsAre(Bm25Hit{1, 1.5948799f}, Bm25Hit{2, 1.3608456f}, Bm25Hit{3, 0.3934461f},
                          Bm25Hit{6, 0.37532163f}, Bm25Hit{7, 0.37532163f},
                          Bm25Hit{4, 0.37427223f}));
  EXPECT_THAT(search(index, "b d e"),
              ElementsAre(Bm25Hit{3, 1.9400868f}, Bm25Hit{2, 1.3915894f},
                          Bm25Hit{5, 0.62040865f}, Bm25Hit{1, 0.5915737f}));
  EXPECT_THAT(search(index, "x"), ElementsAre(Bm25Hit{4, 1.6181183f}));
}

// The textbook formula in double precision, for comparison with the float pipeline.
double textbook(double n, double df, double tf, double dl, double avgdl, double k1, double b,
                double boost = 1) {
  const double idf = std::log(1 + (n - df + 0.5) / (df + 0.5));
  return boost * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl));
}

TEST(Bm25Scoring, MatchesHandComputedFormulaWithLuceneNorms) {
  const Bm25Index index = build(Bm25Params{});
  // N = 7 chunks, total length 3+4+5+100+1+40+41 = 194, avgdl = 194/7.
  const double avgdl = 194.0 / 7;
  // "a": df 3. Chunk 4 has length 100, which Lucene's norm stores as 96.
  const std::vector<Bm25Hit> hits = search(index, "a");
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_NEAR(hits[0].score, textbook(7, 3, 2, 4, avgdl, 0.9, 0.4), 1e-6);
  EXPECT_NEAR(hits[1].score, textbook(7, 3, 1, 3, avgdl, 0.9, 0.4), 1e-6);
  EXPECT_NEAR(hits[2].score, textbook(7, 3, 1, 96, avgdl, 0.9, 0.4), 1e-6);
  // Against the exact length the difference is visible.
  EXPECT_GT(std::abs(hits[2].score - textbook(7, 3, 1, 100, avgdl, 0.9, 0.4)), 1e-4);
}

TEST(Bm25Scoring, MatchesHandComputedFormulaWithExactLengths) {
  const Bm25Index index = build(Bm25Params{0.9f, 0.4f, false});
  const double avgdl = 194.0 / 7;
  const std::vector<Bm25Hit> hits = search(index, "a");
  ASSERT_EQ(hits.size(), 3u);
  EXPECT_NEAR(hits[2].score, textbook(7, 3, 1, 100, avgdl, 0.9, 0.4), 1e-6);
  // "c": chunks 6 (length 40) and 7 (41) tie under Lucene norms, not with exact lengths.
  const std::vector<Bm25Hit> c = search(index, "c");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].id, 6);
  EXPECT_EQ(c[1].id, 7);
  EXPECT_NEAR(c[0].score, textbook(7, 4, 3, 40, avgdl, 0.9, 0.4), 1e-6);
  EXPECT_NEAR(c[1].score, textbook(7, 4, 3, 41, avgdl, 0.9, 0.4), 1e-6);
  EXPECT_GT(c[0].score, c[1].score);
}

TEST(Bm25Scoring, RepeatedQueryTermWeighsByItsCount) {
  const Bm25Index index = build(Bm25Params{});
  const std::vector<Bm25Hit> once = search(index, "x");
  const std::vector<Bm25Hit> thrice = search(index, "x x x");
  ASSERT_EQ(once.size(), 1u);
  ASSERT_EQ(thrice.size(), 1u);
  EXPECT_NEAR(thrice[0].score, 3 * once[0].score, 1e-6);
  // Query term order does not matter.
  EXPECT_EQ(search(index, "c a a"), search(index, "a a c"));
}

TEST(Bm25Scoring, TiesAreBrokenByAscendingChunkId) {
  Bm25Index index;
  for (int64_t id : {50, 7, 31, -4, 12}) ASSERT_TRUE(index.add(id, words("same words here")).ok());
  ASSERT_TRUE(index.add(99, words("other words")).ok());
  const std::vector<Bm25Hit> hits = search(index, "same");
  ASSERT_EQ(hits.size(), 5u);
  std::vector<int64_t> ids;
  for (const Bm25Hit& h : hits) ids.push_back(h.id);
  EXPECT_THAT(ids, ElementsAre(-4, 7, 12, 31, 50));
  // The bounded heap keeps the smallest ids among equals.
  const std::vector<Bm25Hit> top2 = index.search(words("same"), 2);
  ASSERT_EQ(top2.size(), 2u);
  EXPECT_EQ(top2[0].id, -4);
  EXPECT_EQ(top2[1].id, 7);
}

TEST(Bm25Scoring, TopKIsThePrefixOfTheFullRanking) {
  const Bm25Index index = build(Bm25Params{});
  const std::vector<Bm25Hit> all = search(index, "a a c");
  for (std::size_t k = 0; k <= all.size() + 1; ++k) {
    std::vector<Bm25Hit> expected(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(std::min(k, all.size())));
    EXPECT_EQ(index.search(words("a a c"), k), expected) << "k=" << k;
  }
}

TEST(Bm25Scoring, UnknownAndEmptyTermsAreIgnored) {
  const Bm25Index index = build(Bm25Params{});
  EXPECT_TRUE(search(index, "nothing here").empty());
  EXPECT_TRUE(search(index, "").empty());
  EXPECT_EQ(search(index, "zzz a qqq"), search(index, "a"));
  EXPECT_EQ(index.search(std::vector<std::string>{"", "a", ""}, 10), search(index, "a"));
  EXPECT_TRUE(Bm25Index().search(words("a"), 10).empty());
}

TEST(Bm25Scoring, ChunksWithoutTermsDoNotCountInN) {
  // Lucene's docCount counts documents that have the field, so an empty chunk changes nothing.
  const Bm25Index plain = build(Bm25Params{});
  Bm25Index with_empty = build(Bm25Params{});
  ASSERT_TRUE(with_empty.add(100, {}).ok());
  ASSERT_TRUE(with_empty.add(101, std::vector<std::string>{"", ""}).ok());
  EXPECT_EQ(with_empty.stats().docs, 9u);
  EXPECT_EQ(with_empty.stats().scored_docs, 7u);
  EXPECT_EQ(search(with_empty, "a a c"), search(plain, "a a c"));
}

TEST(Bm25Scoring, ParametersChangeScoresWithoutReindexing) {
  Bm25Index index = build(Bm25Params{});
  ASSERT_TRUE(index.set_params(Bm25Params{1.2f, 0.75f, true}).ok());
  EXPECT_EQ(search(index, "a a c"), search(build(Bm25Params{1.2f, 0.75f, true}), "a a c"));
  // b = 0: length plays no part, so equal tf means equal score.
  ASSERT_TRUE(index.set_params(Bm25Params{0.9f, 0.0f, false}).ok());
  const std::vector<Bm25Hit> c = search(index, "c");
  ASSERT_EQ(c.size(), 4u);
  EXPECT_EQ(c[0].score, c[1].score);  // chunks 6 and 7, tf 3
  // k1 = 0: tf plays no part either.
  ASSERT_TRUE(index.set_params(Bm25Params{0.0f, 0.4f, true}).ok());
  const std::vector<Bm25Hit> a = search(index, "a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].score, a[2].score);
}

TEST(Bm25Scoring, InvalidParametersAreRejected) {
  Bm25Index index;
  core::Status s = index.set_params(Bm25Params{-1.0f, 0.4f, true});
  EXPECT_EQ(s.code(), core::StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "bm25: k1 must be a finite number >= 0, found -1");
  s = index.set_params(Bm25Params{0.9f, 1.5f, true});
  EXPECT_EQ(s.message(), "bm25: b must be in [0, 1], found 1.5");
  s = index.set_params(Bm25Params{NAN, 0.4f, true});
  EXPECT_THAT(s.message(), HasSubstr("k1 must be a finite number"));
  EXPECT_EQ(index.params(), Bm25Params{});
}

}  // namespace
}  // namespace anvil::rag
