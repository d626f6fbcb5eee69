#include "anvil/rag/chunker.h"

#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "anvil/text/estimated_token_counter.h"
#include "anvil/text/sentences.h"
#include "anvil/text/utf8.h"

namespace anvil::rag {
namespace {

const text::EstimatedTokenCounter kCounter;

std::string join_sections(const std::vector<Section>& sections) {
  std::string doc;
  for (size_t i = 0; i < sections.size(); ++i) {
    if (i > 0) doc += "\n\n";
    doc += sections[i].text;
  }
  return doc;
}

std::string cp_substr(const std::string& s, int64_t begin, int64_t end) {
  const size_t b = text::byte_offset_of_code_point(s, static_cast<size_t>(begin));
  const size_t e = text::byte_offset_of_code_point(s, static_cast<size_t>(end));
  return s.substr(b, e - b);
}

std::vector<Chunk> chunk(const std::vector<Section>& sections, int size, int overlap) {
  auto r = chunk_sections(sections, {size, overlap}, kCounter);
  EXPECT_TRUE(r.ok()) << r.status().to_string();
  return r.ok() ? *r : std::vector<Chunk>{};
}

bool is_blank(std::string_view s) { return s.find_first_not_of(" \t\r\n") == std::string_view::npos; }

// The invariants every chunking must satisfy: spans index the document text exactly, token
// counts are the counter's and within the size, ordinals count up, nothing is lost, and overlaps
// are whole trailing sentences within the overlap budget.
void check_invariants(const std::vector<Section>& sections, const std::vector<Chunk>& chunks, int size,
                      int overlap) {
  const std::string doc = join_sections(sections);
  int64_t covered_to = 0;
  for (size_t i = 0; i < chunks.size(); ++i) {
    const Chunk& c = chunks[i];
    SCOPED_TRACE("chunk " + std::to_string(i));
    EXPECT_EQ(c.ordinal, static_cast<int>(i));
    ASSERT_LT(c.char_start, c.char_end);
    ASSERT_EQ(cp_substr(doc, c.char_start, c.char_end), c.text);
    EXPECT_TRUE(text::is_valid_utf8(c.text));
    EXPECT_EQ(c.token_count, static_cast<int>(kCounter.count(c.text)));
    EXPECT_LE(c.token_count, size);
    // No text lost: whatever lies between the previous chunk's end and this one's start is blank.
    if (c.char_start > covered_to) {
      EXPECT_TRUE(is_blank(cp_substr(doc, covered_to, c.char_start)))
          << "lost: [" << cp_substr(doc, covered_to, c.char_start) << "]";
    }
    if (i > 0 && c.char_start < chunks[i - 1].char_end) {
      // Overlap: a suffix of the previous chunk, made of whole sentences of it, within budget.
      const std::string shared = cp_substr(doc, c.char_start, chunks[i - 1].char_end);
      EXPECT_LE(static_cast<int>(kCounter.count(shared)), overlap) << shared;
      EXPECT_GT(c.char_start, chunks[i - 1].char_start);
      EXPECT_EQ(c.text.compare(0, shared.size(), shared), 0);
    }
    covered_to = std::max(covered_to, c.char_end);
  }
  EXPECT_TRUE(is_blank(cp_substr(doc, covered_to, static_cast<int64_t>(text::count_code_points(doc)))));
}

std::string english_paragraph(int sentences, int seed) {
  static const char* kWords[] = {"pump", "seal", "impeller", "bearing", "the", "of", "check",
                                 "vibration", "alignment", "temperature", "replace", "every",
                                 "hours", "lubricate", "coupling", "discharge", "pressure", "valve"};
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::string p;
  for (int s = 0; s < sentences; ++s) {
    const int words = 5 + static_cast<int>(rng() % 12);
    for (int w = 0; w < words; ++w) {
      std::string word = kWords[rng() % std::size(kWords)];
      if (w == 0) word[0] = static_cast<char>(word[0] - 'a' + 'A');
      p += word;
      p += w + 1 < words ? " " : ". ";
    }
  }
  p.pop_back();
  return p;
}

std::string chinese_paragraph(int sentences, int seed) {
  static const char* kPhrases[] = {"空压机", "排气温度", "过高", "检查", "冷却器", "油位", "每月",
                                   "更换", "滤芯", "安全阀", "压力", "运行", "停机", "维修人员"};
  static const char* kEnds[] = {"。", "！", "？", "；", "……"};
  std::mt19937 rng(static_cast<unsigned>(seed));
  std::string p;
  for (int s = 0; s < sentences; ++s) {
    const int n = 3 + static_cast<int>(rng() % 8);
    for (int w = 0; w < n; ++w) p += kPhrases[rng() % std::size(kPhrases)];
    p += kEnds[rng() % std::size(kEnds)];
  }
  return p;
}

TEST(ChunkerOptions, ValidatesSizeAndOverlap) {
  EXPECT_TRUE(validate({512, 64}).ok());
  EXPECT_TRUE(validate({1, 0}).ok());
  EXPECT_EQ(validate({0, 0}).message(), "chunk_size: expected a positive number of tokens, found 0");
  EXPECT_EQ(validate({100, 100}).message(),
            "chunk_overlap: expected 0 <= overlap < chunk_size (100), found 100");
  EXPECT_EQ(validate({100, -1}).code(), core::StatusCode::kInvalidArgument);
  EXPECT_FALSE(Chunker::create({-5, 0}, kCounter).ok());
}

TEST(Chunker, ShortDocumentIsOneChunk) {
  std::vector<Section> s = {{"Pump P-200 manual\n\nPrime the pump before starting.", {"P-200"}, 3}};
  auto chunks = chunk(s, 512, 64);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, s[0].text);
  EXPECT_EQ(chunks[0].char_start, 0);
  EXPECT_EQ(chunks[0].char_end, static_cast<int64_t>(text::count_code_points(s[0].text)));
  EXPECT_EQ(chunks[0].heading_path, std::vector<std::string>{"P-200"});
  EXPECT_EQ(chunks[0].page, 3);
  check_invariants(s, chunks, 512, 64);
}

TEST(Chunker, NeverCrossesSections) {
  std::vector<Section> s = {{"Intro text.", {"Manual"}},
                            {"Seals\n\nReplace the seal.", {"Manual", "Seals"}},
                            {"第3页的内容。", {}, 3}};
  auto chunks = chunk(s, 512, 64);
  ASSERT_EQ(chunks.size(), 3u);
  EXPECT_EQ(chunks[0].text, "Intro text.");
  EXPECT_EQ(chunks[1].text, "Seals\n\nReplace the seal.");
  EXPECT_EQ(chunks[1].heading_path, (std::vector<std::string>{"Manual", "Seals"}));
  EXPECT_EQ(chunks[2].text, "第3页的内容。");
  EXPECT_EQ(chunks[2].page, 3);
  // Spans count the "\n\n" that joins sections: 11 + 2 = 13.
  EXPECT_EQ(chunks[1].char_start, 13);
  check_invariants(s, chunks, 512, 64);
}

TEST(Chunker, ContinuedSectionsShareChunks) {
  std::vector<Section> s = {{"First part.", {}}, {"Second part.", {}, std::nullopt, true}};
  auto chunks = chunk(s, 512, 64);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].text, "First part.\n\nSecond part.");
  check_invariants(s, chunks, 512, 64);
}

