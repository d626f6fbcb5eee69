// Word segmentation: Lucene StandardTokenizer behaviour, and the ASCII fast path giving exactly
// the break iterator's words on real text and on random strings.
#include "anvil/text/word_breaker.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <random>
#include <sstream>

#include "anvil/core/file_io.h"
#include "testing/temp_dir.h"

namespace anvil::text {
namespace {

const WordBreaker& breaker() {
  auto b = WordBreaker::shared();
  EXPECT_TRUE(b.ok()) << b.status().to_string();
  return **b;
}

std::vector<std::string> words(std::string_view text) {
  std::vector<std::string_view> views;
  breaker().split(text, views);
  return {views.begin(), views.end()};
}

std::vector<std::string> icu_words(std::string_view text) {
  std::vector<std::string_view> views;
  breaker().split_with_icu(text, views);
  return {views.begin(), views.end()};
}

using Words = std::vector<std::string>;

// Expected words follow Lucene's StandardTokenizer (UAX#29 word rules, Unicode's MidLetter colon,
// no '@' letter, single ideographs and hiragana, emoji tokens, 255-unit cut).
TEST(WordBreakerTest, LuceneStandardTokenizerCases) {
  struct Case {
    std::string text;
    Words want;
  };
  const std::vector<Case> cases = {
      {"The quick brown fox.", {"The", "quick", "brown", "fox"}},
      {"John's dogs' O'Reilly don't", {"John's", "dogs", "O'Reilly", "don't"}},
      {"pi is 3.14, not 1,000 or 1,000.50; 1;2", {"pi", "is", "3.14", "not", "1,000", "or", "1,000.50", "1;2"}},
      {"U.S.A. a.b. 1.2.3.", {"U.S.A", "a.b", "1.2.3"}},
      {"e-mail wi-fi state-of-the-art", {"e", "mail", "wi", "fi", "state", "of", "the", "art"}},
      {"john.doe@example.com", {"john.doe", "example.com"}},
      {"http://www.apache.org/foo?x=1", {"http", "www.apache.org", "foo", "x", "1"}},
      {"BACKGROUND:It a:b 1:2 a:1", {"BACKGROUND:It", "a:b", "1", "2", "a", "1"}},
      {"B2B 2B a1.5 1a.b", {"B2B", "2B", "a1.5", "1a.b"}},
      {"__init__ _ ___ a_b 1_2", {"__init__", "a_b", "1_2"}},
      {"C++ C# AT&T 50% $100", {"C", "C", "AT", "T", "50", "100"}},
      {"\"quoted\" (paren) [bracket]", {"quoted", "paren", "bracket"}},
      {"naïve café Straße", {"naïve", "café", "Straße"}},
      {"Don\u2019t O\u2019Neil\u2019s", {"Don\u2019t", "O\u2019Neil\u2019s"}},
      {"ＬＵＣＥＮＥ ２０２４年", {"ＬＵＣＥＮＥ", "２０２４", "年"}},
      {"中华人民共和国", {"中", "华", "人", "民", "共", "和", "国"}},
      {"ひらがな カタカナ 한국어", {"ひ", "ら", "が", "な", "カタカナ", "한국어"}},
      {"ภาษาไทย", {"ภาษาไทย"}},
      {"I \u2764\uFE0F NY \U0001F1FA\U0001F1F8 \U0001F44D\U0001F3FD", {"I", "\u2764\uFE0F", "NY", "\U0001F1FA\U0001F1F8", "\U0001F44D\U0001F3FD"}},
      {"\u00A9 2012 Elsevier", {"\u00A9", "2012", "Elsevier"}},
      {"10\u00B2 CO\u2082", {"10", "CO"}},
      {"soft\u00ADhyphen zero\u200Bwidth", {"soft\u00ADhyphen", "zero", "width"}},
  };
  for (const auto& c : cases) {
    EXPECT_EQ(words(c.text), c.want) << c.text;
    EXPECT_EQ(icu_words(c.text), c.want) << c.text << " (break iterator only)";
  }
}

TEST(WordBreakerTest, EmptyAndWhitespace) {
  EXPECT_TRUE(words("").empty());
  EXPECT_TRUE(words(" \t\r\n\u3000\u00A0").empty());
  EXPECT_TRUE(words("... --- !!!").empty());
}

TEST(WordBreakerTest, IllFormedUtf8NeverJoinsOrCrashes) {
  EXPECT_EQ(words("abc\xFF" "def"), (Words{"abc", "def"}));
  EXPECT_EQ(words("caf\xC3"), (Words{"caf"}));
  EXPECT_EQ(words("\xE4\xB8\xAD\xE4\xB8"), (Words{"中"}));
  EXPECT_EQ(words("\xC0\xAF" "a\xED\xA0\x80" "b"), (Words{"a", "b"}));  // overlong '/', a surrogate
}

TEST(WordBreakerTest, LongWordsAreCutAt255Units) {
  const std::string long_word(300, 'a');
  EXPECT_EQ(words(long_word), (Words{std::string(255, 'a'), std::string(45, 'a')}));
  EXPECT_EQ(icu_words(long_word), (Words{std::string(255, 'a'), std::string(45, 'a')}));
  // Units are UTF-16 code units: 200 'é' (2 bytes, 1 unit each) fit; 300 do not.
  std::string accented;
  for (int i = 0; i < 300; ++i) accented += "é";
  const auto got = words(accented);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].size(), 255u * 2);
  EXPECT_EQ(got[1].size(), 45u * 2);
  // Segmentation restarts at the cut: the '.' right after it starts no word.
  const std::string dotted = std::string(255, 'b') + ".c";
  EXPECT_EQ(words(dotted), (Words{std::string(255, 'b'), "c"}));
  EXPECT_EQ(icu_words(dotted), (Words{std::string(255, 'b'), "c"}));
}

