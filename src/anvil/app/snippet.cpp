#include "anvil/app/snippet.h"

#include <unordered_set>

#include "anvil/text/sentences.h"
#include "anvil/text/utf8.h"

namespace anvil::app {

namespace {

std::string collapse_whitespace(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  bool space = false;
  for (char c : s) {
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
    } else {
      if (space) out.push_back(' ');
      space = false;
      out.push_back(c);
    }
  }
  return out;
}

}  // namespace

std::string make_snippet(std::string_view text, const std::vector<std::string>& query_terms,
                         const rag::Analyzer& analyzer, size_t max_code_points) {
  std::unordered_set<std::string_view> wanted(query_terms.begin(), query_terms.end());
  auto sentences = text::split_sentences(text);
  if (sentences.empty()) return {};

  // Score each sentence by the distinct query terms it holds; start the window at the best one.
  size_t best = 0;
  size_t best_hits = 0;
  std::vector<std::string> terms;
  for (size_t i = 0; i < sentences.size(); ++i) {
    terms.clear();
    analyzer.analyze(text.substr(sentences[i].begin, sentences[i].end - sentences[i].begin), terms);
    std::unordered_set<std::string_view> seen;
    for (const auto& t : terms) {
      if (wanted.count(t)) seen.insert(t);
    }
    if (seen.size() > best_hits) {
      best_hits = seen.size();
      best = i;
    }
  }

  // Budget in code points, "…" marks included: a leading one when the window does not start the
  // chunk, a trailing one when a sentence had to be cut.
  const size_t budget = max_code_points - (best > 0 ? 1 : 0);
  std::string out;
  size_t used = 0;
  for (size_t i = best; i < sentences.size(); ++i) {
    std::string s = collapse_whitespace(text.substr(sentences[i].begin, sentences[i].end - sentences[i].begin));
    if (s.empty()) continue;
    // Chinese and Japanese sentences follow each other without a space.
    size_t pos = 0;
    const bool joins_without_space = out.empty() || text::is_cjk(text::decode_utf8(s, pos));
    const size_t sep = joins_without_space ? 0 : 1;
    const size_t n = text::count_code_points(s);
    if (used + sep + n > budget) {
      if (out.empty()) {
        out = s.substr(0, text::byte_offset_of_code_point(s, budget - 1));
        out += "…";
      }
      break;
    }
    if (sep) out += ' ';
    out += s;
    used += sep + n;
  }
  if (best > 0) out = "…" + out;
  return out;
}

}  // namespace anvil::app
