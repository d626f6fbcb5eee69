// A list of strings in one arena: the characters back to back in one buffer and a 4-byte end
// offset per string. Holds a tokenizer's 150k tokens in their bytes + 4 each, instead of a 32-byte
// std::string each (plus a heap block for those over 15 bytes).
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <type_traits>
#include <vector>

namespace anvil::text {

class StringTable {
 public:
  class Iterator {
   public:
    using value_type = std::string_view;
    using difference_type = std::ptrdiff_t;
    using iterator_category = std::forward_iterator_tag;
    Iterator() = default;
    std::string_view operator*() const { return (*table_)[index_]; }
    Iterator& operator++() {
      ++index_;
      return *this;
    }
    Iterator operator++(int) {
      Iterator old = *this;
      ++index_;
      return old;
    }
    bool operator==(const Iterator& other) const { return index_ == other.index_; }

   private:
    friend class StringTable;
    Iterator(const StringTable* table, size_t index) : table_(table), index_(index) {}
    const StringTable* table_ = nullptr;
    size_t index_ = 0;
  };

  StringTable() = default;
  StringTable(std::initializer_list<std::string_view> strings) { assign(strings.begin(), strings.end()); }
  // From any list of strings (std::vector<std::string>, std::vector<std::string_view>, ...).
  template <typename Range>
    requires requires(const Range& r) { std::string_view(*std::begin(r)); }
  StringTable(const Range& strings) {  // NOLINT: implicit, so `vocab.tokens = some_vector;` reads naturally
    assign(std::begin(strings), std::end(strings));
  }

  // Reserves exactly when the strings can be walked twice (a forward iterator).
  template <typename It>
  void assign(It first, It last) {
    clear();
    if constexpr (std::is_base_of_v<std::forward_iterator_tag,
                                    typename std::iterator_traits<It>::iterator_category>) {
      size_t n = 0, bytes = 0;
      for (It it = first; it != last; ++it, ++n) bytes += std::string_view(*it).size();
      reserve(n, bytes);
    }
    for (; first != last; ++first) push_back(std::string_view(*first));
  }
  // Copies `s` into the arena (so a temporary may be passed). Throws std::length_error past 4 GiB
  // of text in all (as a vector of strings that large would throw std::bad_alloc).
  void push_back(std::string_view s);
  void reserve(size_t n_strings, size_t n_bytes) {
    ends_.reserve(n_strings);
    chars_.reserve(n_bytes);
  }
  void clear() {
    ends_.clear();
    chars_.clear();
  }
  // Releases the spare capacity growth left behind.
  void shrink_to_fit() {
    ends_.shrink_to_fit();
    chars_.shrink_to_fit();
  }

  size_t size() const { return ends_.size(); }
  bool empty() const { return ends_.empty(); }
  std::string_view operator[](size_t i) const {
    const uint32_t begin = i == 0 ? 0 : ends_[i - 1];
    return std::string_view(chars_.data() + begin, ends_[i] - begin);
  }
  std::string_view back() const { return (*this)[size() - 1]; }
  Iterator begin() const { return Iterator(this, 0); }
  Iterator end() const { return Iterator(this, size()); }
  // Heap bytes held (capacity of the arena and of the offsets).
  size_t memory_bytes() const { return chars_.capacity() + ends_.capacity() * sizeof(uint32_t); }

 private:
  std::string chars_;
  std::vector<uint32_t> ends_;  // ends_[i]: one past the last byte of string i in chars_
};

}  // namespace anvil::text
