#include "anvil/text/jieba.h"

#include <cmath>
#include <cstdlib>
#include <utility>

#include "anvil/core/file_io.h"
#include "anvil/text/utf8.h"

namespace anvil::text {

namespace {

// jieba's re_han_default: [\u4E00-\u9FD5a-zA-Z0-9+#&\._%\-]. Runs of these are cut with the
// dictionary; everything else is yielded character by character (whitespace as itself).
bool is_block_char(char32_t c) {
  if (c >= 0x4E00 && c <= 0x9FD5) return true;
  if (c >= 0x80) return false;
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '+' ||
         c == '#' || c == '&' || c == '.' || c == '_' || c == '%' || c == '-';
}

// finalseg's re_han: [\u4E00-\u9FD5].
bool is_han(char32_t c) { return c >= 0x4E00 && c <= 0x9FD5; }

bool is_ascii_alnum(char32_t c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

std::string missing_files_hint() {
  return "install the Debian package python3-jieba, or set " + std::string(Jieba::kDirEnv) +
         " to a folder holding dict.txt and finalseg/prob_{start,trans,emit}.py";
}

core::Status explain_load_error(const core::Status& s) {
  if (s.code() == core::StatusCode::kNotFound) return s.with_context("jieba data missing (" + missing_files_hint() + ")");
  return s;
}

// Per-thread scratch space so cutting allocates only the output strings.
struct Scratch {
  std::u32string text;
  std::vector<size_t> offsets;  // byte offset of each code point, plus the end
  std::string sanitized;
  // DAG: for start k, the candidate word ends (inclusive) and their frequencies live in
  // ends[first[k] .. first[k + 1]).
  std::vector<uint32_t> first;
  std::vector<std::pair<size_t, uint64_t>> ends;
  std::vector<std::pair<double, size_t>> route;  // (best log probability, chosen end)
};

Scratch& scratch() {
  thread_local Scratch s;
  return s;
}

// Decodes `utf8` into code points and their byte offsets; returns the (valid) UTF-8 the
// offsets refer to: `utf8` itself, or a copy with ill-formed sequences replaced by U+FFFD.
std::string_view decode(std::string_view utf8, Scratch& s) {
  std::string_view src = utf8;
  if (!is_valid_utf8(utf8)) {
    s.sanitized.clear();
    for (size_t i = 0; i < utf8.size();) append_utf8(s.sanitized, decode_utf8(utf8, i));
    src = s.sanitized;
  }
  s.text.clear();
  s.offsets.clear();
  for (size_t i = 0; i < src.size();) {
    s.offsets.push_back(i);
    s.text.push_back(decode_utf8(src, i));
  }
  s.offsets.push_back(src.size());
  return src;
}

}  // namespace

Jieba::Jieba(JiebaDict dict, JiebaHmm hmm)
    : dict_(std::move(dict)), hmm_(std::move(hmm)), log_total_(std::log(static_cast<double>(dict_.total()))) {}

std::filesystem::path Jieba::default_dir() {
  const char* env = std::getenv(std::string(kDirEnv).c_str());
  if (env != nullptr && *env != '\0') return env;
  return std::filesystem::path(kDebianDir);
}

core::Result<std::shared_ptr<const Jieba>> Jieba::load(const std::filesystem::path& dir) {
  const auto dict_path = dir / "dict.txt";
  auto content = core::read_file(dict_path);
  if (!content.ok()) return explain_load_error(content.status());
  ANVIL_ASSIGN_OR_RETURN(JiebaDict dict, JiebaDict::parse(*content, dict_path.string()));
  if (dict.total() == 0) {
    return core::Status::corrupt(dict_path.string() + ": expected positive word frequencies, found a total of 0");
  }
  auto hmm = JiebaHmm::load(dir / "finalseg");
  if (!hmm.ok()) return explain_load_error(hmm.status());
  return std::shared_ptr<const Jieba>(new Jieba(std::move(dict), std::move(hmm).value()));
}

core::Result<std::shared_ptr<const Jieba>> Jieba::shared() {
  static const core::Result<std::shared_ptr<const Jieba>> instance = load(default_dir());
  return instance;
}

bool Jieba::is_word(const char32_t* s, size_t n) const {
  const uint32_t node = dict_.find(s, n);
  return node != JiebaDict::kNone && dict_.freq(node) > 0;
}

// finalseg.cut on a run of single characters the dictionary did not join: Han stretches go
// through the HMM, other stretches split on re_skip = ([a-zA-Z0-9]+(?:\.\d+)?%?).
void Jieba::cut_unknown(const std::u32string& text, size_t begin, size_t end, std::vector<Span>& out) const {
  const char32_t* s = text.data();
  size_t i = begin;
  while (i < end) {
    if (is_han(s[i])) {
      size_t j = i;
      while (j < end && is_han(s[j])) ++j;
      hmm_.cut_han(s + i, j - i, [&](size_t b, size_t e) { out.push_back({i + b, i + e}); });
      i = j;
      continue;
    }
    size_t j = i;
    if (is_ascii_alnum(s[i])) {
      while (j < end && is_ascii_alnum(s[j])) ++j;
      if (j + 1 < end && s[j] == '.' && s[j + 1] >= '0' && s[j + 1] <= '9') {
        j += 1;
        while (j < end && s[j] >= '0' && s[j] <= '9') ++j;
      }
      if (j < end && s[j] == '%') ++j;
    } else {
      // Text between re_skip matches is yielded whole.
      while (j < end && !is_han(s[j]) && !is_ascii_alnum(s[j])) ++j;
    }
    out.push_back({i, j});
    i = j;
  }
}

// Tokenizer.__cut_DAG on one block of re_han_default characters.
void Jieba::cut_block(const std::u32string& text, size_t begin, size_t end, std::vector<Span>& out) const {
  Scratch& sc = scratch();
  const char32_t* s = text.data() + begin;
  const size_t n = end - begin;

  // get_DAG: for each start k, every end i such that s[k..i] is a word (frequency > 0);
  // just k itself when there is none.
  sc.first.assign(n + 1, 0);
  sc.ends.clear();
  for (size_t k = 0; k < n; ++k) {
    sc.first[k] = static_cast<uint32_t>(sc.ends.size());
    uint32_t node = JiebaDict::kRoot;
    for (size_t i = k; i < n; ++i) {
      node = dict_.child(node, s[i]);
      if (node == JiebaDict::kNone) break;
      if (dict_.freq(node) > 0) sc.ends.emplace_back(i, dict_.freq(node));
    }
    if (sc.ends.size() == sc.first[k]) sc.ends.emplace_back(k, 0);
  }
  sc.first[n] = static_cast<uint32_t>(sc.ends.size());

  // calc: route[idx] = max over ends x of (log(freq or 1) - log(total) + route[x + 1]),
  // right to left; equal scores go to the longer word, as Python's tuple max does.
  sc.route.assign(n + 1, {0.0, 0});
  for (size_t idx = n; idx-- > 0;) {
    double best = 0;
    size_t best_end = 0;
    for (uint32_t e = sc.first[idx]; e < sc.first[idx + 1]; ++e) {
      const auto [x, freq] = sc.ends[e];
      const double f = freq > 0 ? static_cast<double>(freq) : 1.0;
      const double p = std::log(f) - log_total_ + sc.route[x + 1].first;
      if (e == sc.first[idx] || p >= best) {
        best = p;
        best_end = x;
      }
    }
    sc.route[idx] = {best, best_end};
  }

  // Walk the route; consecutive single characters gather in a buffer that is either one
  // dictionary word's characters (emitted one by one), a lone character, or unknown text (HMM).
  size_t buf_begin = 0, buf_end = 0;
  auto flush = [&] {
    const size_t len = buf_end - buf_begin;
    if (len == 1) {
      out.push_back({begin + buf_begin, begin + buf_end});
    } else if (len > 1) {
      if (!is_word(s + buf_begin, len)) {
        cut_unknown(text, begin + buf_begin, begin + buf_end, out);
      } else {
        for (size_t c = buf_begin; c < buf_end; ++c) out.push_back({begin + c, begin + c + 1});
      }
    }
    buf_begin = buf_end = 0;
  };
  for (size_t x = 0; x < n;) {
    const size_t y = sc.route[x].second + 1;
    if (y - x == 1) {
      if (buf_end == buf_begin) buf_begin = x;
      buf_end = y;
    } else {
      flush();
      out.push_back({begin + x, begin + y});
    }
    x = y;
  }
  flush();
}

// Tokenizer.cut(sentence, HMM=True): split into re_han_default blocks and the rest.
void Jieba::cut_spans(const std::u32string& text, std::vector<Span>& out) const {
  const size_t n = text.size();
  size_t i = 0;
  while (i < n) {
    size_t j = i;
    if (is_block_char(text[i])) {
      while (j < n && is_block_char(text[j])) ++j;
      cut_block(text, i, j, out);
    } else {
      // re_skip_default = (\r\n|\s): whitespace is yielded as is ("\r\n" together), any other
      // character on its own.
      j = (text[i] == '\r' && i + 1 < n && text[i + 1] == '\n') ? i + 2 : i + 1;
      out.push_back({i, j});
    }
    i = j;
  }
}

void Jieba::cut(std::string_view utf8, std::vector<std::string>& out) const {
  Scratch& sc = scratch();
  const std::string_view src = decode(utf8, sc);
  thread_local std::vector<Span> spans;
  spans.clear();
  cut_spans(sc.text, spans);
  for (const Span& w : spans) out.emplace_back(src.substr(sc.offsets[w.begin], sc.offsets[w.end] - sc.offsets[w.begin]));
}

void Jieba::cut_for_search(std::string_view utf8, std::vector<std::string>& out) const {
  Scratch& sc = scratch();
  const std::string_view src = decode(utf8, sc);
  thread_local std::vector<Span> spans;
  spans.clear();
  cut_spans(sc.text, spans);
  auto emit = [&](size_t b, size_t e) {
    out.emplace_back(src.substr(sc.offsets[b], sc.offsets[e] - sc.offsets[b]));
  };
  for (const Span& w : spans) {
    const size_t len = w.end - w.begin;
    if (len > 2) {
      for (size_t i = w.begin; i + 2 <= w.end; ++i) {
        if (is_word(sc.text.data() + i, 2)) emit(i, i + 2);
      }
    }
    if (len > 3) {
      for (size_t i = w.begin; i + 3 <= w.end; ++i) {
        if (is_word(sc.text.data() + i, 3)) emit(i, i + 3);
      }
    }
    emit(w.begin, w.end);
  }
}

}  // namespace anvil::text
