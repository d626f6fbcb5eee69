// An open-addressing hash table of uint32 ids whose keys live elsewhere (a string pool, a value
// table): each key is stored once, and the table itself costs 8 bytes a slot (load <= 1/2).
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace anvil::rag::bm25 {

// Finalizer of splitmix64: spreads any 64-bit hash (std::hash of integers is the identity).
inline uint64_t mix_hash(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

class IdHashTable {
 public:
  static constexpr uint32_t kNone = 0xFFFFFFFFu;

  // The id whose key `eq(id)` accepts among those inserted with `hash`, or kNone.
  template <class Eq>
  uint32_t find(uint64_t hash, Eq&& eq) const {
    if (slots_.empty()) return kNone;
    const std::size_t mask = slots_.size() - 1;
    const auto h = static_cast<uint32_t>(hash);
    for (std::size_t i = h & mask;; i = (i + 1) & mask) {  // linear probing
      const Slot& s = slots_[i];
      if (s.id == kNone) return kNone;
      if (s.hash == h && eq(s.id)) return s.id;
    }
  }

  // Adds `id` under `hash`; the caller has checked that its key is absent.
  void insert(uint64_t hash, uint32_t id);

  void reserve(std::size_t n);
  void clear();
  std::size_t size() const { return size_; }
  std::size_t memory_bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    uint32_t hash = 0;  // low 32 bits of the key's hash (also the probe start)
    uint32_t id = kNone;
  };
  void place(Slot s);

  std::vector<Slot> slots_;  // size is 0 or a power of two
  std::size_t size_ = 0;
};

}  // namespace anvil::rag::bm25
