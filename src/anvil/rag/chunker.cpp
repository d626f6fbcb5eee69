#include "anvil/rag/chunker.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "anvil/text/sentences.h"
#include "anvil/text/utf8.h"

namespace anvil::rag {
namespace {

// Cut preference, coarsest first; a unit that does not fit is split at the next level.
enum class Level { kParagraph, kSentence, kWord, kCodePoint };

// Once the current chunk starts this far into the group buffer, the consumed prefix is dropped
// (when the next continued section arrives; the move is cheap, only the unconsumed tail moves).
constexpr size_t kCompactBytes = size_t{64} << 10;

inline bool is_ascii_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

inline bool is_blank(std::string_view s) {
  for (char c : s) {
    if (!is_ascii_space(c)) return false;
  }
  return true;
}

// Trims ASCII whitespace and U+3000 (ideographic space) from both ends: [b, e) -> trimmed.
void trim(std::string_view buf, size_t& b, size_t& e) {
  for (;;) {
    if (b < e && is_ascii_space(buf[b])) {
      ++b;
    } else if (e - b >= 3 && buf.compare(b, 3, "\xE3\x80\x80") == 0) {
      b += 3;
    } else {
      break;
    }
  }
  for (;;) {
    if (e > b && is_ascii_space(buf[e - 1])) {
      --e;
    } else if (e - b >= 3 && buf.compare(e - 3, 3, "\xE3\x80\x80") == 0) {
      e -= 3;
    } else {
      break;
    }
  }
}

}  // namespace

core::Status validate(const ChunkerOptions& o) {
  if (o.chunk_size <= 0) {
    return core::Status::invalid_argument("chunk_size: expected a positive number of tokens, found " +
                                          std::to_string(o.chunk_size));
  }
  if (o.chunk_overlap < 0 || o.chunk_overlap >= o.chunk_size) {
    return core::Status::invalid_argument(
        "chunk_overlap: expected 0 <= overlap < chunk_size (" + std::to_string(o.chunk_size) +
        "), found " + std::to_string(o.chunk_overlap));
  }
  return {};
}

struct Chunker::State {
  ChunkerOptions opt;
  const text::TokenCounter* counter = nullptr;
  text::SentenceSplitter splitter;
  ChunkCallback on_chunk;
  int ordinal = 0;

  // The current group of sections (one section and its continuations, joined by "\n\n"),
  // from the first byte still needed (the code point cursor below places it in the document).
  std::string buf;
  int64_t doc_cp_end = 0;  // code points of the document text so far
  bool any_section = false;
  bool group_open = false;

  // Where each section of the group starts in buf, with what chunks starting there carry.
  struct Mark {
    size_t offset;
    std::vector<std::string> heading_path;
    std::optional<int> page;
  };
  std::vector<Mark> marks;
  std::vector<size_t> para_starts;  // ascending offsets in buf

  // The chunk being filled: buf[chunk_begin, chunk_end). It may start with overlap repeated from
  // the previous chunk; has_new says whether anything was added after that.
  size_t chunk_begin = 0;
  size_t chunk_end = 0;
  size_t chunk_tokens = 0;
  bool has_new = false;

  // Code point cursor: byte cursor_byte of buf is code point cursor_cp of the document.
  size_t cursor_byte = 0;
  int64_t cursor_cp = 0;

  std::vector<text::TextSpan> sentences;  // scratch

  State(const ChunkerOptions& o, const text::TokenCounter& c, text::SentenceSplitter s)
      : opt(o), counter(&c), splitter(std::move(s)) {}

  size_t tokens(size_t b, size_t e) const {
    return counter->count(std::string_view(buf).substr(b, e - b));
  }
  size_t size() const { return static_cast<size_t>(opt.chunk_size); }
  size_t overlap() const { return static_cast<size_t>(opt.chunk_overlap); }

  int64_t cp_at(size_t pos) {
    const std::string_view v(buf);
    if (pos >= cursor_byte) {
      cursor_cp += static_cast<int64_t>(text::count_code_points(v.substr(cursor_byte, pos - cursor_byte)));
    } else {
      cursor_cp -= static_cast<int64_t>(text::count_code_points(v.substr(pos, cursor_byte - pos)));
    }
    cursor_byte = pos;
    return cursor_cp;
  }

