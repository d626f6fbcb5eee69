#include "fake_upstream/fake_upstream.h"

#include <cmath>
#include <cstring>
#include <string>
#include <vector>

#include <boost/json.hpp>
#include <gtest/gtest.h>

#include "anvil/gateway/sse_parser.h"
#include "fake_upstream/content.h"
#include "gateway/upstream_test_util.h"

namespace anvil::fake {
namespace {

namespace json = boost::json;
using gateway::testing::sync_request;
using gateway::testing::SyncResponse;
using http = boost::beast::http::verb;

std::unique_ptr<FakeUpstream> start(FakeUpstreamOptions options = {}) {
  auto server = FakeUpstream::start(std::move(options));
  EXPECT_TRUE(server.ok()) << server.status().message();
  return std::move(*server);
}

const std::string kChat =
    R"({"model":"m","messages":[{"role":"user","content":"tell me about anvils please"}],"max_tokens":5})";

SyncResponse post(FakeUpstream& server, std::string_view path, std::string body,
                  std::vector<std::pair<std::string, std::string>> headers = {}) {
  return sync_request(server.port(), http::post, std::string(path), std::move(body),
                      std::move(headers));
}

// The `data:` payloads of an SSE body.
std::vector<std::string> events_of(const std::string& body) {
  gateway::SseParser parser;
  parser.feed(body);
  std::vector<std::string> out;
  gateway::SseEvent event;
  while (true) {
    auto got = parser.next(event);
    if (!got.ok() || !*got) break;
    out.push_back(event.data);
  }
  return out;
}

std::string chat_content(const std::string& body) {
  json::object answer = json::parse(body).as_object();
  return std::string(
      answer["choices"].as_array()[0].as_object()["message"].as_object()["content"].as_string());
}

TEST(FakeUpstream, ChatIsDeterministicAndCountsWords) {
  auto server = start();
  SyncResponse first = post(*server, "/v1/chat/completions", kChat);
  SyncResponse second = post(*server, "/v1/chat/completions", kChat);
  ASSERT_EQ(first.status, 200) << first.message.body();
  EXPECT_EQ(first.message.body(), second.message.body());
  EXPECT_EQ(count_words(chat_content(first.message.body())), 5);
  json::object answer = json::parse(first.message.body()).as_object();
  EXPECT_EQ(answer["choices"].as_array()[0].as_object()["finish_reason"], "length");
  json::object usage = answer["usage"].as_object();
  EXPECT_EQ(usage["prompt_tokens"], 5);  // "tell me about anvils please"
  EXPECT_EQ(usage["completion_tokens"], 5);
  EXPECT_EQ(usage["total_tokens"], 10);

  std::string other = kChat;
  other.replace(other.find("anvils"), 6, "forges");
  EXPECT_NE(chat_content(post(*server, "/v1/chat/completions", other).message.body()),
            chat_content(first.message.body()));
}

TEST(FakeUpstream, StreamCarriesTheSameContentAndUsage) {
  auto server = start();
  std::string plain = chat_content(post(*server, "/v1/chat/completions", kChat).message.body());
  std::string streamed_request = kChat;
  streamed_request.insert(streamed_request.size() - 1,
                          R"(,"stream":true,"stream_options":{"include_usage":true})");
  SyncResponse streamed = post(*server, "/v1/chat/completions", streamed_request);
  ASSERT_EQ(streamed.status, 200);
  EXPECT_FALSE(streamed.error) << streamed.error.message();
  EXPECT_EQ(streamed.message[boost::beast::http::field::content_type], "text/event-stream");
  auto events = events_of(streamed.message.body());
  // role chunk, 5 words, finish chunk, usage chunk, [DONE]
  ASSERT_EQ(events.size(), 9u);
  EXPECT_EQ(events.back(), "[DONE]");
  std::string content;
  for (size_t i = 0; i + 2 < events.size(); ++i) {
    json::object chunk = json::parse(events[i]).as_object();
    EXPECT_TRUE(chunk["usage"].is_null());
    const auto& delta = chunk["choices"].as_array()[0].as_object().at("delta").as_object();
    if (const auto* text = delta.if_contains("content")) content += text->as_string();
  }
  EXPECT_EQ(content, plain);
  json::object usage_chunk = json::parse(events[7]).as_object();
  EXPECT_TRUE(usage_chunk["choices"].as_array().empty());
  EXPECT_EQ(usage_chunk["usage"].as_object()["prompt_tokens"], 5);
  EXPECT_EQ(usage_chunk["usage"].as_object()["completion_tokens"], 5);
}

TEST(FakeUpstream, HeaderFaultsStatusRetryAfterAndStats) {
  auto server = start();
  SyncResponse limited = post(*server, "/v1/chat/completions", kChat,
                              {{"X-Fake-Fault", "429;retry-after=2"}, {"X-Request-Id", "req-1"}});
  EXPECT_EQ(limited.status, 429);
  EXPECT_EQ(limited.message["Retry-After"], "2");
  json::object error = json::parse(limited.message.body()).as_object()["error"].as_object();
  EXPECT_EQ(error["code"], "rate_limit_exceeded");
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat, {{"X-Fake-Fault", "503"}}).status, 503);
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat, {{"X-Fake-Fault", "bogus"}}).status, 400);

  SyncResponse stats = sync_request(server->port(), http::get, "/fake/stats");
  json::object s = json::parse(stats.message.body()).as_object();
  EXPECT_EQ(s["total"], 3);
  EXPECT_EQ(s["requests"].as_object()["/v1/chat/completions"], 3);
  EXPECT_EQ(s["faults"].as_object()["429"], 1);
  EXPECT_EQ(s["faults"].as_object()["503"], 1);
  EXPECT_EQ(s["faults"].as_object()["bad-fault"], 1);
  EXPECT_EQ(s["request_ids"].as_array().size(), 1u);
  EXPECT_EQ(s["request_ids"].as_array()[0], "req-1");
}