TEST(Chunker, PacksWholeParagraphsWhenTheyFit) {
  std::vector<std::string> paras;
  for (int i = 0; i < 6; ++i) paras.push_back(english_paragraph(4, i));
  std::string text;
  for (const auto& p : paras) text += (text.empty() ? "" : "\n\n") + p;
  std::vector<Section> s = {{text, {}}};
  const int size = 200;
  auto chunks = chunk(s, size, 0);
  ASSERT_GT(chunks.size(), 1u);
  for (const auto& c : chunks) {
    // Every chunk is a run of whole paragraphs: it starts and ends where a paragraph does.
    bool starts = false;
    bool ends = false;
    for (const auto& p : paras) {
      starts = starts || c.text.compare(0, p.size(), p) == 0;
      ends = ends || (c.text.size() >= p.size() && c.text.compare(c.text.size() - p.size(), p.size(), p) == 0);
    }
    EXPECT_TRUE(starts && ends) << c.text;
  }
  check_invariants(s, chunks, size, 0);
}

TEST(Chunker, CutsLongParagraphsAtSentences) {
  std::vector<Section> s = {{english_paragraph(40, 7), {}}};
  auto chunks = chunk(s, 60, 0);
  ASSERT_GT(chunks.size(), 3u);
  for (const auto& c : chunks) {
    EXPECT_EQ(c.text.back(), '.') << c.text;
  }
  check_invariants(s, chunks, 60, 0);
}

