#include "anvil/text/sentences.h"

#include <algorithm>
#include <climits>
#include <string>

#include <unicode/brkiter.h>
#include <unicode/uchar.h>
#include <unicode/locid.h>
#include <unicode/utext.h>

#include "anvil/text/utf8.h"

namespace anvil::text {
namespace {

// Punctuation after which Chinese text starts a new sentence-like unit but which ICU's rules do
// not terminate on: ； FULLWIDTH SEMICOLON and … HORIZONTAL ELLIPSIS (often doubled: ……).
// 。！？ are ICU STerm already; listed so that a run like "！！" followed by a quote is handled
// the same way whatever ICU does.
bool is_extra_terminator(char32_t cp) {
  return cp == U'；' || cp == U'…' || cp == U'。' || cp == U'！' || cp == U'？' || cp == U'｡';
}

// Closing quotes and brackets that stay with the sentence they close.
bool is_closer(char32_t cp) {
  switch (cp) {
    case U'”': case U'’': case U'」': case U'』': case U'）': case U'》': case U'〉':
    case U'】': case U'〕': case U'"': case U'\'': case U')': case U']':
      return true;
    default:
      return false;
  }
}

// English abbreviations after which ICU's root rules break although the sentence goes on
// ("Dr. Smith", "Fig. 3", "et al. (2019)"). Debian's ICU data has no "ss=standard" suppression
// lists, so the common ones are kept here, compared case-sensitively.
bool is_abbreviation(std::string_view word) {
  static constexpr std::string_view kAbbreviations[] = {
      "Mr.", "Mrs.", "Ms.", "Dr.", "Prof.", "Sr.", "Jr.", "St.", "vs.", "etc.", "al.", "Fig.",
      "Figs.", "fig.", "Eq.", "eq.", "No.", "no.", "Vol.", "vol.", "pp.", "approx.", "ca.",
      "Inc.", "Ltd.", "Co.", "Corp.", "Ref.", "Refs.", "Sec.", "Ch.", "cf.", "resp.", "e.g.", "i.e."};
  for (std::string_view a : kAbbreviations) {
    if (word == a) return true;
  }
  return false;
}

// True when the ICU sentence text[begin, end) ends in a known abbreviation (then merged with the
// next sentence). Only sentences ending in '.' plus spaces qualify.
bool ends_in_abbreviation(std::string_view text, size_t begin, size_t end) {
  while (end > begin && (text[end - 1] == ' ' || text[end - 1] == '\t')) --end;
  if (end == begin || text[end - 1] != '.') return false;
  size_t start = end - 1;
  while (start > begin && text[start - 1] != ' ' && text[start - 1] != '\t' &&
         text[start - 1] != '(' && text[start - 1] != '\n') {
    --start;
  }
  return is_abbreviation(text.substr(start, end - start));
}

// ICU counts opening brackets and quotes as "Close" (UAX #29), so in "。「注意」" it cuts after
// 「. An unambiguous opener (Ps, Pi: 「『（“‘《【) belongs to the sentence that follows.
size_t move_before_openers(std::string_view text, size_t begin, size_t cut) {
  while (cut > begin) {
    const size_t prev = floor_boundary(text, cut - 1);
    size_t q = prev;
    const char32_t cp = decode_utf8(text, q);
    const int8_t type = u_charType(static_cast<UChar32>(cp));
    if (q != cut || (type != U_START_PUNCTUATION && type != U_INITIAL_PUNCTUATION)) break;
    cut = prev;
  }
  return cut;
}

bool is_space(char32_t cp) { return cp == U' ' || cp == U'\t' || cp == U'\u3000' || cp == U'\u00A0'; }

// Byte offsets after each run of Chinese terminators (plus closers and spaces) inside utf8.
void extra_boundaries(std::string_view utf8, std::vector<size_t>& out) {
  size_t pos = 0;
  const size_t n = utf8.size();
  while (pos < n) {
    const unsigned char b = static_cast<unsigned char>(utf8[pos]);
    // All the terminators are 3-byte sequences starting with E2, E3 or EF.
    if (b != 0xE2 && b != 0xE3 && b != 0xEF) {
      ++pos;
      continue;
    }
    size_t next = pos;
    if (!is_extra_terminator(decode_utf8(utf8, next))) {
      pos = next;
      continue;
    }
    size_t end = next;
    // Extend over the rest of the run, then closers, then spaces.
    while (end < n) {
      size_t q = end;
      const char32_t cp = decode_utf8(utf8, q);
      if (!is_extra_terminator(cp)) break;
      end = q;
    }
    while (end < n) {
      size_t q = end;
      if (!is_closer(decode_utf8(utf8, q))) break;
      end = q;
    }
    while (end < n) {
      size_t q = end;
      if (!is_space(decode_utf8(utf8, q))) break;
      end = q;
    }
    if (end < n) out.push_back(end);
    pos = end;
  }
}

}  // namespace

struct SentenceSplitter::Impl {
  std::unique_ptr<icu::BreakIterator> it;
  std::vector<size_t> cuts;  // scratch
};

SentenceSplitter::SentenceSplitter(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
SentenceSplitter::SentenceSplitter(SentenceSplitter&&) noexcept = default;
SentenceSplitter& SentenceSplitter::operator=(SentenceSplitter&&) noexcept = default;
SentenceSplitter::~SentenceSplitter() = default;

core::Result<SentenceSplitter> SentenceSplitter::create() {
  UErrorCode status = U_ZERO_ERROR;
  // The root rules: language-neutral, and they already break after 。！？.
  std::unique_ptr<icu::BreakIterator> it(
      icu::BreakIterator::createSentenceInstance(icu::Locale::getRoot(), status));
  if (U_FAILURE(status) || !it) {
    return core::Status::internal(std::string("ICU sentence iterator: expected to build one, got ") +
                                  u_errorName(status));
  }
  auto impl = std::make_unique<Impl>();
  impl->it = std::move(it);
  return SentenceSplitter(std::move(impl));
}

void SentenceSplitter::split(std::string_view utf8, std::vector<TextSpan>& out) {
  out.clear();
  if (utf8.empty()) return;
  std::vector<size_t>& cuts = impl_->cuts;
  cuts.clear();
  // ICU indexes are int32: walk very large inputs in windows cut on a code point boundary.
  constexpr size_t kWindow = size_t{1} << 30;
  for (size_t base = 0; base < utf8.size();) {
    size_t len = utf8.size() - base;
    if (len > kWindow) len = floor_boundary(utf8.substr(base), kWindow);
    const std::string_view window = utf8.substr(base, len);
    UErrorCode status = U_ZERO_ERROR;
    UText text = UTEXT_INITIALIZER;
    utext_openUTF8(&text, window.data(), static_cast<int64_t>(window.size()), &status);
    if (U_SUCCESS(status)) impl_->it->setText(&text, status);
    if (U_SUCCESS(status)) {
      impl_->it->first();
      for (int32_t b = impl_->it->next(); b != icu::BreakIterator::DONE; b = impl_->it->next()) {
        cuts.push_back(base + static_cast<size_t>(b));
      }
    }
    utext_close(&text);
    const size_t first_extra = cuts.size();
    extra_boundaries(window, cuts);
    for (size_t i = first_extra; i < cuts.size(); ++i) cuts[i] += base;
    base += len;
    if (base < utf8.size()) cuts.push_back(base);
  }
  std::sort(cuts.begin(), cuts.end());
  size_t begin = 0;
  auto emit = [&](size_t end) {
    // Whitespace-only pieces (blank lines) stay with the sentence before them.
    const auto piece = utf8.substr(begin, end - begin);
    if (!out.empty() && piece.find_first_not_of(" \t\r\n\f\v") == std::string_view::npos) {
      out.back().end = end;
    } else {
      out.push_back({begin, end});
    }
    begin = end;
  };
  for (size_t c : cuts) {
    if (c <= begin || c > utf8.size()) continue;
    c = move_before_openers(utf8, begin, c);
    if (c <= begin || ends_in_abbreviation(utf8, begin, c)) continue;
    emit(c);
  }
  if (begin < utf8.size()) emit(utf8.size());
}

std::vector<TextSpan> SentenceSplitter::split(std::string_view utf8) {
  std::vector<TextSpan> out;
  split(utf8, out);
  return out;
}

std::vector<TextSpan> split_sentences(std::string_view utf8) {
  thread_local auto splitter = SentenceSplitter::create();
  if (!splitter.ok()) return utf8.empty() ? std::vector<TextSpan>{} : std::vector<TextSpan>{{0, utf8.size()}};
  return splitter->split(utf8);
}

}  // namespace anvil::text
