// Bm25Index maintenance: incremental add/remove/update gives exactly what a fresh build gives,
// statistics stay exact, compaction changes nothing visible, metadata is stored and filtered,
// and concurrent searches agree.
#include <algorithm>
#include <map>
#include <ostream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <boost/json.hpp>
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "anvil/rag/bm25_index.h"
#include "anvil/rag/filter.h"

namespace anvil::rag {

[[maybe_unused]] static void PrintTo(const Bm25Hit& h, std::ostream* os) {
  *os << "{" << h.id << ", " << h.score << "}";
}

namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

struct Doc {
  std::vector<std::string> terms;
  boost::json::object metadata;
};

// A deterministic corpus with a skewed vocabulary (some terms in most chunks, most in few),
// Chinese terms included, and varied lengths so that Lucene norms are lossy for some chunks.
class CorpusGenerator {
 public:
  explicit CorpusGenerator(uint32_t seed) : rng_(seed) {}

  Doc next() {
    static const std::vector<std::string> kVocabulary = [] {
      std::vector<std::string> v = {"泵", "密封", "轴承", "小米", "手机", "续航"};
      for (int k = 0; k < 80; ++k) v.push_back("w" + std::to_string(k));
      return v;
    }();
    std::uniform_int_distribution<int> length(0, 70);
    // Squaring a uniform draw favours low indexes: a Zipf-like skew.
    std::uniform_real_distribution<double> u(0, 1);
    Doc d;
    const int n = length(rng_);
    for (int k = 0; k < n; ++k) {
      const double x = u(rng_);
      d.terms.push_back(kVocabulary[static_cast<std::size_t>(x * x * static_cast<double>(kVocabulary.size()))]);
    }
    static const char* kBrands[] = {"Acme", "小米", "Globex"};
    d.metadata["brand"] = kBrands[rng_() % 3];
    d.metadata["rating"] = static_cast<int64_t>(rng_() % 5 + 1);
    return d;
  }

  std::vector<std::vector<std::string>> queries(int count) {
    std::vector<std::vector<std::string>> out;
    for (int q = 0; q < count; ++q) {
      Doc d = next();
      d.terms.resize(std::min<std::size_t>(d.terms.size(), 1 + rng_() % 12));
      out.push_back(d.terms);
    }
    return out;
  }

  std::mt19937& rng() { return rng_; }