TEST(Chunker, CutsChineseAtChinesePunctuation) {
  std::vector<Section> s = {{chinese_paragraph(40, 3), {"空压机手册"}}};
  auto chunks = chunk(s, 50, 0);
  ASSERT_GT(chunks.size(), 3u);
  for (const auto& c : chunks) {
    const auto spans = text::split_sentences(c.text);
    ASSERT_FALSE(spans.empty());
    // The chunk ends where a sentence of the whole paragraph ends.
    const std::string last(c.text.substr(spans.back().begin));
    EXPECT_TRUE(c.text.ends_with("。") || c.text.ends_with("！") || c.text.ends_with("？") ||
                c.text.ends_with("；") || c.text.ends_with("…"))
        << c.text;
    EXPECT_EQ(c.heading_path, std::vector<std::string>{"空压机手册"});
  }
  check_invariants(s, chunks, 50, 0);
}

TEST(Chunker, HardCutsAtWordsThenCodePoints) {
  // One "sentence" of 300 words without a terminator, then one 2000-character word.
  std::string words;
  for (int i = 0; i < 300; ++i) words += "word" + std::to_string(i) + " ";
  std::string giant;
  for (int i = 0; i < 500; ++i) giant += "泵ab";
  std::vector<Section> s = {{words, {}}, {giant, {}}};
  auto chunks = chunk(s, 40, 0);
  ASSERT_GT(chunks.size(), 10u);
  for (const auto& c : chunks) {
    if (c.text.starts_with("word")) {
      // Word cuts: never inside "wordN".
      EXPECT_TRUE(c.text.back() >= '0' && c.text.back() <= '9') << c.text;
    }
  }
  check_invariants(s, chunks, 40, 0);
}

TEST(Chunker, OverlapRepeatsWholeTrailingSentences) {
  std::vector<Section> s = {{english_paragraph(60, 11), {}}};
  const int size = 100;
  const int overlap = 30;
  auto chunks = chunk(s, size, overlap);
  ASSERT_GT(chunks.size(), 3u);
  int overlapping = 0;
  for (size_t i = 1; i < chunks.size(); ++i) {
    if (chunks[i].char_start >= chunks[i - 1].char_end) continue;
    ++overlapping;
    // The shared text starts at a sentence start: right after ". " in the previous chunk.
    const std::string doc = join_sections(s);
    const size_t b = text::byte_offset_of_code_point(doc, static_cast<size_t>(chunks[i].char_start));
    ASSERT_GE(b, 2u);
    EXPECT_EQ(doc.substr(b - 2, 2), ". ");
  }
  EXPECT_GE(overlapping, static_cast<int>(chunks.size()) / 2);
  check_invariants(s, chunks, size, overlap);
}

TEST(Chunker, NoOverlapAcrossSections) {
  std::vector<Section> s = {{english_paragraph(30, 1), {"A"}}, {english_paragraph(30, 2), {"B"}}};
  auto chunks = chunk(s, 80, 40);
  int64_t second_start = static_cast<int64_t>(text::count_code_points(s[0].text)) + 2;
  for (const auto& c : chunks) {
    if (c.heading_path == std::vector<std::string>{"B"}) {
      EXPECT_GE(c.char_start, second_start);
    }
  }
  check_invariants(s, chunks, 80, 40);
}

TEST(Chunker, RandomDocumentsKeepInvariants) {
  std::mt19937 rng(42);
  for (int round = 0; round < 40; ++round) {
    std::vector<Section> sections;
    const int n_sections = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < n_sections; ++i) {
      std::string text;
      const int paras = 1 + static_cast<int>(rng() % 5);
      for (int p = 0; p < paras; ++p) {
        if (!text.empty()) text += rng() % 2 ? "\n\n" : "\n \n\n";
        const int kind = static_cast<int>(rng() % 3);
        if (kind == 0) text += english_paragraph(1 + static_cast<int>(rng() % 20), static_cast<int>(rng()));
        if (kind == 1) text += chinese_paragraph(1 + static_cast<int>(rng() % 20), static_cast<int>(rng()));
        if (kind == 2) {
          text += english_paragraph(3, static_cast<int>(rng())) + " " +
                  chinese_paragraph(3, static_cast<int>(rng())) + "\nline two\n";
        }
      }
      Section s{text, {"h" + std::to_string(i)}};
      s.continues_previous = i > 0 && rng() % 2 == 0;
      sections.push_back(std::move(s));
    }
    const int size = 8 + static_cast<int>(rng() % 200);
    const int overlap = static_cast<int>(rng() % static_cast<unsigned>(size / 2 + 1));
    SCOPED_TRACE("round " + std::to_string(round) + " size " + std::to_string(size) + " overlap " +
                 std::to_string(overlap));
    check_invariants(sections, chunk(sections, size, overlap), size, overlap);
  }
}

