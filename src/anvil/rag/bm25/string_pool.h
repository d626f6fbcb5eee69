// Interned strings with dense ids (0, 1, 2, ...): the BM25 term dictionary, metadata field names
// and metadata string values. All bytes live in one buffer; lookups hash the query string.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "anvil/rag/bm25/id_hash_table.h"

namespace anvil::rag::bm25 {

class StringPool {
 public:
  static constexpr uint32_t kNone = IdHashTable::kNone;

  uint32_t find(std::string_view s) const;
  // The id of `s`, adding it when new.
  uint32_t intern(std::string_view s);

  std::string_view get(uint32_t id) const {
    return std::string_view(bytes_).substr(offsets_[id], offsets_[id + 1] - offsets_[id]);
  }
  std::size_t size() const { return offsets_.size() - 1; }
  std::size_t total_bytes() const { return bytes_.size(); }

  void reserve(std::size_t strings, std::size_t bytes);
  void clear();
  std::size_t memory_bytes() const;

 private:
  static uint64_t hash_of(std::string_view s);

  std::string bytes_;                   // the strings, concatenated
  std::vector<uint64_t> offsets_ = {0}; // string k is bytes_[offsets_[k], offsets_[k + 1])
  IdHashTable table_;
};

}  // namespace anvil::rag::bm25
