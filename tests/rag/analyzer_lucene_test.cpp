// Parity of the "en" analyzer with Lucene itself (Anserini's DefaultEnglishAnalyzer run by
// tests/text/make_lucene_golden.py): the same terms at the same positions, except where one of
// the two documented choices explains the difference.
#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <sstream>

#include "anvil/core/file_io.h"
#include "anvil/rag/analyzer.h"
#include "anvil/rag/porter_stemmer.h"
#include "anvil/text/nfkc_casefold.h"
#include "testing/temp_dir.h"

namespace anvil::rag {
namespace {

std::vector<std::string> strings_of(const boost::json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

std::string stemmed(std::string word) {
  porter_stem(word);
  return word;
}

TEST(AnalyzerLuceneTest, EnglishTermsMatchLuceneUpToNormalizationAndStemmerVariant) {
  std::filesystem::path path = anvil::testing::source_dir() / "tests/text/data/lucene_english_golden.jsonl";
  if (const char* p = std::getenv("ANVIL_LUCENE_GOLDEN")) path = p;
  auto content = core::read_file(path);
  ASSERT_TRUE(content.ok()) << content.status().to_string();
  auto en = make_analyzer("en");
  ASSERT_TRUE(en.ok()) << en.status().to_string();

  size_t texts = 0, total = 0, equal = 0, normalized = 0, porter_variant = 0;
  std::istringstream in(*content);
  for (std::string line; std::getline(in, line);) {
    const auto v = boost::json::parse(line).as_object();
    const std::string text(v.at("text").as_string());
    const auto tokens = strings_of(v.at("tokens"));  // Lucene, before PorterStemFilter
    const auto want = strings_of(v.at("terms"));      // Lucene, after
    std::vector<std::string> got;
    (*en)->analyze(text, got);
    ++texts;
    // Same tokenizer decisions, possessives and stop words: same number of terms.
    ASSERT_EQ(got.size(), want.size()) << text;
    for (size_t i = 0; i < got.size(); ++i) {
      ++total;
      if (got[i] == want[i]) {
        ++equal;
      } else if (text::nfkc_casefold(tokens[i]) != tokens[i] && got[i] == stemmed(text::nfkc_casefold(tokens[i]))) {
        ++normalized;  // NFKC_Casefold instead of lower-casing: µ -> μ, ß -> ss, full-width -> ASCII
      } else if (got[i] == stemmed(tokens[i]) && (got[i].ends_with("logi") || got[i].ends_with("bli"))) {
        ++porter_variant;  // Snowball porter lacks Lucene's extra rules logi -> log, bli -> ble
      } else {
        ADD_FAILURE() << "term " << i << " of [" << text.substr(0, 200) << "]: Lucene '" << want[i]
                      << "' (token '" << tokens[i] << "'), Anvil '" << got[i] << "'";
      }
    }
  }
  EXPECT_GT(texts, 100u);
  EXPECT_GT(total, 5000u);
  // The documented differences stay rare (about 0.2% of SciFact's terms).
  EXPECT_LT(normalized + porter_variant, total / 100) << normalized << " normalized, " << porter_variant << " stemmed";
  std::printf("%zu texts, %zu terms: %zu equal, %zu differ by normalization, %zu by Porter variant\n", texts, total,
              equal, normalized, porter_variant);
}

}  // namespace
}  // namespace anvil::rag
