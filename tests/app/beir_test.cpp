#include "anvil/app/beir.h"

#include <gtest/gtest.h>

#include <cmath>

#include "testing/temp_dir.h"

namespace anvil::app {
namespace {

TEST(BeirMetricsTest, GradedNdcgRecallAndMrrAsTrecEval) {
  std::unordered_map<std::string, int> judged{{"a", 2}, {"b", 1}, {"c", 0}};
  // Ranking: c (not relevant), b (1), x, a (2).
  auto m = score_ranking("q", {"c", "b", "x", "a"}, judged);
  double dcg = 1 / std::log2(3.0) + 2 / std::log2(5.0);
  double idcg = 2 / std::log2(2.0) + 1 / std::log2(3.0);
  EXPECT_NEAR(m.ndcg_at_10, dcg / idcg, 1e-12);
  EXPECT_DOUBLE_EQ(m.recall_at_100, 1.0);
  EXPECT_DOUBLE_EQ(m.mrr_at_10, 0.5);

  auto none = score_ranking("q", {"x", "y"}, judged);
  EXPECT_EQ(none.ndcg_at_10, 0);
  EXPECT_EQ(none.recall_at_100, 0);
  EXPECT_EQ(none.mrr_at_10, 0);
}

TEST(BeirMetricsTest, RelevantDocumentBeyondTheCutCountsOnlyForRecall) {
  std::vector<std::string> ranking;
  for (int i = 0; i < 50; ++i) ranking.push_back("d" + std::to_string(i));
  auto m = score_ranking("q", ranking, {{"d20", 1}, {"zz", 1}});
  EXPECT_EQ(m.ndcg_at_10, 0);
  EXPECT_EQ(m.mrr_at_10, 0);
  EXPECT_DOUBLE_EQ(m.recall_at_100, 0.5);
}

TEST(BeirFilesTest, QrelsErrorsNameTheLine) {
  anvil::testing::TempDir dir;
  auto p = dir.write("test.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1 d2 1\n");
  auto r = load_qrels(p);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), p.string() + ":3: expected query-id<TAB>corpus-id<TAB>score, found 'q1 d2 1'");
  auto ok = load_qrels(dir.write("ok.tsv", "query-id\tcorpus-id\tscore\nq1\td1\t1\nq1\td2\t2\n"));
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ((*ok)["q1"]["d2"], 2);
}

}  // namespace
}  // namespace anvil::app
