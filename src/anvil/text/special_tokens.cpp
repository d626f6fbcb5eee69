#include "anvil/text/special_tokens.h"

#include <algorithm>
#include <array>
#include <string>

namespace anvil::text {

namespace {

TokenType type_of(const TokenizerVocab& vocab, TokenId id) {
  return static_cast<size_t>(id) < vocab.token_types.size() ? vocab.token_types[id] : TokenType::kNormal;
}

bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

// Texts llama.cpp (llama-vocab.cpp, July 2025) recognizes, in the order it prefers them here.
constexpr std::array<std::string_view, 11> kEotTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|end_of_text|>",
    "<EOT>", "_<EOT>", "[EOT]", "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>",
    "<end_of_utterance>"};
constexpr std::array<std::string_view, 5> kFimPadTexts = {"<|fim_pad|>", "<fim-pad>", "<fim_pad>", "<PAD>",
                                                          "[PAD]"};
constexpr std::array<std::string_view, 5> kFimRepTexts = {"<|fim_repo|>", "<|repo_name|>", "<fim-repo>",
                                                          "<REPO>", "<reponame>"};
constexpr std::array<std::string_view, 1> kFimSepTexts = {"<|file_sep|>"};
constexpr std::array<std::string_view, 22> kEogTexts = {
    "<|eot_id|>", "<|im_end|>", "<|end|>", "<|return|>", "<|call|>", "<|flush|>", "<|calls|>",
    "<end_of_turn>", "<|endoftext|>", "</s>", "<|eom_id|>", "<EOT>", "_<EOT>", "[EOT]", "[EOS]",
    "<|end_of_text|>", "<end_of_utterance>", "<eos>", "<turn|>", "<|tool_response>",
    "<\xEF\xBD\x9C" "end\xE2\x96\x81of\xE2\x96\x81sentence\xEF\xBD\x9C>", "[e~["};

}  // namespace

std::vector<SpecialToken> collect_special_tokens(const TokenizerVocab& vocab) {
  std::vector<SpecialToken> out;
  std::vector<uint8_t> strip(vocab.tokens.size(), 0);
  for (TokenId id : vocab.lstrip_tokens) {
    if (static_cast<size_t>(id) < strip.size()) strip[id] |= 1;
  }
  for (TokenId id : vocab.rstrip_tokens) {
    if (static_cast<size_t>(id) < strip.size()) strip[id] |= 2;
  }
  for (size_t i = 0; i < vocab.tokens.size(); ++i) {
    const TokenType t = type_of(vocab, static_cast<TokenId>(i));
    if (t != TokenType::kControl && t != TokenType::kUserDefined && t != TokenType::kUnknown) continue;
    if (vocab.tokens[i].empty()) continue;
    out.push_back({static_cast<TokenId>(i), vocab.tokens[i], t == TokenType::kUserDefined,
                   (strip[i] & 1) != 0, (strip[i] & 2) != 0});
  }
  std::stable_sort(out.begin(), out.end(), [](const SpecialToken& a, const SpecialToken& b) {
    return a.text.size() > b.text.size();
  });
  return out;
}

void split_special_tokens(std::string_view text, const std::vector<SpecialToken>& specials,
                          bool parse_special, std::vector<TextFragment>& out) {
  out.clear();
  if (text.empty()) return;
  out.push_back({-1, 0, static_cast<uint32_t>(text.size())});
  std::vector<TextFragment> next;
  for (const SpecialToken& st : specials) {
    if (!st.always && !parse_special) continue;
    // Most tokens occur nowhere: look before rebuilding the fragment list.
    bool found = false;
    for (const TextFragment& f : out) {
      if (f.id < 0 && text.substr(0, f.end).find(st.text, f.begin) != std::string_view::npos) {
        found = true;
        break;
      }
    }
    if (!found) continue;
    next.clear();
    for (const TextFragment& f : out) {
      if (f.id >= 0) {
        next.push_back(f);
        continue;
      }
      const std::string_view window = text.substr(0, f.end);
      size_t begin = f.begin;
      while (begin < f.end) {
        const size_t match = window.find(st.text, begin);
        if (match == std::string_view::npos) break;
        size_t left_end = match;
        if (st.lstrip) {
          while (left_end > begin && is_ascii_space(text[left_end - 1])) --left_end;
        }
        if (left_end > begin) next.push_back({-1, static_cast<uint32_t>(begin), static_cast<uint32_t>(left_end)});
        next.push_back({st.id, static_cast<uint32_t>(match), static_cast<uint32_t>(match + st.text.size())});
        begin = match + st.text.size();
        if (st.rstrip) {
          while (begin < f.end && is_ascii_space(text[begin])) ++begin;
        }
      }
      if (begin < f.end) next.push_back({-1, static_cast<uint32_t>(begin), f.end});
    }
    out.swap(next);
  }
}

