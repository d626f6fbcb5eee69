#include "anvil/rag/filter_syntax.h"

#include <algorithm>
#include <array>
#include <cctype>

namespace anvil::rag::filter_syntax {

bool is_keyword(std::string_view word) {
  static constexpr std::array<std::string_view, 7> kKeywords = {"and",    "or",   "not",  "in",
                                                               "exists", "true", "false"};
  if (word.size() > 6) return false;
  std::string lower(word);
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return std::find(kKeywords.begin(), kKeywords.end(), lower) != kKeywords.end();
}

bool is_plain_field_name(std::string_view name) {
  if (name.empty() || is_keyword(name)) return false;
  bool segment_start = true;
  for (char ch : name) {
    auto c = static_cast<unsigned char>(ch);
    if (c == '.') {
      if (segment_start) return false;
      segment_start = true;
      continue;
    }
    if (segment_start ? !is_name_start(c) : !is_name_char(c)) return false;
    segment_start = false;
  }
  return !segment_start;
}

uint32_t FieldTable::intern(std::string_view name) {
  for (std::size_t k = 0; k < names_.size(); ++k) {
    if (names_[k] == name) return static_cast<uint32_t>(k);
  }
  names_.emplace_back(name);
  return static_cast<uint32_t>(names_.size() - 1);
}

}  // namespace anvil::rag::filter_syntax