TEST(Chunker, TinyChunkSizeStillTerminates) {
  std::vector<Section> s = {{"ab 空压机 🔧🔧 end.", {}}};
  auto chunks = chunk(s, 1, 0);
  EXPECT_GE(chunks.size(), 6u);
  // 🔧 costs 2 tokens, more than the size: it is still emitted, alone.
  for (const auto& c : chunks) {
    EXPECT_TRUE(c.token_count <= 1 || c.text == "🔧") << c.text;
  }
}

TEST(Chunker, StreamsManyContinuedSectionsWithBoundedBuffer) {
  // 3 MB of continued sections: chunk spans stay exact after the buffer is compacted.
  auto chunker = Chunker::create({128, 16}, kCounter);
  ASSERT_TRUE(chunker.ok());
  std::vector<Section> sections;
  std::string doc;
  for (int i = 0; i < 60; ++i) {
    std::string text;
    while (text.size() < 50000) text += english_paragraph(6, i * 100 + static_cast<int>(text.size())) + "\n\n" + chinese_paragraph(4, i) + "\n\n";
    text.resize(text.size() - 2);
    sections.push_back({text, {}, std::nullopt, i > 0});
  }
  doc = join_sections(sections);
  std::vector<size_t> byte_of_cp;  // code point index -> byte offset, plus the end
  for (auto [cp, offset] : text::CodePoints(doc)) byte_of_cp.push_back(offset);
  byte_of_cp.push_back(doc.size());
  int64_t last_end = 0;
  size_t n = 0;
  chunker->begin_document([&](Chunk&& c) {
    const size_t b = byte_of_cp.at(static_cast<size_t>(c.char_start));
    EXPECT_EQ(doc.substr(b, byte_of_cp.at(static_cast<size_t>(c.char_end)) - b), c.text);
    EXPECT_LE(c.token_count, 128);
    last_end = c.char_end;
    ++n;
    return core::Status{};
  });
  for (const auto& s : sections) ASSERT_TRUE(chunker->add_section(s).ok());
  ASSERT_TRUE(chunker->finish().ok());
  EXPECT_GT(n, 1000u);
  EXPECT_EQ(last_end, static_cast<int64_t>(text::count_code_points(doc)));
}

TEST(Chunker, ReusedAcrossDocuments) {
  auto chunker = Chunker::create({512, 64}, kCounter);
  ASSERT_TRUE(chunker.ok());
  for (int doc = 0; doc < 2; ++doc) {
    std::vector<Chunk> got;
    chunker->begin_document([&](Chunk&& c) {
      got.push_back(std::move(c));
      return core::Status{};
    });
    ASSERT_TRUE(chunker->add_section({"Doc text.", {}}).ok());
    ASSERT_TRUE(chunker->finish().ok());
    ASSERT_EQ(got.size(), 1u);
    EXPECT_EQ(got[0].ordinal, 0);
    EXPECT_EQ(got[0].char_start, 0);
  }
}

TEST(Chunker, ErrorsPropagate) {
  auto chunker = Chunker::create({512, 64}, kCounter);
  ASSERT_TRUE(chunker.ok());
  chunker->begin_document([](Chunk&&) { return core::Status::io("disk full"); });
  ASSERT_TRUE(chunker->add_section({"one", {}}).ok());
  EXPECT_EQ(chunker->add_section({"two", {}}).message(), "disk full");  // emitting "one" fails

  chunker->begin_document([](Chunk&&) { return core::Status{}; });
  EXPECT_EQ(chunker->add_section({"bad \xC3", {}}).message(),
            "chunker: section text is not valid UTF-8 at byte 4");
}

TEST(Chunker, BlankSectionsGiveNoChunksButCountInSpans) {
  std::vector<Section> s = {{"  \n ", {}}, {"Real text.", {}}};
  auto chunks = chunk(s, 512, 64);
  ASSERT_EQ(chunks.size(), 1u);
  EXPECT_EQ(chunks[0].char_start, 6);  // 4 blank + 2 separator
  check_invariants(s, chunks, 512, 64);
}

}  // namespace
}  // namespace anvil::rag