  core::Status emit() {
    size_t b = chunk_begin;
    size_t e = chunk_end;
    trim(buf, b, e);
    if (b >= e) return {};
    Chunk c;
    c.ordinal = ordinal++;
    c.text.assign(buf, b, e - b);
    c.char_start = cp_at(b);
    c.char_end = c.char_start + static_cast<int64_t>(text::count_code_points(c.text));
    c.token_count = static_cast<int>(counter->count(c.text));
    auto mark = std::upper_bound(marks.begin(), marks.end(), b,
                                 [](size_t off, const Mark& m) { return off < m.offset; });
    if (mark != marks.begin()) {
      --mark;
      c.heading_path = mark->heading_path;
      c.page = mark->page;
    }
    return on_chunk(std::move(c));
  }

  // Emits the chunk and starts the next one with whole trailing sentences of it, up to
  // `overlap` tokens (never the whole chunk, so that chunks always advance). Only a window at
  // the end of the chunk is split into sentences, widened when the overlap may reach past it.
  core::Status flush_with_overlap() {
    ANVIL_RETURN_IF_ERROR(emit());
    has_new = false;
    size_t start = chunk_end;
    size_t acc = 0;
    if (overlap() > 0) {
      for (size_t window = overlap() * 8 + 64;; window *= 4) {
        size_t lo = chunk_begin;
        if (chunk_end - chunk_begin > window) lo = text::floor_boundary(buf, chunk_end - window);
        start = chunk_end;
        acc = 0;
        if (trailing_sentences(lo, start, acc) || lo <= chunk_begin) break;
      }
    }
    chunk_begin = start;
    chunk_tokens = start < chunk_end ? acc : 0;
    return {};
  }

  // Walks the sentences of buf[lo, chunk_end) backwards (paragraph by paragraph), moving `start`
  // to each sentence start while the total stays within the overlap. Returns false when it ran
  // into `lo` inside a sentence, i.e. a wider window might allow more overlap.
  bool trailing_sentences(size_t lo, size_t& start, size_t& acc) {
    auto it = std::upper_bound(para_starts.begin(), para_starts.end(), chunk_end);
    size_t region_end = chunk_end;
    while (region_end > lo) {
      size_t region_begin = lo;
      bool clipped = lo > chunk_begin;
      if (it != para_starts.begin()) {
        --it;
        if (*it >= lo) {
          region_begin = *it;
          clipped = false;
        }
      }
      if (region_begin < region_end) {
        splitter.split(std::string_view(buf).substr(region_begin, region_end - region_begin), sentences);
        for (auto sent = sentences.rbegin(); sent != sentences.rend(); ++sent) {
          const size_t sb = region_begin + sent->begin;
          if (sb <= chunk_begin) return true;
          if (clipped && sent->begin == 0) return false;  // a fragment cut by the window
          const size_t t = tokens(sb, region_begin + sent->end);
          if (acc + t > overlap()) return true;
          acc += t;
          start = sb;
        }
      }
      region_end = region_begin;
    }
    return lo <= chunk_begin;
  }

  void append(size_t ub, size_t ue, size_t t) {
    if (chunk_begin == chunk_end) chunk_begin = ub;
    chunk_end = ue;
    chunk_tokens += t;
    has_new = true;
  }

  // Drops a carried overlap that leaves no room for the next piece of text.
  void drop_overlap(size_t ub) {
    chunk_begin = chunk_end = ub;
    chunk_tokens = 0;
  }

  core::Status place(size_t ub, size_t ue, Level level) {
    const size_t t = tokens(ub, ue);
    if (is_blank(std::string_view(buf).substr(ub, ue - ub))) {
      // Blank text (a section separator) never starts a chunk, but is counted when inside one.
      if (chunk_end > chunk_begin && chunk_tokens + t <= size()) {
        chunk_end = ue;
        chunk_tokens += t;
      }
      return {};
    }
    if (chunk_tokens + t <= size()) {
      append(ub, ue, t);
      return {};
    }
    // Too big for what is left. If it would fit a fresh chunk, start one; else split it here
    // so that it fills the current chunk first.
    if (has_new && t + overlap() <= size()) {
      ANVIL_RETURN_IF_ERROR(flush_with_overlap());
      if (chunk_tokens + t <= size()) {
        append(ub, ue, t);
        return {};
      }
    }
    switch (level) {
      case Level::kParagraph:
        return split_sentences(ub, ue);
      case Level::kSentence:
        return split_words(ub, ue);
      case Level::kWord:
      case Level::kCodePoint:
        return hard_cut(ub, ue);
    }
    return {};
  }