TEST(FakeUpstream, ResetAndCutStream) {
  auto server = start();
  SyncResponse reset = post(*server, "/v1/chat/completions", kChat, {{"X-Fake-Fault", "reset"}});
  EXPECT_TRUE(reset.error);

  std::string streamed = kChat;
  streamed.insert(streamed.size() - 1, R"(,"stream":true)");
  SyncResponse cut = post(*server, "/v1/chat/completions", streamed, {{"X-Fake-Fault", "cut-after=3"}});
  EXPECT_TRUE(cut.error);  // the chunked body never ends
  EXPECT_EQ(server->stats().faults("cut-after"), 1);
  EXPECT_EQ(server->stats().faults("reset"), 1);
}

TEST(FakeUpstream, CutStreamFlagAppliesToEveryStream) {
  FakeUpstreamOptions options;
  options.cut_stream_after = 2;
  auto server = start(options);
  std::string streamed = kChat;
  streamed.insert(streamed.size() - 1, R"(,"stream":true)");
  SyncResponse cut = post(*server, "/v1/chat/completions", streamed);
  EXPECT_TRUE(cut.error);
  // Non-streamed answers are whole.
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat).status, 200);
}

TEST(FakeUpstream, ScriptedFaultsApplyInOrderThenStop) {
  auto server = start();
  SyncResponse queued =
      post(*server, "/fake/script", R"(["500","ok","503;retry-after=7"])");
  ASSERT_EQ(queued.status, 200) << queued.message.body();
  EXPECT_EQ(queued.message.body(), R"({"queued":3})");
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat).status, 500);
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat).status, 200);
  SyncResponse third = post(*server, "/v1/chat/completions", kChat);
  EXPECT_EQ(third.status, 503);
  EXPECT_EQ(third.message["Retry-After"], "7");
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat).status, 200);

  SyncResponse bad = post(*server, "/fake/script", R"(["500", 3])");
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.message.body().find("element 1 of the fault script"), std::string::npos)
      << bad.message.body();

  EXPECT_EQ(post(*server, "/fake/reset", "").status, 200);
  EXPECT_EQ(server->stats().total(), 0);
}

TEST(FakeUpstream, RandomFaultsFromFlags) {
  FakeUpstreamOptions options;
  options.fail_rate = 1.0;
  options.faults = {*parse_fault("429")};
  options.retry_after_s = 1;
  auto server = start(options);
  for (int i = 0; i < 3; ++i) {
    SyncResponse r = post(*server, "/v1/chat/completions", kChat);
    EXPECT_EQ(r.status, 429);
    EXPECT_EQ(r.message["Retry-After"], "1");
  }
  EXPECT_EQ(server->stats().faults("429"), 3);
}

TEST(FakeUpstream, HangKeepsTheConnectionWithoutAnswer) {
  auto server = start();
  boost::asio::io_context context;
  boost::asio::ip::tcp::socket socket(context);
  socket.connect({boost::asio::ip::make_address("127.0.0.1"), server->port()});
  std::string request =
      "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nX-Fake-Fault: hang\r\nContent-Length: " +
      std::to_string(kChat.size()) + "\r\n\r\n" + kChat;
  boost::asio::write(socket, boost::asio::buffer(request));
  // Ask until the server has seen the hung request. With one server thread, an answer to it
  // would have been written before the stats request that saw the hang was answered.
  while (server->stats().faults("hang") == 0) {
    sync_request(server->port(), http::get, "/fake/stats");
  }
  EXPECT_EQ(socket.available(), 0u);
}

TEST(FakeUpstream, ContextWindowAndApiKey) {
  FakeUpstreamOptions options;
  options.context_window = 8;
  options.api_key = "sk-test";
  auto server = start(options);
  std::vector<std::pair<std::string, std::string>> auth = {{"Authorization", "Bearer sk-test"}};
  EXPECT_EQ(post(*server, "/v1/chat/completions", kChat).status, 401);
  SyncResponse over = post(*server, "/v1/chat/completions", kChat, auth);  // 5 + 5 > 8
  EXPECT_EQ(over.status, 400);
  json::object error = json::parse(over.message.body()).as_object()["error"].as_object();
  EXPECT_EQ(error["code"], "context_length_exceeded");
  std::string small = kChat;
  small.replace(small.find("\"max_tokens\":5"), 14, "\"max_tokens\":3");
  EXPECT_EQ(post(*server, "/v1/chat/completions", small, auth).status, 200);
}

