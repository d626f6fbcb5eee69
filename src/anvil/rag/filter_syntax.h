// Helpers shared by the two filter front-ends (text and JSON) and the printer: what a bare field
// name may contain, the keywords, and the table that numbers field names for FilterNode::field.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace anvil::rag::filter_syntax {

// Nesting of parentheses, 'not' and JSON objects is capped so that hostile input cannot exhaust
// the stack of the recursive-descent parsers.
inline constexpr int kMaxDepth = 64;

// A bare field name is segments joined by '.', each segment starting with an ASCII letter, '_'
// or a non-ASCII UTF-8 byte (so Chinese names work), then also digits and '-'.
inline bool is_name_start(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
}
inline bool is_name_char(unsigned char c) {
  return is_name_start(c) || (c >= '0' && c <= '9') || c == '-';
}

// and, or, not, in, exists, true, false (any letter case).
bool is_keyword(std::string_view word);

// True when `name` can be written without backquotes: dotted bare segments, not a keyword.
bool is_plain_field_name(std::string_view name);

// Numbers distinct field names in order of first use.
class FieldTable {
 public:
  uint32_t intern(std::string_view name);
  std::vector<std::string> take() { return std::move(names_); }

 private:
  std::vector<std::string> names_;
};

}  // namespace anvil::rag::filter_syntax