  // Paragraphs are separated by blank lines; each keeps its trailing whitespace.
  core::Status split_paragraphs(size_t b, size_t e) {
    const char* d = buf.data();
    size_t p = b;
    size_t i = b;
    while (i < e) {
      const void* nl = std::memchr(d + i, '\n', e - i);
      if (nl == nullptr) break;
      const size_t j = static_cast<size_t>(static_cast<const char*>(nl) - d) + 1;
      size_t k = j;
      while (k < e && (d[k] == ' ' || d[k] == '\t' || d[k] == '\r')) ++k;
      if (k < e && d[k] == '\n') {
        size_t m = k;
        while (m < e && is_ascii_space(d[m])) ++m;
        if (m >= e) break;
        para_starts.push_back(p);
        ANVIL_RETURN_IF_ERROR(place(p, m, Level::kParagraph));
        p = m;
        i = m;
      } else {
        i = j;
      }
    }
    para_starts.push_back(p);
    return place(p, e, Level::kParagraph);
  }

  core::Status split_sentences(size_t b, size_t e) {
    std::vector<text::TextSpan> spans;
    splitter.split(std::string_view(buf).substr(b, e - b), spans);
    for (const auto& s : spans) ANVIL_RETURN_IF_ERROR(place(b + s.begin, b + s.end, Level::kSentence));
    return {};
  }

  // Words: a run of non-space characters with its trailing spaces, or a single CJK character
  // (CJK text has no spaces, and every character boundary is a word boundary there).
  core::Status split_words(size_t b, size_t e) {
    const std::string_view v(buf);
    size_t i = b;
    while (i < e) {
      const size_t start = i;
      size_t next = i;
      char32_t cp = text::decode_utf8(v.substr(0, e), next);
      if (text::is_cjk(cp)) {
        i = next;
      } else {
        while (i < e && !is_ascii_space(v[i])) {
          next = i;
          cp = text::decode_utf8(v.substr(0, e), next);
          if (text::is_cjk(cp)) break;
          i = next;
        }
      }
      while (i < e && is_ascii_space(v[i])) ++i;
      if (i == start) i = next;  // defensive: always advance
      ANVIL_RETURN_IF_ERROR(place(start, i, Level::kWord));
    }
    return {};
  }