 private:
  std::mt19937 rng_;
};

Bm25Index fresh_build(const std::map<int64_t, Doc>& docs, Bm25Params params = {}) {
  Bm25Index index(params);
  for (const auto& [id, d] : docs) EXPECT_TRUE(index.add(id, d.terms, d.metadata).ok());
  return index;
}

void expect_same_results(const Bm25Index& a, const Bm25Index& b,
                         const std::vector<std::vector<std::string>>& queries,
                         const Filter* filter = nullptr) {
  for (const auto& q : queries) {
    ASSERT_EQ(a.search(q, 20, filter), b.search(q, 20, filter));
  }
  const Bm25Stats sa = a.stats(), sb = b.stats();
  EXPECT_EQ(sa.docs, sb.docs);
  EXPECT_EQ(sa.scored_docs, sb.scored_docs);
  EXPECT_EQ(sa.terms, sb.terms);
  EXPECT_EQ(sa.postings, sb.postings);
  EXPECT_EQ(sa.total_length, sb.total_length);
}

TEST(Bm25Index, IncrementalChangesEqualAFreshBuild) {
  CorpusGenerator gen(42);
  std::map<int64_t, Doc> truth;
  Bm25Index index;
  for (int64_t id = 0; id < 300; ++id) {
    Doc d = gen.next();
    ASSERT_TRUE(index.add(id, d.terms, d.metadata).ok());
    truth[id] = std::move(d);
  }
  // Interleave removals, updates and new chunks.
  for (int step = 0; step < 400; ++step) {
    const int64_t id = static_cast<int64_t>(gen.rng()() % 400);
    switch (gen.rng()() % 3) {
      case 0:
        if (truth.erase(id) != 0) {
          ASSERT_TRUE(index.remove(id).ok());
        } else {
          EXPECT_EQ(index.remove(id).code(), core::StatusCode::kNotFound);
        }
        break;
      default: {
        Doc d = gen.next();
        ASSERT_TRUE(index.update(id, d.terms, d.metadata).ok());
        truth[id] = std::move(d);
      }
    }
  }
  EXPECT_GT(index.stats().dead_slots, 0u);
  const Bm25Index fresh = fresh_build(truth);
  const auto queries = gen.queries(60);
  expect_same_results(index, fresh, queries);
  const Filter filter = *Filter::parse("brand in ['小米', 'Acme'] and rating >= 3");
  expect_same_results(index, fresh, queries, &filter);

  index.compact();
  EXPECT_EQ(index.stats().dead_slots, 0u);
  expect_same_results(index, fresh, queries);
  expect_same_results(index, fresh, queries, &filter);
  // The compacted index keeps working incrementally.
  ASSERT_TRUE(index.remove(truth.begin()->first).ok());
  truth.erase(truth.begin());
  Doc d = gen.next();
  ASSERT_TRUE(index.add(1000, d.terms, d.metadata).ok());
  truth[1000] = d;
  expect_same_results(index, fresh_build(truth), queries);
}

TEST(Bm25Index, StatisticsAreExactAfterRemoves) {
  Bm25Index index;
  ASSERT_TRUE(index.add(1, std::vector<std::string>{"a", "b", "b"}).ok());
  ASSERT_TRUE(index.add(2, std::vector<std::string>{"b", "c"}).ok());
  ASSERT_TRUE(index.add(3, std::vector<std::string>{"c", "d", "e", "e"}).ok());
  Bm25Stats s = index.stats();
  EXPECT_EQ(s.docs, 3u);
  EXPECT_EQ(s.terms, 5u);
  EXPECT_EQ(s.postings, 7u);
  EXPECT_EQ(s.total_length, 9u);
  EXPECT_DOUBLE_EQ(s.avgdl, 3.0);

  ASSERT_TRUE(index.remove(3).ok());
  s = index.stats();
  EXPECT_EQ(s.docs, 2u);
  EXPECT_EQ(s.terms, 3u);  // d and e are gone, c remains in chunk 2
  EXPECT_EQ(s.postings, 4u);
  EXPECT_EQ(s.total_length, 5u);
  EXPECT_DOUBLE_EQ(s.avgdl, 2.5);
  EXPECT_EQ(s.dead_slots, 1u);
  EXPECT_THAT(index.search(std::vector<std::string>{"e"}, 10), IsEmpty());

  // Scores use N = 2 and df(c) = 1 right away, as a fresh index of chunks 1 and 2 would.
  Bm25Index fresh;
  ASSERT_TRUE(fresh.add(1, std::vector<std::string>{"a", "b", "b"}).ok());
  ASSERT_TRUE(fresh.add(2, std::vector<std::string>{"b", "c"}).ok());
  EXPECT_EQ(index.search(std::vector<std::string>{"c", "b"}, 10),
            fresh.search(std::vector<std::string>{"c", "b"}, 10));

  index.compact();
  s = index.stats();
  EXPECT_EQ(s.terms, 3u);
  EXPECT_EQ(s.dead_slots, 0u);
  EXPECT_LT(s.memory_bytes, fresh.memory_bytes() * 2);
}

TEST(Bm25Index, AddRemoveUpdateErrors) {
  Bm25Index index;
  ASSERT_TRUE(index.add(7, std::vector<std::string>{"a"}).ok());
  core::Status s = index.add(7, std::vector<std::string>{"b"});
  EXPECT_EQ(s.code(), core::StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message(), "bm25 index: chunk 7 is already indexed");
  s = index.remove(8);
  EXPECT_EQ(s.code(), core::StatusCode::kNotFound);
  EXPECT_EQ(s.message(), "bm25 index: chunk 8 is not indexed");
  EXPECT_EQ(index.metadata(8).status().code(), core::StatusCode::kNotFound);
  // update of an absent chunk adds it; of a present one replaces it.
  ASSERT_TRUE(index.update(8, std::vector<std::string>{"b"}).ok());
  ASSERT_TRUE(index.update(7, std::vector<std::string>{"b", "b"}).ok());
  EXPECT_EQ(index.size(), 2u);
  EXPECT_TRUE(index.search(std::vector<std::string>{"a"}, 5).empty());
  const std::vector<Bm25Hit> b = index.search(std::vector<std::string>{"b"}, 5);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[0].id, 7);
  // Removing everything leaves an empty, usable index.
  ASSERT_TRUE(index.remove(7).ok());
  ASSERT_TRUE(index.remove(8).ok());
  EXPECT_EQ(index.stats().terms, 0u);
  EXPECT_TRUE(index.search(std::vector<std::string>{"b"}, 5).empty());
  ASSERT_TRUE(index.add(7, std::vector<std::string>{"b"}).ok());
  EXPECT_EQ(index.search(std::vector<std::string>{"b"}, 5).size(), 1u);
}

