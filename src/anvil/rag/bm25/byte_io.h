// Little-endian encoding for the BM25 index file: appenders for fixed-width fields, and a
// bounds-checked reader whose errors say what was being read and at which byte offset.
#pragma once

#include <algorithm>
#include <bit>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include "anvil/core/status.h"
#include "anvil/rag/bm25/varint.h"

namespace anvil::rag::bm25 {

inline void put_u8(std::string& out, uint8_t v) { out.push_back(static_cast<char>(v)); }

inline void put_u32(std::string& out, uint32_t v) {
  for (int k = 0; k < 4; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

inline void put_u64(std::string& out, uint64_t v) {
  for (int k = 0; k < 8; ++k) out.push_back(static_cast<char>((v >> (8 * k)) & 0xFF));
}

inline void put_f32(std::string& out, float v) { put_u32(out, std::bit_cast<uint32_t>(v)); }
inline void put_f64(std::string& out, double v) { put_u64(out, std::bit_cast<uint64_t>(v)); }

inline void put_bytes(std::string& out, std::string_view bytes) {
  put_varint(out, bytes.size());
  out.append(bytes);
}

inline uint64_t load_le(const uint8_t* p, int n) {
  uint64_t v = 0;
  for (int k = 0; k < n; ++k) v |= static_cast<uint64_t>(p[k]) << (8 * k);
  return v;
}

class ByteReader {
 public:
  // `base` is the file offset of data[0], so errors give offsets in the file.
  ByteReader(std::string_view data, std::size_t base) : data_(data), base_(base) {}

  std::size_t offset() const { return base_ + pos_; }
  std::size_t remaining() const { return data_.size() - pos_; }
  bool at_end() const { return pos_ == data_.size(); }

  core::Status u8(uint8_t& v, std::string_view what) { return fixed(v, 1, what); }
  core::Status u32(uint32_t& v, std::string_view what) { return fixed(v, 4, what); }
  core::Status u64(uint64_t& v, std::string_view what) { return fixed(v, 8, what); }
  core::Status f32(float& v, std::string_view what) {
    uint32_t bits = 0;
    ANVIL_RETURN_IF_ERROR(u32(bits, what));
    v = std::bit_cast<float>(bits);
    return {};
  }
  core::Status f64(double& v, std::string_view what) {
    uint64_t bits = 0;
    ANVIL_RETURN_IF_ERROR(u64(bits, what));
    v = std::bit_cast<double>(bits);
    return {};
  }

  core::Status varint(uint64_t& v, std::string_view what) {
    const auto* p = reinterpret_cast<const uint8_t*>(data_.data()) + pos_;
    const auto* end = reinterpret_cast<const uint8_t*>(data_.data()) + data_.size();
    const uint8_t* next = get_varint(p, end, v);
    if (next == nullptr) {
      return core::Status::corrupt(fmt::format("bad varint for {} at byte {}", what, offset()));
    }
    pos_ += static_cast<std::size_t>(next - p);
    return {};
  }

  // A varint that must be at most `max` (a count or an id).
  core::Status bounded(uint64_t& v, uint64_t max, std::string_view what) {
    const std::size_t at = offset();
    ANVIL_RETURN_IF_ERROR(varint(v, what));
    if (v > max) {
      return core::Status::corrupt(
          fmt::format("{} out of range at byte {}: expected at most {}, found {}", what, at, max, v));
    }
    return {};
  }

  core::Status bytes(std::size_t n, std::string_view& out, std::string_view what) {
    if (n > remaining()) return truncated(what, n);
    out = data_.substr(pos_, n);
    pos_ += n;
    return {};
  }

  // A varint length followed by that many bytes.
  core::Status sized_bytes(std::string_view& out, std::string_view what) {
    uint64_t n = 0;
    ANVIL_RETURN_IF_ERROR(varint(n, what));
    return bytes(static_cast<std::size_t>(std::min<uint64_t>(n, SIZE_MAX)), out, what);
  }

 private:
  template <class T>
  core::Status fixed(T& v, int n, std::string_view what) {
    if (remaining() < static_cast<std::size_t>(n)) return truncated(what, static_cast<std::size_t>(n));
    v = static_cast<T>(load_le(reinterpret_cast<const uint8_t*>(data_.data()) + pos_, n));
    pos_ += static_cast<std::size_t>(n);
    return {};
  }

  core::Status truncated(std::string_view what, std::size_t n) const {
    return core::Status::corrupt(fmt::format("truncated {} at byte {}: expected {} bytes, found {}",
                                             what, offset(), n, remaining()));
  }

  std::string_view data_;
  std::size_t base_;
  std::size_t pos_ = 0;
};

}  // namespace anvil::rag::bm25