  // The longest prefix of [b, e) that ends on a code point boundary and costs <= budget tokens.
  size_t longest_fit(size_t b, size_t e, size_t budget) const {
    const std::string_view v(buf);
    auto boundary = [&](size_t pos) { return b + text::floor_boundary(v.substr(b, e - b), pos - b); };
    size_t lo = b;  // fits
    size_t step = 16;
    size_t hi = boundary(std::min(e, b + step));
    while (hi > lo && tokens(b, hi) <= budget) {
      lo = hi;
      if (hi == e) return e;
      step *= 2;
      hi = boundary(std::min(e, b + step));
    }
    // lo fits, hi does not: bisect on code point boundaries.
    for (;;) {
      size_t mid = boundary(lo + (hi - lo) / 2);
      if (mid <= lo) {
        mid = lo;
        text::decode_utf8(v.substr(0, e), mid);  // the boundary right after lo
      }
      if (mid >= hi) break;
      if (tokens(b, mid) <= budget) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return lo;
  }

  core::Status hard_cut(size_t b, size_t e) {
    const std::string_view v(buf);
    while (b < e) {
      const size_t budget = chunk_tokens < size() ? size() - chunk_tokens : 0;
      size_t p = longest_fit(b, e, budget);
      if (p == b) {
        if (has_new) {
          ANVIL_RETURN_IF_ERROR(flush_with_overlap());
          continue;
        }
        if (chunk_end > chunk_begin) {
          drop_overlap(b);
          continue;
        }
        text::decode_utf8(v, p);  // a single code point costlier than a chunk: take it anyway
      }
      append(b, p, tokens(b, p));
      b = p;
    }
    return {};
  }

  core::Status close_group() {
    if (group_open && has_new) ANVIL_RETURN_IF_ERROR(emit());
    group_open = false;
    has_new = false;
    return {};
  }

  // Drops buf's prefix before the current chunk once it is large.
  void compact() {
    const size_t cut = std::min(chunk_begin, cursor_byte);
    if (cut < kCompactBytes) return;
    cp_at(cut);
    buf.erase(0, cut);
    chunk_begin -= cut;
    chunk_end -= cut;
    cursor_byte = 0;
    // Keep the mark in force at the cut, moved to 0, and the ones after it.
    size_t keep = 0;
    while (keep + 1 < marks.size() && marks[keep + 1].offset <= cut) ++keep;
    marks.erase(marks.begin(), marks.begin() + static_cast<std::ptrdiff_t>(keep));
    for (auto& m : marks) m.offset = m.offset <= cut ? 0 : m.offset - cut;
    auto first_kept = std::upper_bound(para_starts.begin(), para_starts.end(), cut);
    std::vector<size_t> kept{0};
    for (auto it = first_kept; it != para_starts.end(); ++it) kept.push_back(*it - cut);
    para_starts = std::move(kept);
  }
};

Chunker::Chunker(std::unique_ptr<State> state) : s_(std::move(state)) {}
Chunker::Chunker(Chunker&&) noexcept = default;
Chunker& Chunker::operator=(Chunker&&) noexcept = default;
Chunker::~Chunker() = default;

core::Result<Chunker> Chunker::create(const ChunkerOptions& options, const text::TokenCounter& counter) {
  ANVIL_RETURN_IF_ERROR(validate(options));
  ANVIL_ASSIGN_OR_RETURN(auto splitter, text::SentenceSplitter::create());
  return Chunker(std::make_unique<State>(options, counter, std::move(splitter)));
}

const ChunkerOptions& Chunker::options() const { return s_->opt; }

void Chunker::begin_document(ChunkCallback on_chunk) {
  State& s = *s_;
  s.on_chunk = std::move(on_chunk);
  s.ordinal = 0;
  s.buf.clear();
  s.doc_cp_end = 0;
  s.any_section = false;
  s.group_open = false;
  s.marks.clear();
  s.para_starts.clear();
  s.chunk_begin = s.chunk_end = s.chunk_tokens = 0;
  s.has_new = false;
  s.cursor_byte = 0;
  s.cursor_cp = 0;
}

core::Status Chunker::add_section(const Section& section) {
  State& s = *s_;
  if (auto bad = text::find_invalid_utf8(section.text)) {
    return core::Status::invalid_argument("chunker: section text is not valid UTF-8 at byte " +
                                          std::to_string(*bad));
  }
  const int64_t separator = s.any_section ? 2 : 0;  // "\n\n" between sections
  const int64_t section_cp = static_cast<int64_t>(text::count_code_points(section.text));
  size_t range_begin = 0;
  if (section.continues_previous && s.group_open) {
    s.compact();
    range_begin = s.buf.size();  // the separator belongs to the new section's first unit
    s.buf.append("\n\n");
  } else {
    ANVIL_RETURN_IF_ERROR(s.close_group());
    s.buf.clear();
    s.marks.clear();
    s.para_starts.clear();
    s.chunk_begin = s.chunk_end = s.chunk_tokens = 0;
    s.cursor_byte = 0;
    s.cursor_cp = s.doc_cp_end + separator;
    s.group_open = true;
  }
  s.marks.push_back({s.buf.size(), section.heading_path, section.page});
  s.buf.append(section.text);
  s.doc_cp_end += separator + section_cp;
  s.any_section = true;
  return s.split_paragraphs(range_begin, s.buf.size());
}

core::Status Chunker::finish() {
  State& s = *s_;
  auto st = s.close_group();
  s.on_chunk = nullptr;
  return st;
}

core::Result<std::vector<Chunk>> chunk_sections(const std::vector<Section>& sections,
                                                const ChunkerOptions& options,
                                                const text::TokenCounter& counter) {
  ANVIL_ASSIGN_OR_RETURN(auto chunker, Chunker::create(options, counter));
  std::vector<Chunk> out;
  chunker.begin_document([&out](Chunk&& c) {
    out.push_back(std::move(c));
    return core::Status{};
  });
  for (const auto& s : sections) ANVIL_RETURN_IF_ERROR(chunker.add_section(s));
  ANVIL_RETURN_IF_ERROR(chunker.finish());
  return out;
}

}  // namespace anvil::rag
