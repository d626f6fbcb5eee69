#include "anvil/text/utf8.h"

#include <string>
#include <vector>

#include <gtest/gtest.h>

namespace anvil::text {
namespace {

TEST(Utf8Validate, AcceptsWellFormedText) {
  EXPECT_TRUE(is_valid_utf8(""));
  EXPECT_TRUE(is_valid_utf8("plain ASCII, long enough to take the 16-byte fast path twice over."));
  EXPECT_TRUE(is_valid_utf8("离心泵 P-200 的机械密封"));
  EXPECT_TRUE(is_valid_utf8("\xC2\x80 \xDF\xBF \xE0\xA0\x80 \xED\x9F\xBF \xEE\x80\x80 \xF0\x90\x80\x80 \xF4\x8F\xBF\xBF"));
  EXPECT_TRUE(is_valid_utf8("emoji 🔧 and é"));
}

TEST(Utf8Validate, NamesTheFirstBadByte) {
  struct Case {
    std::string bytes;
    size_t offset;
  };
  const std::vector<Case> cases = {
      {"abc\x80xyz", 3},                       // stray continuation byte
      {"ab\xC0\xAF", 2},                       // overlong '/'
      {"ab\xC1\xBF", 2},                       // overlong
      {"\xE0\x80\xAF", 0},                     // overlong 3-byte
      {"ok \xED\xA0\x80", 3},                  // UTF-16 surrogate D800
      {"\xF4\x90\x80\x80", 0},                 // above U+10FFFF
      {"\xF5\x80\x80\x80", 0},                 // invalid lead byte
      {"\xFF", 0},
      {"泵\xE6\xB3", 3},                       // truncated at end
      {"泵\xE6\xB3x", 3},                      // truncated before ASCII
      {std::string(40, 'a') + "\x80", 40},     // after the fast path
      {std::string(15, 'a') + "\xE6\xB3\xB5" + std::string(20, 'b') + "\xC3", 38},
  };
  for (const auto& c : cases) {
    auto bad = find_invalid_utf8(c.bytes);
    ASSERT_TRUE(bad.has_value()) << c.offset;
    EXPECT_EQ(*bad, c.offset);
  }
}

TEST(Utf8Validate, IncompleteSuffixForStreaming) {
  EXPECT_EQ(incomplete_utf8_suffix("abc"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("泵"), 0u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xE6"), 1u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xE6\xB3"), 2u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xF0\x9F\x94"), 3u);
  EXPECT_EQ(incomplete_utf8_suffix("a\xE0\x80"), 0u);  // not a valid prefix: left to the validator
  EXPECT_EQ(incomplete_utf8_suffix("a\x80"), 0u);
  // A split text validates piecewise when the suffix is carried over.
  const std::string text = "维护 maintenance 保养 🔧 done";
  for (size_t cut = 0; cut <= text.size(); ++cut) {
    std::string first = text.substr(0, cut);
    const size_t keep = incomplete_utf8_suffix(first);
    const std::string carried = first.substr(first.size() - keep);
    first.resize(first.size() - keep);
    EXPECT_TRUE(is_valid_utf8(first)) << cut;
    EXPECT_TRUE(is_valid_utf8(carried + text.substr(cut))) << cut;
  }
}

TEST(Utf8Count, CountsCodePoints) {
  EXPECT_EQ(count_code_points(""), 0u);
  EXPECT_EQ(count_code_points("abc"), 3u);
  EXPECT_EQ(count_code_points("空压机"), 3u);
  EXPECT_EQ(count_code_points("a空b压c机🔧é"), 8u);
  std::string long_text;
  for (int i = 0; i < 100; ++i) long_text += "泵pump";
  EXPECT_EQ(count_code_points(long_text), 500u);
}

TEST(Utf8Count, ByteOffsetOfCodePointInvertsCounting) {
  const std::string s = "Pump 离心泵 🔧 seal 密封 end";
  for (size_t i = 0; i <= count_code_points(s) + 2; ++i) {
    const size_t off = byte_offset_of_code_point(s, i);
    EXPECT_EQ(count_code_points(std::string_view(s).substr(0, off)), std::min(i, count_code_points(s)));
  }
}

TEST(Utf8Boundary, TruncatesOnlyAtBoundaries) {
  const std::string s = "ab泵🔧";  // 2 + 3 + 4 bytes
  EXPECT_EQ(truncate_utf8(s, 0), "");
  EXPECT_EQ(truncate_utf8(s, 2), "ab");
  EXPECT_EQ(truncate_utf8(s, 3), "ab");
  EXPECT_EQ(truncate_utf8(s, 4), "ab");
  EXPECT_EQ(truncate_utf8(s, 5), "ab泵");
  EXPECT_EQ(truncate_utf8(s, 8), "ab泵");
  EXPECT_EQ(truncate_utf8(s, 9), s);
  EXPECT_EQ(truncate_utf8(s, 100), s);
  for (size_t n = 0; n <= s.size(); ++n) EXPECT_TRUE(is_valid_utf8(truncate_utf8(s, n))) << n;
}

TEST(Utf8Decode, DecodesAndReplacesIllFormedSequences) {
  std::vector<char32_t> cps;
  for (auto [cp, offset] : CodePoints("a泵🔧")) cps.push_back(cp);
  EXPECT_EQ(cps, (std::vector<char32_t>{U'a', U'泵', U'🔧'}));

  // Maximal subparts: E6 B3 (truncated 泵) is one replacement, then 'x'.
  std::string bad = "\xE6\xB3x\x80";
  std::vector<std::pair<char32_t, size_t>> got;
  for (auto [cp, offset] : CodePoints(bad)) got.push_back({cp, offset});
  ASSERT_EQ(got.size(), 3u);
  EXPECT_EQ(got[0], std::make_pair(kReplacementChar, size_t{0}));
  EXPECT_EQ(got[1], std::make_pair(char32_t{U'x'}, size_t{2}));
  EXPECT_EQ(got[2], std::make_pair(kReplacementChar, size_t{3}));
}

TEST(Utf8Encode, RoundTrips) {
  std::string out;
  for (char32_t cp : {U'a', U'é', U'泵', U'🔧', char32_t{0x10FFFF}}) append_utf8(out, cp);
  EXPECT_EQ(out, "aé泵🔧\xF4\x8F\xBF\xBF");
  std::string sur;
  append_utf8(sur, 0xD800);
  EXPECT_EQ(sur, "\xEF\xBF\xBD");
}

TEST(Utf8Cjk, ClassifiesScripts) {
  EXPECT_TRUE(is_cjk(U'泵'));
  EXPECT_TRUE(is_cjk(U'の'));
  EXPECT_TRUE(is_cjk(U'한'));
  EXPECT_TRUE(is_cjk(U'𠀀'));
  EXPECT_FALSE(is_cjk(U'a'));
  EXPECT_FALSE(is_cjk(U'。'));
  EXPECT_FALSE(is_cjk(U'，'));
}

}  // namespace
}  // namespace anvil::text
