#include "anvil/server/request_id.h"

#include <chrono>
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
  // "req_" + 11 hex digits of Unix milliseconds + 13 random ones (52 bits: a collision among
  // the ids of one millisecond is ~n^2 / 2^53). Time first, so that ids, and the ledger's unique
  // index over them, grow at one end instead of at random places.
  std::string id = "req_000000000000000000000000";
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                      std::chrono::system_clock::now().time_since_epoch())
                      .count();
  auto put = [&](std::size_t from, std::size_t digits, std::uint64_t v) {
    for (std::size_t i = from + digits; i-- > from; v >>= 4) id[i] = kHex[v & 0xf];
  };
  put(4, 11, static_cast<std::uint64_t>(ms));
  put(15, 13, next_random());
  return id;
}

}  // namespace anvil::server