TEST(Bm25Index, CompactsByItselfWhenRemovedPostingsPileUp) {
  CorpusGenerator gen(7);
  std::map<int64_t, Doc> truth;
  Bm25Index index;
  // Each round rewrites every chunk; removed postings pass 50,000 and a quarter of all.
  for (int round = 0; round < 3; ++round) {
    for (int64_t id = 0; id < 1500; ++id) {
      Doc d = gen.next();
      ASSERT_TRUE(index.update(id, d.terms, d.metadata).ok());
      truth[id] = std::move(d);
    }
  }
  // 3,000 chunks were replaced; without compaction all would still hold slots.
  EXPECT_LT(index.stats().dead_slots, 3000u);
  expect_same_results(index, fresh_build(truth), gen.queries(30));
}

TEST(Bm25Index, StoresFlattenedMetadata) {
  Bm25Index index;
  const boost::json::object meta = boost::json::parse(R"({
    "type": "csv", "rating": 4, "price": 9.5, "in_stock": true, "missing": null,
    "tags": ["a", 1, null, ["nested"], {"x": 1}],
    "product": {"brand": "小米", "specs": {"mass": 120}},
    "timestamp": "2024-01-15T08:00:00Z"
  })").as_object();
  ASSERT_TRUE(index.add(1, std::vector<std::string>{"a"}, meta).ok());
  const boost::json::object stored = *index.metadata(1);
  EXPECT_EQ(stored, boost::json::parse(R"({
    "type": "csv", "rating": 4, "price": 9.5, "in_stock": true, "tags": ["a", 1],
    "product.brand": "小米", "product.specs.mass": 120, "timestamp": "2024-01-15T08:00:00Z"
  })").as_object());
}

