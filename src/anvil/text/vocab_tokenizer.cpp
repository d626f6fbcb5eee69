#include "anvil/text/vocab_tokenizer.h"

#include <algorithm>

namespace anvil::text {

namespace {

int hex_value(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  return -1;
}

}  // namespace

int parse_byte_token(std::string_view text) {
  if (text.size() != 6 || text.substr(0, 3) != "<0x" || text[5] != '>') return -1;
  const int hi = hex_value(text[3]);
  const int lo = hex_value(text[4]);
  return hi < 0 || lo < 0 ? -1 : hi * 16 + lo;
}

VocabTokenizer::VocabTokenizer(TokenizerVocab vocab, std::vector<TokenId> eog_ids) : Tokenizer(std::move(vocab)) {
  eog_ids_ = std::move(eog_ids);
  index_.build(vocab_.tokens);  // duplicates were rejected by create()
  for (const std::string_view t : vocab_.tokens) max_token_bytes_ = std::max(max_token_bytes_, t.size());
  specials_ = collect_special_tokens(vocab_);
  static const char* kHex = "0123456789ABCDEF";
  for (int b = 0; b < 256; ++b) {
    const char name[6] = {'<', '0', 'x', kHex[b >> 4], kHex[b & 15], '>'};
    TokenId id = find_token(std::string_view(name, 6));
    if (id < 0) id = find_token(std::string_view(reinterpret_cast<const char*>(&b), 1));
    byte_tokens_[b] = id;
  }
}

std::vector<TokenId> VocabTokenizer::encode(std::string_view text, bool add_special, bool parse_special) const {
  std::vector<TokenId> out;
  out.reserve(text.size() / 3 + 4);
  const bool cls_sep = frames_with_cls_sep();
  if (add_special) {
    const TokenId first = cls_sep ? (vocab_.cls >= 0 ? vocab_.cls : vocab_.bos) : (vocab_.add_bos ? vocab_.bos : -1);
    if (first >= 0) out.push_back(first);
  }
  std::vector<TextFragment> fragments;
  split_special_tokens(text, specials_, parse_special, fragments);
  bool after_special = true;
  for (const TextFragment& f : fragments) {
    if (f.id >= 0) {
      out.push_back(f.id);
      after_special = true;
    } else {
      encode_text(text.substr(f.begin, f.end - f.begin), after_special, out);
      after_special = false;
    }
  }
  if (add_special) {
    const TokenId last = cls_sep ? (vocab_.add_sep || vocab_.sep >= 0 ? vocab_.sep : -1)
                                 : (vocab_.add_eos ? vocab_.eos : -1);
    if (last >= 0) out.push_back(last);
  }
  return out;
}

std::string VocabTokenizer::token_to_piece(TokenId id, bool render_special) const {
  std::string out;
  if (id < 0 || id >= n_vocab()) return out;
  const std::string_view text = vocab_.tokens[id];
  switch (token_type(id)) {
    case TokenType::kControl:
    case TokenType::kUnknown:
      if (render_special) out.assign(text);
      break;
    case TokenType::kUserDefined:
      out.assign(text);
      break;
    case TokenType::kNormal:
      append_normal_piece(id, out);
      break;
    case TokenType::kByte:
      if (const int b = parse_byte_token(text); b >= 0) {
        out.push_back(static_cast<char>(b));
      } else {
        append_normal_piece(id, out);
      }
      break;
    case TokenType::kUnused:
    case TokenType::kUndefined:
      break;
  }
  return out;
}

std::string VocabTokenizer::decode(const std::vector<TokenId>& ids, bool render_special) const {
  std::string out;
  // The space SentencePiece put before the text belongs to the first piece that shows (a BOS that
  // is not rendered does not count).
  bool strip_space = strips_leading_space();
  for (TokenId id : ids) {
    std::string piece = token_to_piece(id, render_special);
    if (piece.empty()) continue;
    if (strip_space && piece[0] == ' ') piece.erase(0, 1);
    strip_space = false;
    out += piece;
  }
  if (vocab_.clean_spaces) clean_up_spaces(out);
  return out;
}

void clean_up_spaces(std::string& text) {
  // Three passes, as llama.cpp's detokenizer does them (each sees the previous one's output).
  auto pass = [&text](auto&& keep) {
    std::string out;
    out.reserve(text.size());
    for (size_t i = 0; i < text.size(); ++i) keep(out, i);
    text.swap(out);
  };
  pass([&text](std::string& out, size_t i) {
    const char x = text[i];
    if (i > 0 && text[i - 1] == ' ' && (x == '?' || x == '!' || x == '.' || x == ',')) out.pop_back();
    out.push_back(x);
  });
  // " ' " -> "'": the apostrophe eats the space on each side (the eaten space after it no longer
  // counts as a space for the next character).
  {
    std::string t = text;
    std::string out;
    out.reserve(t.size());
    for (size_t i = 0; i < t.size(); ++i) {
      const char x = t[i];
      if (i > 0 && x == '\'' && i + 1 < t.size() && t[i - 1] == ' ' && t[i + 1] == ' ') {
        out.pop_back();
        t[i + 1] = '\0';
        out.push_back(x);
        ++i;
        continue;
      }
      out.push_back(x);
    }
    text.swap(out);
  }
  pass([&text](std::string& out, size_t i) {
    const char x = text[i];
    if (i > 0 && text[i - 1] == ' ' && x == '\'' && i + 1 < text.size()) {
      const char x1 = text[i + 1];
      const char x2 = i + 2 < text.size() ? text[i + 2] : '\0';
      if (x1 == 's' || x1 == 'm' || (x1 == 'r' && x2 == 'e') || (x1 == 'v' && x2 == 'e')) out.pop_back();
    }
    out.push_back(x);
  });
}

}  // namespace anvil::text
