#include "anvil/rag/bm25/string_pool.h"

#include <functional>

namespace anvil::rag::bm25 {

uint64_t StringPool::hash_of(std::string_view s) { return std::hash<std::string_view>{}(s); }

uint32_t StringPool::find(std::string_view s) const {
  return table_.find(hash_of(s), [&](uint32_t id) { return get(id) == s; });
}

uint32_t StringPool::intern(std::string_view s) {
  const uint64_t h = hash_of(s);
  uint32_t id = table_.find(h, [&](uint32_t candidate) { return get(candidate) == s; });
  if (id != kNone) return id;
  id = static_cast<uint32_t>(size());
  bytes_.append(s);
  offsets_.push_back(bytes_.size());
  table_.insert(h, id);
  return id;
}

void StringPool::reserve(std::size_t strings, std::size_t bytes) {
  bytes_.reserve(bytes);
  offsets_.reserve(strings + 1);
  table_.reserve(strings);
}

void StringPool::clear() {
  bytes_.clear();
  bytes_.shrink_to_fit();
  offsets_.assign(1, 0);
  offsets_.shrink_to_fit();
  table_.clear();
}

std::size_t StringPool::memory_bytes() const {
  return bytes_.capacity() + offsets_.capacity() * sizeof(uint64_t) + table_.memory_bytes();
}

}  // namespace anvil::rag::bm25
