#include "anvil/server/request_id.h"

#include <cstdint>
#include <random>

namespace anvil::server {

bool is_acceptable_request_id(std::string_view id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (c <= 0x20 || c >= 0x7f || c == '"' || c == '\\') return false;
  }
  return true;
}

namespace {

// splitmix64: fast, and seeded per thread from the OS, so ids differ across threads and runs.
std::uint64_t next_random() {
  thread_local std::uint64_t state = [] {
    std::random_device rd;
    return (static_cast<std::uint64_t>(rd()) << 32) ^ rd();
  }();
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

}  // namespace

std::string make_request_id(std::string_view client_id) {
  if (is_acceptable_request_id(client_id)) return std::string(client_id);
  static constexpr char kHex[] = "0123456789abcdef";
  std::string id(20, '0');
  id[0] = 'r';
  id[1] = 'e';
  id[2] = 'q';
  id[3] = '_';
  std::uint64_t r = next_random();
  for (int i = 19; i >= 4; --i, r >>= 4) id[static_cast<std::size_t>(i)] = kHex[r & 0xf];
  return id;
}

}  // namespace anvil::server
