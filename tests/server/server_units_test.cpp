// Units of the server without sockets: the router, request tags, request ids, admission.
#include <chrono>
#include <string>
#include <thread>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/json/parse.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "anvil/server/admission.h"
#include "anvil/server/request_id.h"
#include "anvil/server/request_tags.h"
#include "anvil/server/router.h"

namespace anvil::server {
namespace {

namespace asio = boost::asio;
namespace http = boost::beast::http;

asio::awaitable<void> noop(Exchange&) { co_return; }

TEST(Router, MatchesExactPathsPatternsAndReports405WithAllow) {
  Router r;
  r.add(http::verb::get, "/v1/models", noop);
  r.add(http::verb::post, "/v1/collections/{name}/search", noop);
  r.add(http::verb::get, "/v1/collections/{name}/documents/{id}", noop);
  r.add(http::verb::delete_, "/v1/collections/{name}/documents/{id}", noop);
  Exchange::Params params;

  auto m = r.match(http::verb::get, "/v1/models", params);
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route->pattern, "/v1/models");
  EXPECT_TRUE(params.empty());

  m = r.match(http::verb::post, "/v1/collections/docs/search", params);
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route->pattern, "/v1/collections/{name}/search");
  ASSERT_EQ(params.size(), 1u);
  EXPECT_EQ(params[0].first, "name");
  EXPECT_EQ(params[0].second, "docs");

  params.clear();
  m = r.match(http::verb::delete_, "/v1/collections/docs/documents/42", params);
  ASSERT_EQ(m.outcome, Router::Outcome::kFound);
  EXPECT_EQ(m.route->method, http::verb::delete_);
  ASSERT_EQ(params.size(), 2u);
  EXPECT_EQ(params[1].second, "42");

  params.clear();
  m = r.match(http::verb::put, "/v1/collections/docs/documents/42", params);
  EXPECT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET, DELETE");
  EXPECT_TRUE(params.empty());

  m = r.match(http::verb::post, "/v1/models", params);
  EXPECT_EQ(m.outcome, Router::Outcome::kMethodNotAllowed);
  EXPECT_EQ(m.allow, "GET");

  for (const char* path : {"/v1/collections//search", "/v1/collections/docs/search/x",
                           "/v1/collections/docs", "/v1/model", "/v1/models/", ""}) {
    EXPECT_EQ(r.match(http::verb::post, path, params).outcome, Router::Outcome::kNotFound) << path;
    EXPECT_TRUE(params.empty()) << path;
  }
}

TEST(RequestTags, MergesMetadataAndHeaderWithTheHeaderWinning) {
  auto body = boost::json::parse(R"({"metadata":{"team":"search","env":"dev"}})").as_object();
  RequestTags tags;
  add_metadata_tags(body, tags);
  EXPECT_FALSE(parse_tags_header(" env = prod, beta ,, owner=a=b", tags));
  RequestTags want = {{"beta", ""}, {"env", "prod"}, {"owner", "a=b"}, {"team", "search"}};
  EXPECT_EQ(tags, want);
}

TEST(RequestTags, HeaderErrors) {
  RequestTags tags;
  auto e = parse_tags_header("a=1, =2", tags);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "invalid 'X-Anvil-Tags': expected key=value items, found '=2'");
  e = parse_tags_header(std::string(65, 'k') + "=v", tags);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "invalid 'X-Anvil-Tags': expected keys of at most 64 characters, found 65");
  std::string many;
  for (int i = 0; i < 17; ++i) many += fmt::format("k{}=v,", i);
  RequestTags fresh;
  e = parse_tags_header(many, fresh);
  ASSERT_TRUE(e);
  EXPECT_EQ(e->message, "invalid 'X-Anvil-Tags': expected at most 16 tags, found more");
}

TEST(RequestId, KeepsSaneClientIdsAndMakesFreshOnes) {
  EXPECT_EQ(make_request_id("trace-1/abc"), "trace-1/abc");
  std::string a = make_request_id("");
  std::string b = make_request_id("bad id");
  EXPECT_EQ(a.size(), 28u);
  EXPECT_TRUE(a.starts_with("req_"));
  EXPECT_EQ(a.find_first_not_of("0123456789abcdef", 4), std::string::npos) << a;
  EXPECT_NE(a, b);
  // The time comes first: the 11 hex digits after "req_" are the Unix milliseconds of the call.
  const auto unix_ms = [] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
               std::chrono::system_clock::now().time_since_epoch())
        .count();
  };
  const auto before = unix_ms();
  const std::string c = make_request_id("");
  const auto after = unix_ms();
  const long long stamped = std::stoll(c.substr(4, 11), nullptr, 16);
  EXPECT_GE(stamped, before) << c;
  EXPECT_LE(stamped, after) << c;
  EXPECT_FALSE(is_acceptable_request_id(std::string(129, 'a')));
  EXPECT_FALSE(is_acceptable_request_id("quote\"d"));
  EXPECT_TRUE(is_acceptable_request_id(std::string(128, 'a')));
}