TEST(FakeUpstream, EmbeddingsAreDeterministicUnitVectors) {
  FakeUpstreamOptions options;
  options.embedding_dim = 8;
  auto server = start(options);
  SyncResponse floats =
      post(*server, "/v1/embeddings", R"({"model":"e","input":["hello world","other text"]})");
  ASSERT_EQ(floats.status, 200) << floats.message.body();
  json::object answer = json::parse(floats.message.body()).as_object();
  auto& data = answer["data"].as_array();
  ASSERT_EQ(data.size(), 2u);
  std::vector<double> first;
  for (const auto& x : data[0].as_object().at("embedding").as_array()) first.push_back(x.to_number<double>());
  ASSERT_EQ(first.size(), 8u);
  double norm = 0;
  for (double x : first) norm += x * x;
  EXPECT_NEAR(norm, 1.0, 1e-5);
  EXPECT_EQ(answer["usage"].as_object()["prompt_tokens"], 4);

  SyncResponse encoded = post(*server, "/v1/embeddings",
                              R"({"model":"e","input":"hello world","encoding_format":"base64"})");
  json::object b64 = json::parse(encoded.message.body()).as_object();
  std::string text(b64["data"].as_array()[0].as_object().at("embedding").as_string());
  // Decode base64 into floats and compare with the float answer for the same text.
  std::string bytes;
  int bits = 0;
  uint32_t acc = 0;
  for (char c : text) {
    if (c == '=') break;
    const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    acc = (acc << 6) | uint32_t(std::strchr(alphabet, c) - alphabet);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      bytes.push_back(char((acc >> bits) & 0xFF));
    }
  }
  ASSERT_EQ(bytes.size(), 8 * sizeof(float));
  for (size_t j = 0; j < 8; ++j) {
    float value;
    std::memcpy(&value, bytes.data() + j * sizeof(float), sizeof(float));
    EXPECT_EQ(value, float(first[j]));
  }
  SyncResponse sized = post(*server, "/v1/embeddings", R"({"model":"e","input":"x","dimensions":3})");
  EXPECT_EQ(json::parse(sized.message.body()).as_object()["data"].as_array()[0].as_object().at("embedding").as_array().size(), 3u);
}

TEST(FakeUpstream, RerankOrdersByOverlapAndModelsList) {
  FakeUpstreamOptions options;
  options.models = {"a", "b"};
  auto server = start(options);
  SyncResponse ranked = post(*server, "/v1/rerank",
                             R"({"model":"r","query":"red apple","top_n":2,)"
                             R"("documents":["blue sky","a red apple","red car"]})");
  ASSERT_EQ(ranked.status, 200) << ranked.message.body();
  auto results = json::parse(ranked.message.body()).as_object()["results"].as_array();
  ASSERT_EQ(results.size(), 2u);
  EXPECT_EQ(results[0].as_object().at("index"), 1);
  EXPECT_EQ(results[0].as_object().at("relevance_score").as_double(), 1.0);
  EXPECT_EQ(results[1].as_object().at("index"), 2);

  SyncResponse models = sync_request(server->port(), http::get, "/v1/models");
  auto data = json::parse(models.message.body()).as_object()["data"].as_array();
  ASSERT_EQ(data.size(), 2u);
  EXPECT_EQ(data[1].as_object().at("id"), "b");
  EXPECT_EQ(sync_request(server->port(), http::get, "/v1/nothing").status, 404);
}

TEST(FakeUpstream, CompletionsAndBadRequests) {
  auto server = start();
  SyncResponse done = post(*server, "/v1/completions", R"({"model":"m","prompt":"one two","max_tokens":3})");
  ASSERT_EQ(done.status, 200);
  json::object answer = json::parse(done.message.body()).as_object();
  EXPECT_EQ(answer["object"], "text_completion");
  EXPECT_EQ(count_words(answer["choices"].as_array()[0].as_object().at("text").as_string()), 3);
  EXPECT_EQ(post(*server, "/v1/chat/completions", "{not json").status, 400);
  EXPECT_EQ(post(*server, "/v1/chat/completions", R"({"model":"m"})").status, 400);
}

TEST(FakeUpstream, ManyThreadsShareOnePort) {
  FakeUpstreamOptions options;
  options.threads = 3;
  auto server = start(options);
  for (int i = 0; i < 12; ++i) EXPECT_EQ(post(*server, "/v1/chat/completions", kChat).status, 200);
  EXPECT_EQ(server->stats().requests("/v1/chat/completions"), 12);
}

}  // namespace
}  // namespace anvil::fake
