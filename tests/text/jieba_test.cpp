// Parity of anvil::text::Jieba with python3-jieba (golden file from make_jieba_golden.py), and
// its loading errors.
#include "anvil/text/jieba.h"

#include <gtest/gtest.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <thread>

#include "anvil/core/file_io.h"
#include "testing/temp_dir.h"

namespace anvil::text {
namespace {

struct GoldenCase {
  std::string text;
  std::vector<std::string> cut;
  std::vector<std::string> search;
};

std::vector<std::string> strings_of(const boost::json::value& v) {
  std::vector<std::string> out;
  for (const auto& s : v.as_array()) out.emplace_back(s.as_string());
  return out;
}

// tests/text/data/jieba_golden.jsonl, or $ANVIL_JIEBA_GOLDEN (make_jieba_golden.py --all).
std::vector<GoldenCase> load_golden() {
  std::filesystem::path path = anvil::testing::source_dir() / "tests/text/data/jieba_golden.jsonl";
  if (const char* p = std::getenv("ANVIL_JIEBA_GOLDEN")) path = p;
  auto content = core::read_file(path);
  EXPECT_TRUE(content.ok()) << content.status().to_string();
  std::vector<GoldenCase> cases;
  if (!content.ok()) return cases;
  std::istringstream in(*content);
  for (std::string line; std::getline(in, line);) {
    auto v = boost::json::parse(line);
    const auto& o = v.as_object();
    cases.push_back({std::string(o.at("text").as_string()), strings_of(o.at("cut")), strings_of(o.at("search"))});
  }
  return cases;
}

std::shared_ptr<const Jieba> jieba() {
  auto j = Jieba::shared();
  EXPECT_TRUE(j.ok()) << j.status().to_string();
  return j.ok() ? *j : nullptr;
}

std::string joined(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " | ") + w;
  return s;
}

std::vector<std::string> cut(const Jieba& j, std::string_view text) {
  std::vector<std::string> out;
  j.cut(text, out);
  return out;
}

std::vector<std::string> search(const Jieba& j, std::string_view text) {
  std::vector<std::string> out;
  j.cut_for_search(text, out);
  return out;
}

TEST(JiebaTest, MatchesPythonJiebaOnGoldenFile) {
  auto j = jieba();
  ASSERT_NE(j, nullptr);
  const auto cases = load_golden();
  ASSERT_GE(cases.size(), 300u);
  size_t mismatches = 0;
  for (const auto& c : cases) {
    const auto got_cut = cut(*j, c.text);
    const auto got_search = search(*j, c.text);
    if (got_cut != c.cut || got_search != c.search) {
      ++mismatches;
      if (mismatches <= 5) {
        ADD_FAILURE() << "text: " << c.text << "\n  cut want: " << joined(c.cut) << "\n  cut got:  " << joined(got_cut)
                      << "\n  search want: " << joined(c.search) << "\n  search got:  " << joined(got_search);
      }
    }
  }
  EXPECT_EQ(mismatches, 0u) << "of " << cases.size() << " texts";
}

TEST(JiebaTest, KnownSegmentations) {
  auto j = jieba();
  ASSERT_NE(j, nullptr);
  // The examples from jieba's README.
  EXPECT_EQ(cut(*j, "我来到北京清华大学"), (std::vector<std::string>{"我", "来到", "北京", "清华大学"}));
  // "杭研" is not in the dictionary: the HMM joins it.
  EXPECT_EQ(cut(*j, "他来到了网易杭研大厦"),
            (std::vector<std::string>{"他", "来到", "了", "网易", "杭研", "大厦"}));
  EXPECT_EQ(search(*j, "中华人民共和国"),
            (std::vector<std::string>{"中华", "华人", "人民", "共和", "共和国", "中华人民共和国"}));
  // Whitespace and punctuation come out as tokens; "\r\n" stays together.
  EXPECT_EQ(cut(*j, "你好，世界\r\n"), (std::vector<std::string>{"你好", "，", "世界", "\r\n"}));
}

TEST(JiebaTest, EmptyAndWhitespace) {
  auto j = jieba();
  ASSERT_NE(j, nullptr);
  EXPECT_TRUE(cut(*j, "").empty());
  EXPECT_TRUE(search(*j, "").empty());
  EXPECT_EQ(cut(*j, " \t"), (std::vector<std::string>{" ", "\t"}));
}

TEST(JiebaTest, IllFormedUtf8BecomesReplacementCharacters) {
  auto j = jieba();
  ASSERT_NE(j, nullptr);
  // A stray continuation byte and a truncated 3-byte sequence at the end.
  const std::string text = "\x80中国人\xE4\xB8";
  EXPECT_EQ(cut(*j, text), (std::vector<std::string>{"\xEF\xBF\xBD", "中国", "人", "\xEF\xBF\xBD"}));
}

TEST(JiebaTest, ThreadsGetTheSameResults) {
  auto j = jieba();
  ASSERT_NE(j, nullptr);
  const auto cases = load_golden();
  std::vector<int> failures(4, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (size_t i = t; i < cases.size(); i += 2) {
        if (search(*j, cases[i].text) != cases[i].search) ++failures[t];
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(failures, (std::vector<int>{0, 0, 0, 0}));
}

TEST(JiebaTest, SharedInstanceIsLoadedOnce) {
  auto a = Jieba::shared();
  auto b = Jieba::shared();
  ASSERT_TRUE(a.ok());
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(a->get(), b->get());
  EXPECT_EQ((*a)->dict().total(), 60101967u);  // sum of dict.txt frequencies, jieba's `total`
}

TEST(JiebaTest, MissingDirectoryNamesPathAndPackage) {
  anvil::testing::TempDir dir;
  auto j = Jieba::load(dir.path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(j.status().message().find((dir.path() / "dict.txt").string()), std::string::npos) << j.status().message();
  EXPECT_NE(j.status().message().find("python3-jieba"), std::string::npos) << j.status().message();
  EXPECT_NE(j.status().message().find("ANVIL_JIEBA_DIR"), std::string::npos) << j.status().message();
}

TEST(JiebaTest, MissingModelFileNamesIt) {
  anvil::testing::TempDir dir;
  dir.write("dict.txt", "中国 100 ns\n");
  auto j = Jieba::load(dir.path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status().code(), core::StatusCode::kNotFound);
  EXPECT_NE(j.status().message().find((dir.path() / "finalseg" / "prob_start.py").string()), std::string::npos)
      << j.status().message();
}

// A miniature data folder: a three-word dictionary and an HMM whose emissions favour joining
// the unknown pair "甲乙" into one word.
void write_small_model(const anvil::testing::TempDir& dir, std::string_view dict) {
  dir.write("dict.txt", dict);
  dir.write("finalseg/prob_start.py", "P={'B': -0.26, 'E': -3.14e+100, 'M': -3.14e+100, 'S': -1.46}\n");
  dir.write("finalseg/prob_trans.py",
            "P={'B': {'E': -0.51, 'M': -0.91},\n 'E': {'B': -0.58, 'S': -0.80},\n"
            " 'M': {'E': -0.33, 'M': -1.26},\n 'S': {'B': -0.72, 'S': -0.66}}\n");
  dir.write("finalseg/prob_emit.py",
            "from __future__ import unicode_literals\n\n"
            "P={'B': {'\\u7532': -1.0}, 'E': {'\\u4e59': -1.0}, 'M': {}, 'S': {'\\u4e19': -1.0}}\n");
}

TEST(JiebaTest, LoadsAnotherFolder) {
  anvil::testing::TempDir dir;
  write_small_model(dir, "中国 100 ns\n中国人 50 n\n人 10 n\n");
  auto j = Jieba::load(dir.path());
  ASSERT_TRUE(j.ok()) << j.status().to_string();
  EXPECT_EQ((*j)->dict().total(), 160u);
  EXPECT_EQ(cut(**j, "中国人甲乙丙"), (std::vector<std::string>{"中国人", "甲乙", "丙"}));
  EXPECT_EQ(search(**j, "中国人"), (std::vector<std::string>{"中国", "中国人"}));
}

TEST(JiebaTest, DefaultDirFollowsEnvironment) {
  ASSERT_EQ(setenv("ANVIL_JIEBA_DIR", "/opt/jieba-data", 1), 0);
  EXPECT_EQ(Jieba::default_dir(), std::filesystem::path("/opt/jieba-data"));
  ASSERT_EQ(unsetenv("ANVIL_JIEBA_DIR"), 0);
  EXPECT_EQ(Jieba::default_dir(), std::filesystem::path("/usr/lib/python3/dist-packages/jieba"));
}

TEST(JiebaTest, BadDictionaryLineIsCorruptWithLineNumber) {
  anvil::testing::TempDir dir;
  write_small_model(dir, "中国 100 ns\n人 many n\n");
  auto j = Jieba::load(dir.path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status(), core::Status::corrupt((dir.path() / "dict.txt").string() +
                                               ": line 2: expected a non-negative integer frequency after the "
                                               "word, found '人 many n'"));
}

TEST(JiebaTest, BadModelFileIsCorruptWithLineNumber) {
  anvil::testing::TempDir dir;
  write_small_model(dir, "中国 100 ns\n");
  dir.write("finalseg/prob_trans.py", "P={'B': {'E': -0.51,\n 'M' -0.91}}\n");
  auto j = Jieba::load(dir.path());
  ASSERT_FALSE(j.ok());
  EXPECT_EQ(j.status(), core::Status::corrupt((dir.path() / "finalseg" / "prob_trans.py").string() +
                                               ":2: expected ':' after dict key, found '-'"));
}

}  // namespace
}  // namespace anvil::text