std::vector<int64_t> ids_of(const std::vector<Bm25Hit>& hits) {
  std::vector<int64_t> ids;
  for (const Bm25Hit& h : hits) ids.push_back(h.id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

TEST(Bm25Index, FiltersRestrictResultsWithoutChangingScores) {
  Bm25Index index;
  auto add = [&](int64_t id, const char* json) {
    ASSERT_TRUE(index.add(id, std::vector<std::string>{"pump", "seal"}, boost::json::parse(json).as_object()).ok());
  };
  add(1, R"({"type": "csv", "brand": "Acme", "rating": 5, "timestamp": "2024-01-10T00:00:00Z"})");
  add(2, R"({"type": "csv", "brand": "小米", "rating": 3, "timestamp": "2024-02-01T00:00:00Z"})");
  add(3, R"({"type": "pdf", "brand": "Acme", "rating": 2, "equipment": "P-200"})");
  add(4, R"({"type": "csv", "brand": "Globex", "rating": 4, "tags": ["urgent", "seal"], "timestamp": "2024-01-31T23:59:59+08:00"})");
  add(5, R"({"type": "csv", "equipment": "P-200", "rating": 4.5})");
  const std::vector<std::string> q = {"seal"};
  auto matching = [&](const std::string& text) {
    core::Result<Filter> f = Filter::parse(text);
    EXPECT_TRUE(f.ok()) << f.status().to_string();
    return ids_of(index.search(q, 10, &*f));
  };
  EXPECT_THAT(matching("type = 'csv'"), ElementsAre(1, 2, 4, 5));
  EXPECT_THAT(matching("type = \"csv\" and (rating >= 4 or brand in [\"Acme\", \"小米\"]) and not equipment = 'P-200'"),
              ElementsAre(1, 2, 4));
  EXPECT_THAT(matching("timestamp >= 2024-01-01 and timestamp < 2024-02-01T00:00:00Z"), ElementsAre(1, 4));
  EXPECT_THAT(matching("tags = 'urgent'"), ElementsAre(4));
  EXPECT_THAT(matching("equipment exists"), ElementsAre(3, 5));
  EXPECT_THAT(matching("not equipment exists"), ElementsAre(1, 2, 4));
  EXPECT_THAT(matching("brand != 'Acme'"), ElementsAre(2, 4));
  EXPECT_THAT(matching("brand not in ['Acme', 'Globex']"), ElementsAre(2));
  EXPECT_THAT(matching("rating > 4"), ElementsAre(1, 5));
  EXPECT_THAT(matching("rating < 4.5 and rating > 2"), ElementsAre(2, 4));
  EXPECT_THAT(matching("nonexistent = 1"), IsEmpty());
  EXPECT_THAT(matching("not nonexistent = 1"), ElementsAre(1, 2, 3, 4, 5));
  EXPECT_THAT(matching("rating = '5'"), IsEmpty());  // a string never equals a number

  // A chunk's score is the same with or without the filter: statistics cover all chunks.
  const std::vector<Bm25Hit> all = index.search(q, 10);
  const Filter f = *Filter::parse("brand = 'Globex'");
  const std::vector<Bm25Hit> one = index.search(q, 10, &f);
  ASSERT_EQ(one.size(), 1u);
  EXPECT_NE(std::find(all.begin(), all.end(), one[0]), all.end());
  // The trivial filter matches everything.
  const Filter everything;
  EXPECT_EQ(index.search(q, 10, &everything), all);
  // The JSON form selects the same chunks.
  const Filter json = *Filter::parse_json(R"({"$and":[{"brand":{"$in":["Acme","小米"]}},{"rating":{"$gte":3}}]})");
  EXPECT_THAT(ids_of(index.search(q, 10, &json)), ElementsAre(1, 2));
}

TEST(Bm25Index, FilteredTopKTakesTheBestMatchingChunks) {
  Bm25Index index;
  for (int64_t id = 0; id < 100; ++id) {
    std::vector<std::string> terms(static_cast<std::size_t>(1 + id % 10), "x");
    terms.insert(terms.end(), static_cast<std::size_t>(id % 7), "pad");
    boost::json::object meta;
    meta["even"] = id % 2 == 0;
    ASSERT_TRUE(index.add(id, terms, meta).ok());
  }
  const Filter even = *Filter::parse("even = true");
  const std::vector<Bm25Hit> filtered = index.search(std::vector<std::string>{"x"}, 5, &even);
  std::vector<Bm25Hit> expected;
  for (const Bm25Hit& h : index.search(std::vector<std::string>{"x"}, 100)) {
    if (h.id % 2 == 0 && expected.size() < 5) expected.push_back(h);
  }
  EXPECT_EQ(filtered, expected);
}

TEST(Bm25Index, ConcurrentSearchesAgreeWithSequentialOnes) {
  CorpusGenerator gen(3);
  Bm25Index index;
  for (int64_t id = 0; id < 500; ++id) {
    Doc d = gen.next();
    ASSERT_TRUE(index.add(id, d.terms, d.metadata).ok());
  }
  const auto queries = gen.queries(50);
  const Filter filter = *Filter::parse("rating >= 2");
  std::vector<std::vector<Bm25Hit>> expected;
  for (const auto& q : queries) expected.push_back(index.search(q, 10, &filter));
  std::vector<int> mismatches(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int rep = 0; rep < 20; ++rep) {
        for (std::size_t q = 0; q < queries.size(); ++q) {
          if (index.search(queries[q], 10, &filter) != expected[q]) ++mismatches[static_cast<std::size_t>(t)];
        }
      }
    });
  }
  for (std::thread& th : threads) th.join();
  EXPECT_THAT(mismatches, ElementsAre(0, 0, 0, 0));
}

TEST(Bm25Index, MemoryIsReportedAndCompact) {
  CorpusGenerator gen(11);
  Bm25Index index;
  std::size_t raw_bytes = 0;
  for (int64_t id = 0; id < 2000; ++id) {
    Doc d = gen.next();
    for (const std::string& t : d.terms) raw_bytes += t.size() + 1;
    ASSERT_TRUE(index.add(id, d.terms, d.metadata).ok());
  }
  const Bm25Stats s = index.stats();
  EXPECT_EQ(s.memory_bytes, index.memory_bytes());
  EXPECT_GT(s.memory_bytes, s.postings);  // at least a byte a posting
  // The budget: at most twice the text of the terms (here short synthetic terms, with metadata).
  EXPECT_LT(s.memory_bytes, 2 * raw_bytes);
}

}  // namespace
}  // namespace anvil::rag
