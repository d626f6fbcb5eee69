#include "anvil/rag/bm25/id_hash_table.h"

#include <algorithm>
#include <bit>

namespace anvil::rag::bm25 {

void IdHashTable::place(Slot s) {
  const std::size_t mask = slots_.size() - 1;
  std::size_t i = s.hash & mask;
  while (slots_[i].id != kNone) i = (i + 1) & mask;
  slots_[i] = s;
}

void IdHashTable::reserve(std::size_t n) {
  const std::size_t wanted = std::bit_ceil(std::max<std::size_t>(16, n * 2));
  if (wanted <= slots_.size()) return;
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(wanted, Slot{});
  for (const Slot& s : old) {
    if (s.id != kNone) place(s);
  }
}

void IdHashTable::insert(uint64_t hash, uint32_t id) {
  if ((size_ + 1) * 2 > slots_.size()) reserve(size_ + 1);
  place(Slot{static_cast<uint32_t>(hash), id});
  ++size_;
}

void IdHashTable::clear() {
  slots_.clear();
  slots_.shrink_to_fit();
  size_ = 0;
}

}  // namespace anvil::rag::bm25
