// Streaming stop strings: what is released when, stops split across pieces, overlapping and
// multiple candidates, UTF-8 held back, and an exhaustive check that every way of cutting a text
// into pieces releases the same text as a one-shot search.
#include "anvil/engine/stop_strings.h"

#include <gtest/gtest.h>

#include <random>

namespace anvil::engine {
namespace {

// Feeds pieces and returns everything released, plus the stop index (-1: none) after flush.
std::pair<std::string, int> run(const std::vector<std::string>& stops, const std::vector<std::string>& pieces) {
  StopStringMatcher m(stops);
  std::string out;
  for (const auto& p : pieces) {
    auto step = m.feed(p);
    out += step.text;
    if (step.stopped) return {out, static_cast<int>(step.stop_index)};
  }
  out += m.flush();
  return {out, -1};
}

TEST(StopStringsTest, NoStopReleasesEverything) {
  StopStringMatcher m({"</s>"});
  EXPECT_EQ(m.feed("Hello").text, "Hello");
  EXPECT_EQ(m.feed(" world").text, " world");
  EXPECT_EQ(m.held_bytes(), 0u);
  EXPECT_EQ(m.flush(), "");
  EXPECT_FALSE(m.stopped());
}

TEST(StopStringsTest, HoldsBackAPossiblePrefixUntilItIsDecided) {
  StopStringMatcher m({"<|im_end|>"});
  auto a = m.feed("Sure<|im");
  EXPECT_EQ(a.text, "Sure");
  EXPECT_FALSE(a.stopped);
  EXPECT_EQ(m.held_bytes(), 4u);  // "<|im"
  auto b = m.feed("_e");
  EXPECT_EQ(b.text, "");
  auto c = m.feed("nd|>ignored");
  EXPECT_TRUE(c.stopped);
  EXPECT_EQ(c.text, "");
  EXPECT_EQ(c.stop_index, 0u);
  EXPECT_TRUE(m.stopped());
  EXPECT_EQ(m.feed("more").text, "");  // nothing after a stop
  EXPECT_EQ(m.flush(), "");
}

TEST(StopStringsTest, AFalseStartIsReleasedOnceItCannotMatch) {
  StopStringMatcher m({"STOP"});
  EXPECT_EQ(m.feed("ab ST").text, "ab ");
  EXPECT_EQ(m.feed("OP").text, "");  // completed: "STOP"
  EXPECT_TRUE(m.stopped());

  StopStringMatcher n({"STOP"});
  EXPECT_EQ(n.feed("ab ST").text, "ab ");
  EXPECT_EQ(n.feed("AR").text, "STAR");
  EXPECT_EQ(n.flush(), "");
}

TEST(StopStringsTest, TextBeforeTheStopInTheSamePieceIsReleased) {
  auto [out, stop] = run({"\n\nUser:"}, {"The answer is 4.", "\n\nUser: next"});
  EXPECT_EQ(out, "The answer is 4.");
  EXPECT_EQ(stop, 0);
}

TEST(StopStringsTest, OverlappingCandidatesKeepTheLongestPossiblePrefix) {
  // "aab" after "aa": the held "aa" might still start "aab" one character later.
  auto [out, stop] = run({"aab"}, {"xaa", "ab"});
  EXPECT_EQ(out, "xa");
  EXPECT_EQ(stop, 0);
  // After "abab" only the tail "ab" can still start "abac"; the first "ab" is released.
  StopStringMatcher m({"abac"});
  EXPECT_EQ(m.feed("abab").text, "ab");
  auto step = m.feed("ac");
  EXPECT_TRUE(step.stopped);
  EXPECT_EQ(step.text, "");
}

TEST(StopStringsTest, MultipleStopStringsTheEarliestCompleteOneWins) {
  auto [out, stop] = run({"world", "lo"}, {"hello world"});
  EXPECT_EQ(out, "hel");
  EXPECT_EQ(stop, 1);
  // Same start: the first listed wins; empty stop strings are ignored but keep the numbering.
  auto [out2, stop2] = run({"", "ab", "abc"}, {"xabcd"});
  EXPECT_EQ(out2, "x");
  EXPECT_EQ(stop2, 1);
  // A complete short stop ends generation even while a longer one is still only a prefix.
  auto [out3, stop3] = run({"<|end|>", "|"}, {"a<|e"});
  EXPECT_EQ(out3, "a<");
  EXPECT_EQ(stop3, 1);
}

TEST(StopStringsTest, IncompleteUtf8IsHeldUntilTheCharacterIsWhole) {
  StopStringMatcher m({"END"});
  const std::string snowman = "\xE2\x98\x83";
  auto a = m.feed("x" + snowman.substr(0, 2));
  EXPECT_EQ(a.text, "x");
  EXPECT_EQ(m.held_bytes(), 2u);
  auto b = m.feed(snowman.substr(2) + "y");
  EXPECT_EQ(b.text, snowman + "y");
  // A broken sequence at the very end comes out of flush() as it is.
  EXPECT_EQ(m.feed("\xF0\x9F").text, "");
  EXPECT_EQ(m.flush(), "\xF0\x9F");
}

TEST(StopStringsTest, NoStopStringsStillHoldsBackSplitCharacters) {
  StopStringMatcher m({});
  EXPECT_EQ(m.feed("\xC3").text, "");
  EXPECT_EQ(m.feed("\xA9!").text, "\xC3\xA9!");
}

TEST(StopStringsTest, EveryWayOfCuttingTheTextGivesTheSameResult) {
  const std::vector<std::string> stops = {"</s>", "<|im_end|>", "ss", "\xC3\xA9t\xC3\xA9"};
  std::mt19937 gen(3);
  const std::vector<std::string> alphabet = {"<", "/", "s", ">", "|", "im", "_end", "a", " ", "\xC3\xA9", "t", "\xC3"};
  for (int trial = 0; trial < 3000; ++trial) {
    std::string text;
    const int len = 1 + static_cast<int>(gen() % 12);
    for (int i = 0; i < len; ++i) text += alphabet[gen() % alphabet.size()];
    // One-shot reference: the earliest occurrence of any stop string.
    size_t best = std::string::npos;
    int which = -1;
    for (size_t i = 0; i < stops.size(); ++i) {
      const size_t pos = text.find(stops[i]);
      if (pos < best) {
        best = pos;
        which = static_cast<int>(i);
      }
    }
    // Random cut points.
    std::vector<std::string> pieces;
    for (size_t pos = 0; pos < text.size();) {
      const size_t n = 1 + gen() % 4;
      pieces.push_back(text.substr(pos, n));
      pos += n;
    }
    auto [out, stop] = run(stops, pieces);
    SCOPED_TRACE(text);
    if (which < 0) {
      EXPECT_EQ(out, text);
      EXPECT_EQ(stop, -1);
    } else {
      // No stop string here contains another, so the first one to complete while streaming is
      // also the earliest in the whole text, whatever the cuts.
      EXPECT_EQ(stop, which);
      EXPECT_EQ(out, text.substr(0, best));
    }
  }
}

}  // namespace
}  // namespace anvil::engine
