#include "anvil/text/sentences.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace anvil::text {
namespace {

std::vector<std::string> pieces(std::string_view text) {
  auto splitter = SentenceSplitter::create();
  EXPECT_TRUE(splitter.ok()) << splitter.status().to_string();
  std::vector<std::string> out;
  size_t expected_begin = 0;
  for (const auto& s : splitter->split(text)) {
    EXPECT_EQ(s.begin, expected_begin) << "spans must be contiguous";
    expected_begin = s.end;
    out.emplace_back(text.substr(s.begin, s.end - s.begin));
  }
  EXPECT_EQ(expected_begin, text.size()) << "spans must cover the text";
  return out;
}

using Pieces = std::vector<std::string>;

TEST(Sentences, English) {
  EXPECT_EQ(pieces("The pump is primed. Start the motor! Is the flow steady? Yes."),
            (Pieces{"The pump is primed. ", "Start the motor! ", "Is the flow steady? ", "Yes."}));
}

TEST(Sentences, EnglishAbbreviationsDoNotEndSentences) {
  EXPECT_EQ(pieces("Dr. Smith et al. reported it. See Fig. 3 for details. It works, e.g. here."),
            (Pieces{"Dr. Smith et al. reported it. ", "See Fig. 3 for details. ",
                    "It works, e.g. here."}));
}

TEST(Sentences, ChinesePunctuation) {
  EXPECT_EQ(pieces("启动前必须灌泵。否则会损坏机械密封！怎么办？请参考第3节；如仍有问题……请联系厂家。"),
            (Pieces{"启动前必须灌泵。", "否则会损坏机械密封！", "怎么办？", "请参考第3节；",
                    "如仍有问题……", "请联系厂家。"}));
}

TEST(Sentences, ChineseClosingQuotesStayWithTheirSentence) {
  EXPECT_EQ(pieces("他说：“先关闭阀门。”然后断电。「注意安全！」完毕"),
            (Pieces{"他说：“先关闭阀门。”", "然后断电。", "「注意安全！」", "完毕"}));
}

TEST(Sentences, MixedChineseAndEnglish) {
  EXPECT_EQ(pieces("The P-200 runs at 2,900 rpm. 每天检查一次油位；每月更换滤芯。Replace seals yearly."),
            (Pieces{"The P-200 runs at 2,900 rpm. ", "每天检查一次油位；", "每月更换滤芯。",
                    "Replace seals yearly."}));
}

TEST(Sentences, LineBreaksEndSentences) {
  EXPECT_EQ(pieces("Step 1\nStep 2\n\nNext part"), (Pieces{"Step 1\n", "Step 2\n\n", "Next part"}));
}

TEST(Sentences, EmptyAndOddInput) {
  EXPECT_TRUE(pieces("").empty());
  EXPECT_EQ(pieces("   "), (Pieces{"   "}));
  EXPECT_EQ(pieces("no terminator"), (Pieces{"no terminator"}));
  // Ill-formed UTF-8 is tolerated and still covered.
  EXPECT_EQ(pieces("bad \xFF byte. Next."), (Pieces{"bad \xFF byte. ", "Next."}));
}

TEST(Sentences, ConvenienceFunctionMatchesSplitter) {
  const std::string text = "第一句。第二句！Third one.";
  auto spans = split_sentences(text);
  ASSERT_EQ(spans.size(), 3u);
  EXPECT_EQ(spans[0], (TextSpan{0, 12}));
  EXPECT_EQ(spans[2].end, text.size());
}

}  // namespace
}  // namespace anvil::text