std::vector<TokenId> resolve_end_of_generation(TokenizerVocab& vocab) {
  // The first id of each text looked up below (find() knows no other), found in one pass over the
  // vocabulary: an index of every token would cost megabytes for a few dozen lookups.
  std::vector<std::string_view> wanted = {"<|eom_id|>", "<|return|>", "<|call|>", "<|calls|>", "<|flush|>",
                                          "<|tool_response>", "<|end|>", "</s>"};
  wanted.insert(wanted.end(), kEotTexts.begin(), kEotTexts.end());
  wanted.insert(wanted.end(), kFimPadTexts.begin(), kFimPadTexts.end());
  wanted.insert(wanted.end(), kFimRepTexts.begin(), kFimRepTexts.end());
  wanted.insert(wanted.end(), kFimSepTexts.begin(), kFimSepTexts.end());
  wanted.insert(wanted.end(), kEogTexts.begin(), kEogTexts.end());
  std::sort(wanted.begin(), wanted.end());
  wanted.erase(std::unique(wanted.begin(), wanted.end()), wanted.end());
  std::vector<TokenId> wanted_ids(wanted.size(), -1);
  for (size_t i = 0; i < vocab.tokens.size(); ++i) {
    const auto it = std::lower_bound(wanted.begin(), wanted.end(), vocab.tokens[i]);
    if (it != wanted.end() && *it == vocab.tokens[i] && wanted_ids[it - wanted.begin()] < 0) {
      wanted_ids[it - wanted.begin()] = static_cast<TokenId>(i);
    }
  }
  auto find = [&](std::string_view t) -> TokenId {
    const auto it = std::lower_bound(wanted.begin(), wanted.end(), t);
    return it != wanted.end() && *it == t ? wanted_ids[it - wanted.begin()] : -1;
  };
  auto mark_control = [&](TokenId id) {
    if (id < 0) return;
    if (vocab.token_types.size() < vocab.tokens.size()) vocab.token_types.resize(vocab.tokens.size(), TokenType::kNormal);
    vocab.token_types[id] = TokenType::kControl;
  };
  auto first_of = [&](const auto& texts) -> TokenId {
    for (std::string_view t : texts) {
      if (TokenId id = find(t); id >= 0) return id;
    }
    return -1;
  };

  if (vocab.eot < 0) {
    vocab.eot = first_of(kEotTexts);
    mark_control(vocab.eot);
  }
  if (vocab.eom < 0) {
    vocab.eom = find("<|eom_id|>");
    mark_control(vocab.eom);
  }
  std::vector<TokenId> eog;
  for (const TokenId fim : {first_of(kFimPadTexts), first_of(kFimRepTexts), first_of(kFimSepTexts)}) {
    if (fim < 0) continue;
    mark_control(fim);
    eog.push_back(fim);
  }
  for (std::string_view t : kEogTexts) {
    if (TokenId id = find(t); id >= 0) {
      mark_control(id);
      eog.push_back(id);
    }
  }
  // llama.cpp's workarounds: in gpt-oss and solar-open vocabularies <|end|> separates messages
  // (<|return|>/<|call|> end them); with <|tool_response> (gemma 4), </s> is ordinary text.
  auto drop = [&](TokenId id) { eog.erase(std::remove(eog.begin(), eog.end(), id), eog.end()); };
  if ((find("<|return|>") >= 0 && find("<|call|>") >= 0) || (find("<|calls|>") >= 0 && find("<|flush|>") >= 0)) {
    if (TokenId end = find("<|end|>"); end >= 0) {
      drop(end);
      vocab.token_types[end] = TokenType::kUserDefined;
      if (vocab.eot == end) vocab.eot = -1;
    }
  }
  if (find("<|tool_response>") >= 0) {
    if (TokenId s = find("</s>"); s >= 0) {
      drop(s);
      vocab.token_types[s] = TokenType::kNormal;
    }
  }
  for (TokenId id : {vocab.eos, vocab.eot, vocab.eom}) {
    if (id >= 0) eog.push_back(id);
  }
  std::sort(eog.begin(), eog.end());
  eog.erase(std::unique(eog.begin(), eog.end()), eog.end());
  return eog;
}

}  // namespace anvil::text
