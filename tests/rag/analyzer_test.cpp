// The BM25 analyzers: golden term lists for "en" (Lucene EnglishAnalyzer behaviour: possessives,
// numbers, URLs and e-mail, hyphens, apostrophes, full-width text, accents), mixed Chinese and
// English for "auto"/"zh", bad input, and make_analyzer's contract.
#include "anvil/rag/analyzer.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <sstream>
#include <thread>

#include "anvil/core/file_io.h"
#include "testing/temp_dir.h"

namespace anvil::rag {
namespace {

using Terms = std::vector<std::string>;

std::shared_ptr<const Analyzer> analyzer(std::string_view name) {
  auto a = make_analyzer(name);
  EXPECT_TRUE(a.ok()) << a.status().to_string();
  return a.ok() ? *a : nullptr;
}

Terms terms(const Analyzer& a, std::string_view text) {
  Terms out;
  a.analyze(text, out);
  return out;
}

struct Case {
  std::string text;
  Terms want;
};

TEST(AnalyzerTest, MakeAnalyzerKnowsThreeNames) {
  for (std::string_view name : {"auto", "en", "zh"}) {
    auto a = analyzer(name);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(a->name(), name);
  }
  EXPECT_EQ(make_analyzer("english").status(),
            core::Status::invalid_argument("unknown analyzer 'english': expected one of \"auto\", \"en\", \"zh\""));
  EXPECT_EQ(make_analyzer("").status().code(), core::StatusCode::kInvalidArgument);
}

// Expected terms are what Anserini's DefaultEnglishAnalyzer gives (StandardTokenizer,
// EnglishPossessiveFilter, LowerCaseFilter, Lucene's stop set, Porter), except where NFKC
// case folding differs from lower-casing (full-width, ß, ligatures, µ).
TEST(AnalyzerTest, EnglishGoldenTerms) {
  auto en = analyzer("en");
  ASSERT_NE(en, nullptr);
  const std::vector<Case> cases = {
      {"The quick brown foxes jumped over the lazy dogs.", {"quick", "brown", "fox", "jump", "over", "lazi", "dog"}},
      // Possessives: 's / 'S go (also after U+2019); other apostrophes stay inside the word.
      {"John's dogs' O'Reilly's don't DOGS'S", {"john", "dog", "o'reilli", "don't", "dog"}},
      {"Don\u2019t O\u2019Neil\u2019s", {"don\u2019t", "o\u2019neil"}},
      // Numbers keep their inner separators; trailing punctuation goes.
      {"pi is 3.14, not 1,000 or 1,000.50", {"pi", "3.14", "1,000", "1,000.50"}},
      // Hyphens split; stop words inside compounds go.
      {"e-mail wi-fi state-of-the-art", {"e", "mail", "wi", "fi", "state", "art"}},
      // E-mail and URLs: UAX#29 keeps dotted names together, splits at '@', '/', ':' before '/'.
      {"john.doe@example.com visited http://www.apache.org/foo?x=1",
       {"john.do", "example.com", "visit", "http", "www.apache.org", "foo", "x", "1"}},
      // ':' between letters joins (Unicode MidLetter), as in Lucene.
      {"BACKGROUND:Results were significant.", {"background:result", "were", "signific"}},
      {"C++ C# AT&T 50% $100", {"c", "c", "t", "50", "100"}},
      // Accents stay; NFKC_Casefold gives "ss" for ß.
      {"naïve café Straße résumé's", {"naïv", "café", "strass", "résumé"}},
      // Full-width letters and digits become ASCII (Lucene would keep them full-width).
      {"ＬＵＣＥＮＥ Ｓｅａｒｃｈ ２０２４", {"lucen", "search", "2024"}},
      {"signiﬁcant 5µm 5μm", {"signific", "5μm", "5μm"}},
      // Words under three characters are not stemmed (Lucene's PorterStemmer rule).
      {"us as is gas", {"us", "ga"}},
      {"running runs ran generalizations relational", {"run", "run", "ran", "gener", "relat"}},
      // Emoji and flags are terms (Lucene's <EMOJI>); NFKC_Casefold drops the variation selector.
      {"I \u2764\uFE0F NY \U0001F1FA\U0001F1F8", {"i", "\u2764", "ny", "\U0001F1FA\U0001F1F8"}},
      // Without jieba, ideographs and hiragana are single-character terms; katakana runs stay whole.
      {"中文abc ひらがな カタカナ", {"中", "文", "abc", "ひ", "ら", "が", "な", "カタカナ"}},
  };
  for (const auto& c : cases) EXPECT_EQ(terms(*en, c.text), c.want) << c.text;
}

TEST(AnalyzerTest, MixedChineseAndEnglish) {
  auto a = analyzer("auto");
  ASSERT_NE(a, nullptr);
  const std::vector<Case> cases = {
      {"我用C++和Python3.10写了一个RAG系统，准确率提升了40%。",
       {"我用", "c", "和", "python3.10", "写", "了", "一个", "rag", "系统", "准确", "准确率", "提升", "了", "40"}},
      {"iPhone 15 Pro的价格是7999元", {"iphon", "15", "pro", "的", "价格", "是", "7999", "元"}},
      // Full-width Latin and digits fold to ASCII; full-width punctuation is dropped.
      {"２０２３年１２月，ＡＩ技术突飞猛进！",
       {"2023", "年", "12", "月", "ai", "技术", "突飞", "猛进", "突飞猛进"}},
      // Search mode adds the dictionary 2- and 3-grams inside long words.
      {"中华人民共和国成立于1949年",
       {"中华", "华人", "人民", "共和", "共和国", "中华人民共和国", "成立", "于", "1949", "年"}},
      {"Running测试runs", {"run", "测试", "run"}},
      // Kana go through the English pipeline; Han outside jieba's range stays one character each.
      {"日本語のテキスト", {"日本", "語", "の", "テキスト"}},
      {"鿖𠀀㐀", {"鿖", "𠀀", "㐀"}},
      // Compatibility ideographs (a Kangxi radical here) are folded before segmentation.
      {"⼀二", {"一二"}},
  };
  for (const auto& c : cases) EXPECT_EQ(terms(*a, c.text), c.want) << c.text;
}

TEST(AnalyzerTest, ZhAnalyzesLikeAuto) {
  auto a = analyzer("auto");
  auto zh = analyzer("zh");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(zh, nullptr);
  for (std::string_view text : {"黑豹队的防守只丢了 308分，在联赛中排名第六", "Super Bowl 50 超级碗", "The dogs' bowls"}) {
    EXPECT_EQ(terms(*zh, text), terms(*a, text)) << text;
  }
}

TEST(AnalyzerTest, AutoOnEnglishEqualsEn) {
  auto a = analyzer("auto");
  auto en = analyzer("en");
  ASSERT_NE(a, nullptr);
  ASSERT_NE(en, nullptr);
  auto content = core::read_file(anvil::testing::shared_dir() / "data/beir/scifact/corpus.jsonl");
  ASSERT_TRUE(content.ok()) << content.status().to_string();
  std::istringstream in(*content);
  int docs = 0;
  for (std::string line; std::getline(in, line) && docs < 500; ++docs) {
    const auto v = boost::json::parse(line).as_object();
    const std::string text = std::string(v.at("title").as_string()) + " " + std::string(v.at("text").as_string());
    ASSERT_EQ(terms(*a, text), terms(*en, text)) << v.at("_id").as_string();
  }
  EXPECT_EQ(docs, 500);
}

TEST(AnalyzerTest, EmptyWhitespaceAndPunctuationGiveNoTerms) {
  for (std::string_view name : {"auto", "en", "zh"}) {
    auto a = analyzer(name);
    ASSERT_NE(a, nullptr);
    for (std::string_view text : {"", " ", "\t\r\n", "\u3000\u00A0", "，。！？、", "... --- !!!", "the of and"}) {
      EXPECT_TRUE(terms(*a, text).empty()) << name << ": [" << text << "]";
    }
  }
}

TEST(AnalyzerTest, IllFormedUtf8IsReadAsReplacementCharacters) {
  for (std::string_view name : {"auto", "en", "zh"}) {
    auto a = analyzer(name);
    ASSERT_NE(a, nullptr);
    EXPECT_EQ(terms(*a, "abc\xFF" "def"), (Terms{"abc", "def"})) << name;
    EXPECT_TRUE(terms(*a, "\xFF\xFE\xC0").empty()) << name;
    EXPECT_EQ(terms(*a, "cat\xE4\xB8"), (Terms{"cat"})) << name;
  }
  auto a = analyzer("auto");
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(terms(*a, "中国\xFF人民"), (Terms{"中国", "人民"}));
}

TEST(AnalyzerTest, AppendsWithoutClearing) {
  auto a = analyzer("auto");
  ASSERT_NE(a, nullptr);
  Terms out = {"kept"};
  a->analyze("new words", out);
  EXPECT_EQ(out, (Terms{"kept", "new", "word"}));
}

TEST(AnalyzerTest, ConcurrentCallsMatchSequentialOnes) {
  const std::vector<std::string> texts = {
      "The quick brown foxes jumped over the lazy dogs.", "黑豹队的防守只丢了 308分，在联赛中排名第六",
      "我用C++和Python3.10写了一个RAG系统", "ＬＵＣＥＮＥ Ｓｅａｒｃｈ ２０２４", "naïve café Straße résumé's"};
  for (std::string_view name : {"auto", "en"}) {
    auto a = analyzer(name);
    ASSERT_NE(a, nullptr);
    std::vector<Terms> want;
    for (const auto& t : texts) want.push_back(terms(*a, t));
    std::vector<int> failures(4, 0);
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t) {
      threads.emplace_back([&, t] {
        for (int round = 0; round < 200; ++round) {
          const size_t i = (round + t) % texts.size();
          if (terms(*a, texts[i]) != want[i]) ++failures[t];
        }
      });
    }
    for (auto& th : threads) th.join();
    EXPECT_EQ(failures, (std::vector<int>{0, 0, 0, 0})) << name;
  }
}

}  // namespace
}  // namespace anvil::rag