// Admission on one io_context: slots, FIFO hand-over on release, and refusal when full. poll()
// runs what is ready: queued coroutines keep the context busy until they are admitted.
TEST(Admission, AdmitsQueuesInOrderAndRefusesBeyondTheQueue) {
  core::Gauge in_flight;
  core::Gauge queued;
  Admission admission({2, 2, std::chrono::hours(1)}, &in_flight, &queued);
  asio::io_context io;
  std::vector<std::string> events;
  auto request = [&](std::string name) -> asio::awaitable<void> {
    auto verdict = co_await admission.acquire();
    events.push_back(name + (verdict == Admission::Verdict::kAdmitted ? " admitted" : " refused"));
  };
  for (const char* name : {"a", "b", "c", "d", "e"}) asio::co_spawn(io, request(name), asio::detached);
  io.poll();
  EXPECT_EQ(events, (std::vector<std::string>{"a admitted", "b admitted", "e refused"}));
  EXPECT_EQ(admission.in_flight(), 2u);
  EXPECT_EQ(admission.waiting(), 2u);
  EXPECT_EQ(in_flight.value(), 2);
  EXPECT_EQ(queued.value(), 2);

  admission.release();  // a done: c (first in the queue) gets its slot
  io.restart();
  io.poll();
  EXPECT_EQ(events.back(), "c admitted");
  admission.release();
  io.restart();
  io.poll();
  EXPECT_EQ(events.back(), "d admitted");
  EXPECT_EQ(admission.waiting(), 0u);
  EXPECT_EQ(queued.value(), 0);
  admission.release();
  admission.release();
  EXPECT_EQ(admission.in_flight(), 0u);
}

const char* verdict_name(Admission::Verdict v) {
  switch (v) {
    case Admission::Verdict::kAdmitted: return "admitted";
    case Admission::Verdict::kQueueFull: return "refused";
    case Admission::Verdict::kTimedOut: return "timed out";
  }
  return "?";
}

// A queued request whose slot never comes gives up after queue_timeout; the one behind it moves
// up, and the slot freed later goes to it. run() returns once every coroutine is done: nothing
// (no timer) is left behind.
TEST(Admission, AQueuedRequestGivesUpAfterTheQueueTimeout) {
  core::Gauge queued;
  Admission admission({1, 2, std::chrono::milliseconds(1)}, nullptr, &queued);
  asio::io_context io;
  std::vector<std::string> events;
  auto request = [&](std::string name) -> asio::awaitable<void> {
    auto verdict = co_await admission.acquire();
    events.push_back(name + " " + verdict_name(verdict));
  };
  asio::co_spawn(io, request("a"), asio::detached);  // holds the only slot until released
  asio::co_spawn(io, request("b"), asio::detached);
  io.run();
  EXPECT_EQ(events, (std::vector<std::string>{"a admitted", "b timed out"}));
  EXPECT_EQ(admission.waiting(), 0u);
  EXPECT_EQ(queued.value(), 0);
  EXPECT_EQ(admission.in_flight(), 1u);

  // Released, the slot serves the next request without waiting.
  admission.release();
  asio::co_spawn(io, request("c"), asio::detached);
  io.restart();
  io.run();
  EXPECT_EQ(events.back(), "c admitted");
  admission.release();
  EXPECT_EQ(admission.in_flight(), 0u);
}

// A waiter handed a slot before its timeout is admitted, and its timer is cancelled with it:
// with an hour-long timeout, run() still returns as soon as the coroutines are done.
TEST(Admission, ASlotBeforeTheTimeoutCancelsTheTimer) {
  Admission admission({1, 1, std::chrono::hours(1)});
  asio::io_context io;
  std::vector<std::string> events;
  auto request = [&](std::string name, bool release_after) -> asio::awaitable<void> {
    auto verdict = co_await admission.acquire();
    events.push_back(name + " " + verdict_name(verdict));
    if (release_after && verdict == Admission::Verdict::kAdmitted) admission.release();
  };
  asio::co_spawn(io, request("a", false), asio::detached);
  asio::co_spawn(io, request("b", true), asio::detached);
  asio::co_spawn(io, request("c", true), asio::detached);  // the queue (depth 1) is full
  io.poll();
  EXPECT_EQ(events, (std::vector<std::string>{"a admitted", "c refused"}));
  EXPECT_EQ(admission.waiting(), 1u);
  admission.release();  // a done: b gets the slot
  io.restart();
  io.run();
  EXPECT_EQ(events, (std::vector<std::string>{"a admitted", "c refused", "b admitted"}));
  EXPECT_EQ(admission.in_flight(), 0u);
  EXPECT_EQ(admission.waiting(), 0u);
}

// Many threads hammering acquire/release never exceed the limit and never strand a waiter.
TEST(Admission, NeverExceedsTheLimitAcrossThreads) {
  constexpr int kThreads = 4;
  constexpr int kPerThread = 2000;
  Admission admission({3, kThreads * kPerThread, std::chrono::hours(1)});
  std::atomic<int> running{0};
  std::atomic<int> max_seen{0};
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      asio::io_context io;
      auto one = [&]() -> asio::awaitable<void> {
        auto verdict = co_await admission.acquire();
        if (verdict != Admission::Verdict::kAdmitted) co_return;
        int now = running.fetch_add(1) + 1;
        int seen = max_seen.load();
        while (now > seen && !max_seen.compare_exchange_weak(seen, now)) {
        }
        running.fetch_sub(1);
        admission.release();
        done.fetch_add(1);
      };
      for (int i = 0; i < kPerThread; ++i) asio::co_spawn(io, one(), asio::detached);
      io.run();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(done.load(), kThreads * kPerThread);
  EXPECT_LE(max_seen.load(), 3);
  EXPECT_EQ(admission.in_flight(), 0u);
  EXPECT_EQ(admission.waiting(), 0u);
}

}  // namespace
}  // namespace anvil::server
