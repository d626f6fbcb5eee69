// LEB128 unsigned varints: the integer encoding of postings, per-chunk term lists and the index
// file (7 bits a byte, least significant group first, high bit set on every byte but the last).
#pragma once

#include <cstdint>

namespace anvil::rag::bm25 {

inline constexpr int kMaxVarintBytes = 10;  // a uint64

template <class Bytes>  // std::vector<uint8_t> or std::string
inline void put_varint(Bytes& out, uint64_t v) {
  using Byte = typename Bytes::value_type;
  while (v >= 0x80) {
    out.push_back(static_cast<Byte>((v & 0x7F) | 0x80));
    v >>= 7;
  }
  out.push_back(static_cast<Byte>(v));
}

// Decodes one varint from [p, end). Returns the byte after it, or nullptr when the input ends
// inside the varint or the varint is longer than a uint64.
inline const uint8_t* get_varint(const uint8_t* p, const uint8_t* end, uint64_t& v) {
  v = 0;
  for (int shift = 0; shift < 7 * kMaxVarintBytes && p < end; shift += 7) {
    const uint64_t byte = *p++;
    if (shift == 63 && byte > 1) return nullptr;  // bits beyond 64
    v |= (byte & 0x7F) << shift;
    if (byte < 0x80) return p;
  }
  return nullptr;
}

// Unchecked decoding for buffers this process wrote or already validated (the search loop).
inline const uint8_t* get_varint_unchecked(const uint8_t* p, uint64_t& v) {
  uint64_t byte = *p++;
  v = byte & 0x7F;
  for (int shift = 7; byte >= 0x80; shift += 7) {
    byte = *p++;
    v |= (byte & 0x7F) << shift;
  }
  return p;
}

}  // namespace anvil::rag::bm25