// The fast path must not change a single word. SciFact and XQuAD-en are the English the
// analyzers are measured on; the random strings stress the joining rules.
TEST(WordBreakerTest, FastPathMatchesBreakIteratorOnRealText) {
  for (const char* dataset : {"scifact", "xquad-en"}) {
    auto content = core::read_file(anvil::testing::shared_dir() / "data/beir" / dataset / "corpus.jsonl");
    ASSERT_TRUE(content.ok()) << content.status().to_string();
    std::istringstream in(*content);
    size_t docs = 0, total_words = 0, mismatches = 0;
    for (std::string line; std::getline(in, line);) {
      const auto v = boost::json::parse(line).as_object();
      const std::string text = std::string(v.at("title").as_string()) + " " + std::string(v.at("text").as_string());
      const auto fast = words(text);
      const auto slow = icu_words(text);
      total_words += slow.size();
      ++docs;
      if (fast != slow && ++mismatches <= 3) ADD_FAILURE() << dataset << " document " << v.at("_id").as_string();
    }
    EXPECT_EQ(mismatches, 0u) << dataset;
    EXPECT_GT(docs, 200u);
    EXPECT_GT(total_words, 20000u);
  }
}

TEST(WordBreakerTest, FastPathMatchesBreakIteratorOnRandomStrings) {
  // Characters the joining rules care about, plus a few non-ASCII ones that send pieces to ICU.
  const std::vector<std::string> alphabet = {"a", "B", "z", "1", "9", "_", ".", "'", ":", ",", ";", "\"", " ",
                                             "-", "@", "/", "\t", "\u00E9", "\u2019", "\u4E2D", "\u0301", "\u05D0"};
  std::mt19937 rng(12345);
  size_t mismatches = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s;
    const int len = 1 + static_cast<int>(rng() % 12);
    for (int j = 0; j < len; ++j) s += alphabet[rng() % alphabet.size()];
    if (words(s) != icu_words(s) && ++mismatches <= 5) ADD_FAILURE() << "text: [" << s << "]";
  }
  EXPECT_EQ(mismatches, 0u);
}

}  // namespace
}  // namespace anvil::text
