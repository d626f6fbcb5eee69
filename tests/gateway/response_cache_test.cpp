#include "anvil/gateway/response_cache.h"

#include <gtest/gtest.h>

#include <thread>

#include <boost/json/parse.hpp>

namespace anvil::gateway {
namespace {

using std::chrono::seconds;

boost::json::object body(std::string_view json) { return boost::json::parse(json).as_object(); }

CachedAnswer answer(std::string text) {
  CachedAnswer a;
  a.response.body = std::move(text);
  a.deployment = "d";
  return a;
}

TEST(ResponseCacheKeyTest, NormalizesAndExcludesWhatDoesNotChangeTheAnswer) {
  const std::string a = response_cache_key(
      Operation::kChatCompletions,
      body(R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":0})"),
      false);
  const std::string b = response_cache_key(
      Operation::kChatCompletions,
      body(R"({"temperature":0.0,"user":"u7","metadata":{"team":"x"},"stream":false,"store":true,
               "service_tier":"auto","messages":[{"content":"hi","role":"user"}],"model":"chat"})"),
      false);
  EXPECT_EQ(a, b);
  EXPECT_EQ(a, R"(chat json {"messages":[{"content":"hi","role":"user"}],"model":"chat","temperature":0})");
  // What changes the answer changes the key: the model, the operation, any parameter, streaming.
  const auto other = [&](std::string_view json, Operation op = Operation::kChatCompletions,
                         bool stream = false) {
    return response_cache_key(op, body(json), stream);
  };
  const char* base = R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":0})";
  EXPECT_NE(a, other(R"({"model":"chat2","messages":[{"role":"user","content":"hi"}],"temperature":0})"));
  EXPECT_NE(a, other(R"({"model":"chat","messages":[{"role":"user","content":"hi"}],"temperature":0,"n":2})"));
  EXPECT_NE(a, other(base, Operation::kCompletions));
  EXPECT_NE(a, other(base, Operation::kChatCompletions, true));
}

TEST(ResponseCacheTest, HitWithinTtlMissAfter) {
  ManualClock clock;
  ResponseCache cache({.max_entries = 100, .max_bytes = 1 << 20, .shards = 4}, clock);
  cache.insert("k", answer("A"));
  auto hit = cache.find("k", seconds(60));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->response.body, "A");
  EXPECT_EQ(cache.find("other", seconds(60)), nullptr);
  clock.advance(seconds(61));
  EXPECT_EQ(cache.find("k", seconds(60)), nullptr);
  // Still there for an older age bound: the cached-answer fallback.
  ASSERT_NE(cache.find("k", seconds(3600)), nullptr);
}

TEST(ResponseCacheTest, InsertReplaces) {
  ManualClock clock;
  ResponseCache cache({.max_entries = 100, .max_bytes = 1 << 20, .shards = 1}, clock);
  cache.insert("k", answer("A"));
  auto old = cache.find("k", seconds(60));
  cache.insert("k", answer("B"));
  EXPECT_EQ(cache.entries(), 1);
  EXPECT_EQ(cache.find("k", seconds(60))->response.body, "B");
  EXPECT_EQ(old->response.body, "A");  // a reader's copy outlives the replacement
}

TEST(ResponseCacheTest, EvictsLeastRecentlyUsedByEntries) {
  ManualClock clock;
  ResponseCache cache({.max_entries = 3, .max_bytes = 1 << 20, .shards = 1}, clock);
  cache.insert("a", answer("A"));
  cache.insert("b", answer("B"));
  cache.insert("c", answer("C"));
  ASSERT_NE(cache.find("a", seconds(60)), nullptr);  // "b" is now the least recently used
  cache.insert("d", answer("D"));
  EXPECT_EQ(cache.entries(), 3);
  EXPECT_EQ(cache.evictions(), 1);
  EXPECT_EQ(cache.find("b", seconds(60)), nullptr);
  EXPECT_NE(cache.find("a", seconds(60)), nullptr);
  EXPECT_NE(cache.find("c", seconds(60)), nullptr);
  EXPECT_NE(cache.find("d", seconds(60)), nullptr);
}

TEST(ResponseCacheTest, EvictsByBytes) {
  ManualClock clock;
  // One shard of 2,000 bytes: three answers of 600 bytes plus overhead do not fit together.
  ResponseCache cache({.max_entries = 100, .max_bytes = 2000, .shards = 1}, clock);
  cache.insert("a", answer(std::string(600, 'a')));
  cache.insert("b", answer(std::string(600, 'b')));
  EXPECT_EQ(cache.entries(), 2);
  cache.insert("c", answer(std::string(600, 'c')));
  EXPECT_EQ(cache.entries(), 2);
  EXPECT_LE(cache.bytes(), 2000);
  EXPECT_EQ(cache.find("a", seconds(60)), nullptr);
  // Larger than the whole shard: not stored, nothing evicted for it.
  cache.insert("huge", answer(std::string(5000, 'h')));
  EXPECT_EQ(cache.find("huge", seconds(60)), nullptr);
  EXPECT_EQ(cache.entries(), 2);
}

TEST(ResponseCacheTest, StreamsKeepTheirChunks) {
  ManualClock clock;
  ResponseCache cache({}, clock);
  CachedAnswer a;
  a.chunks = {R"({"n":1})", R"({"n":2})"};
  a.usage = {.prompt_tokens = 3, .completion_tokens = 2, .cached_tokens = 0, .reported = true};
  cache.insert("s", a);
  auto hit = cache.find("s", seconds(1));
  ASSERT_NE(hit, nullptr);
  EXPECT_EQ(hit->chunks, a.chunks);
  EXPECT_EQ(hit->usage.completion_tokens, 2);
}

TEST(ResponseCacheTest, ConcurrentUseKeepsTheBounds) {
  ManualClock clock;
  ResponseCache cache({.max_entries = 64, .max_bytes = 1 << 20, .shards = 8}, clock);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 5000; ++i) {
        const std::string key = "k" + std::to_string((i * 7 + t) % 500);
        if (auto hit = cache.find(key, seconds(60))) {
          ASSERT_EQ(hit->response.body, key);
        } else {
          cache.insert(key, answer(key));
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LE(cache.entries(), 64);
  EXPECT_GT(cache.evictions(), 0);
}

}  // namespace
}  // namespace anvil::gateway
