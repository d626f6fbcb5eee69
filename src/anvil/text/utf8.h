// UTF-8 helpers for ingest and chunking: validation that names the first bad byte, code point
// counting, boundary-safe truncation, and decoding. Hot paths skip ASCII eight bytes at a time.
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>

namespace anvil::text {

inline constexpr char32_t kReplacementChar = 0xFFFD;

// Byte offset of the first byte that is not part of a well-formed UTF-8 sequence (Unicode
// Table 3-7: no overlong forms, no surrogates, nothing above U+10FFFF, no truncated sequence),
// or nullopt when the whole input is well-formed. For a truncated or broken multi-byte
// sequence the offset is that of its lead byte.
std::optional<size_t> find_invalid_utf8(std::string_view bytes);

inline bool is_valid_utf8(std::string_view bytes) { return !find_invalid_utf8(bytes).has_value(); }

// Length (0..3) of a trailing multi-byte sequence that is well-formed so far but cut short by
// the end of `bytes`. Streaming validators keep these bytes for the next block.
size_t incomplete_utf8_suffix(std::string_view bytes);

// Number of code points in well-formed UTF-8 (counts the bytes that are not continuation bytes;
// on ill-formed input the result is the number of lead and stray bytes).
size_t count_code_points(std::string_view utf8);

// Byte offset of code point number `index` (0-based); utf8.size() when index >= the count.
size_t byte_offset_of_code_point(std::string_view utf8, size_t index);

// The largest code point boundary <= pos (pos is clamped to utf8.size()).
size_t floor_boundary(std::string_view utf8, size_t pos);

// The longest prefix of at most max_bytes that ends on a code point boundary.
inline std::string_view truncate_utf8(std::string_view utf8, size_t max_bytes) {
  return utf8.substr(0, floor_boundary(utf8, max_bytes));
}

// Decodes the code point starting at `pos` and advances `pos` past it. An ill-formed sequence
// yields kReplacementChar and advances past its maximal well-formed prefix (at least one byte),
// as the Unicode standard recommends. Requires pos < utf8.size().
char32_t decode_utf8(std::string_view utf8, size_t& pos);

// Appends the UTF-8 encoding of `cp` (kReplacementChar for surrogates and values > U+10FFFF).
void append_utf8(std::string& out, char32_t cp);

// Iterates code points with their byte offsets: `for (auto [cp, offset] : CodePoints(s))`.
class CodePoints {
 public:
  struct Item {
    char32_t cp;
    size_t offset;  // byte offset of the code point's first byte
  };
  class Iterator {
   public:
    Iterator(std::string_view s, size_t pos) : s_(s), pos_(pos) { load(); }
    Item operator*() const { return {cp_, pos_}; }
    Iterator& operator++() {
      pos_ = next_;
      load();
      return *this;
    }
    bool operator==(const Iterator& o) const { return pos_ == o.pos_; }
    bool operator!=(const Iterator& o) const { return pos_ != o.pos_; }

   private:
    void load() {
      if (pos_ < s_.size()) {
        next_ = pos_;
        cp_ = decode_utf8(s_, next_);
      }
    }
    std::string_view s_;
    size_t pos_;
    size_t next_ = 0;
    char32_t cp_ = 0;
  };

  explicit CodePoints(std::string_view s) : s_(s) {}
  Iterator begin() const { return {s_, 0}; }
  Iterator end() const { return {s_, s_.size()}; }

 private:
  std::string_view s_;
};

// True for code points written without spaces between words and counted one token each by the
// estimator: CJK ideographs (incl. extensions and compatibility), kana, Hangul, Bopomofo.
bool is_cjk(char32_t cp);

}  // namespace anvil::text
