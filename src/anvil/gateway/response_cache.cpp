#include "anvil/gateway/response_cache.h"

#include <algorithm>
#include <functional>

#include "anvil/gateway/canonical_json.h"

namespace anvil::gateway {
namespace {

// Bookkeeping per entry beyond its strings: list node, index slot, control block.
constexpr std::int64_t kEntryOverhead = 160;

std::int64_t size_of(const std::string& key, const CachedAnswer& a) {
  std::int64_t n = kEntryOverhead + static_cast<std::int64_t>(key.size() + a.response.body.size() +
                                                               a.deployment.size());
  for (const std::string& chunk : a.chunks) n += static_cast<std::int64_t>(chunk.size()) + 32;
  return n;
}

}  // namespace

std::string response_cache_key(Operation op, const boost::json::object& body, bool stream) {
  static const std::vector<std::string_view> kExcluded = {
      "stream", "stream_options", "user", "metadata", "store", "service_tier"};
  std::string key(operation_name(op));
  key += stream ? " stream " : " json ";
  key += canonical_json(body, kExcluded);
  return key;
}

ResponseCache::ResponseCache(const CacheSettings& settings, const MonotonicClock& clock)
    : clock_(clock) {
  const int shards = std::max(settings.shards, 1);
  shard_entries_ = std::max<std::int64_t>(settings.max_entries / shards, 1);
  shard_bytes_ = std::max<std::int64_t>(settings.max_bytes / shards, 1);
  shards_.reserve(static_cast<std::size_t>(shards));
  for (int i = 0; i < shards; ++i) shards_.push_back(std::make_unique<Shard>());
}

ResponseCache::Shard& ResponseCache::shard_of(std::string_view key) {
  return *shards_[std::hash<std::string_view>{}(key) % shards_.size()];
}

void ResponseCache::erase(Shard& shard, std::list<Node>::iterator it) {
  shard.bytes -= it->bytes;
  shard.index.erase(std::string_view(it->key));
  shard.lru.erase(it);
}

std::shared_ptr<const CachedAnswer> ResponseCache::find(std::string_view key,
                                                        std::chrono::seconds max_age) {
  Shard& shard = shard_of(key);
  const SteadyTime now = clock_.now();
  std::lock_guard lock(shard.mu);
  auto found = shard.index.find(key);
  if (found == shard.index.end()) return nullptr;
  auto it = found->second;
  if (now - it->answer->stored_at > max_age) return nullptr;  // kept: a fallback may want it
  shard.lru.splice(shard.lru.begin(), shard.lru, it);
  return it->answer;
}

void ResponseCache::insert(std::string key, CachedAnswer answer) {
  answer.stored_at = clock_.now();
  const std::int64_t bytes = size_of(key, answer);
  if (bytes > shard_bytes_) return;
  auto shared = std::make_shared<const CachedAnswer>(std::move(answer));
  Shard& shard = shard_of(key);
  std::lock_guard lock(shard.mu);
  if (auto found = shard.index.find(key); found != shard.index.end()) erase(shard, found->second);
  shard.lru.push_front(Node{std::move(key), std::move(shared), bytes});
  shard.index.emplace(std::string_view(shard.lru.front().key), shard.lru.begin());
  shard.bytes += bytes;
  while (static_cast<std::int64_t>(shard.lru.size()) > shard_entries_ ||
         shard.bytes > shard_bytes_) {
    erase(shard, std::prev(shard.lru.end()));
    evictions_.fetch_add(1, std::memory_order_relaxed);
  }
}

std::int64_t ResponseCache::entries() const {
  std::int64_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    n += static_cast<std::int64_t>(shard->lru.size());
  }
  return n;
}

std::int64_t ResponseCache::bytes() const {
  std::int64_t n = 0;
  for (const auto& shard : shards_) {
    std::lock_guard lock(shard->mu);
    n += shard->bytes;
  }
  return n;
}

}  // namespace anvil::gateway
