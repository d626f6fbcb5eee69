// The response cache: answers of upstreams kept in memory and given again for an identical
// request (exact match on the normalized request), within a TTL, bounded by entries and bytes
// with least-recently-used eviction. Sharded so that I/O threads rarely wait on each other.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include <boost/json/object.hpp>

#include "anvil/gateway/gateway_config.h"
#include "anvil/gateway/monotonic_clock.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

// One cached answer: a non-streamed response, or the chunks of a stream replayed as they came.
struct CachedAnswer {
  ProviderResponse response;        // non-streamed; response.usage is the upstream's usage
  std::vector<std::string> chunks;  // streamed: the `data:` payloads, in order
  Usage usage;                      // streamed: the usage the stream ended with
  std::string deployment;           // the deployment that answered originally
  SteadyTime stored_at;
};

// The cache key of a request: the operation, whether it streams, and the canonical JSON of the
// body (canonical_json.h) without the members that do not change the answer: stream,
// stream_options, user, metadata, store, service_tier. The logical "model" stays in the key.
// Streamed and non-streamed answers are kept apart (one is chunks, the other one document).
std::string response_cache_key(Operation op, const boost::json::object& body, bool stream);

class ResponseCache {
 public:
  ResponseCache(const CacheSettings& settings, const MonotonicClock& clock);

  // The entry stored under `key` no longer ago than `max_age`; null when there is none. A hit
  // makes the entry the most recently used. The returned answer stays valid after eviction.
  std::shared_ptr<const CachedAnswer> find(std::string_view key, std::chrono::seconds max_age);

  // Stores (or replaces) the answer under `key`, stamped now, then evicts the least recently
  // used entries of the shard until it is within its bounds. An answer larger than a shard's
  // byte bound is not stored.
  void insert(std::string key, CachedAnswer answer);

  std::int64_t entries() const;
  std::int64_t bytes() const;
  std::int64_t evictions() const { return evictions_.load(std::memory_order_relaxed); }

 private:
  struct Node {
    std::string key;
    std::shared_ptr<const CachedAnswer> answer;
    std::int64_t bytes = 0;
  };
  struct Shard {
    mutable std::mutex mu;
    std::list<Node> lru;  // most recently used first
    std::unordered_map<std::string_view, std::list<Node>::iterator> index;  // views into lru keys
    std::int64_t bytes = 0;
  };

  Shard& shard_of(std::string_view key);
  void erase(Shard& shard, std::list<Node>::iterator it);  // holds shard.mu

  const MonotonicClock& clock_;
  std::int64_t shard_entries_;
  std::int64_t shard_bytes_;
  std::vector<std::unique_ptr<Shard>> shards_;
  std::atomic<std::int64_t> evictions_{0};
};

}  // namespace anvil::gateway
