#include "anvil/gateway/openai_provider.h"

#include <chrono>
#include <string>

#include <boost/json.hpp>
#include <fmt/format.h>
#include <gtest/gtest.h>

#include "fake_upstream/fake_upstream.h"
#include "gateway/upstream_test_util.h"

namespace anvil::gateway {
namespace {

namespace json = boost::json;
using testing::CollectingSink;
using testing::RawReply;
using testing::RawServer;
using testing::run;

class OpenAiProviderTest : public ::testing::Test {
 protected:
  void SetUp() override { start({}); }

  void start(fake::FakeUpstreamOptions options) {
    options.api_key = "sk-secret-key";
    fake_.reset();
    auto server = fake::FakeUpstream::start(std::move(options));
    ASSERT_TRUE(server.ok()) << server.status().message();
    fake_ = std::move(*server);
    deployment_.name = "primary";
    deployment_.provider = "openai";
    deployment_.model = "fake-model";
    deployment_.base_url = fake_->base_url();
    deployment_.api_key = "sk-secret-key";
  }

  ProviderRequest chat(int max_tokens = 4) {
    ProviderRequest request;
    request.op = Operation::kChatCompletions;
    request.body = json::parse(R"({"model":"fake-model","messages":[{"role":"user","content":"a b c"}]})")
                       .as_object();
    request.body["max_tokens"] = max_tokens;
    request.request_id = "req-42";
    return request;
  }

  Attempt complete(const ProviderRequest& request) {
    return run(context_, provider_.complete(deployment_, request));
  }
  StreamAttempt stream(const ProviderRequest& request, CollectingSink& sink) {
    return run(context_, provider_.stream(deployment_, request, sink));
  }
  // Makes the next request fail with `fault` (the fake's scripted queue).
  void script(std::string_view fault) {
    ASSERT_TRUE(fake_->faults().script(fmt::format(R"(["{}"])", fault)).ok());
  }

  boost::asio::io_context context_;
  OpenAiProvider provider_;
  std::unique_ptr<fake::FakeUpstream> fake_;
  Deployment deployment_;
};

TEST_F(OpenAiProviderTest, CompletePassesTheBodyAndParsesUsage) {
  Attempt attempt = complete(chat());
  ASSERT_TRUE(attempt.ok()) << attempt.failure->message;
  EXPECT_EQ(attempt.response.http_status, 200);
  json::object body = json::parse(attempt.response.body).as_object();
  EXPECT_EQ(body["object"], "chat.completion");
  EXPECT_EQ(attempt.response.usage.prompt_tokens, 3);
  EXPECT_EQ(attempt.response.usage.completion_tokens, 4);
  EXPECT_EQ(attempt.response.usage.cached_tokens, 0);
  EXPECT_TRUE(attempt.response.usage.reported);
  auto stats = fake_->stats().to_json();
  ASSERT_EQ(stats["request_ids"].as_array().size(), 1u);
  EXPECT_EQ(stats["request_ids"].as_array()[0], "req-42");
}

TEST_F(OpenAiProviderTest, CachedTokensAreParsed) {
  fake::FakeUpstreamOptions options;
  options.prompt_cache = true;
  start(options);
  ASSERT_TRUE(complete(chat()).ok());
  Attempt again = complete(chat());
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again.response.usage.cached_tokens, 3);
}

TEST_F(OpenAiProviderTest, ConnectionIsReusedAcrossCalls) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(complete(chat()).ok());
  auto& pool = boost::asio::use_service<ConnectionPool>(context_);
  auto endpoint = parse_endpoint(deployment_.base_url);
  ASSERT_TRUE(endpoint.ok());
  EXPECT_EQ(pool.idle_count(endpoint->pool_key), 1u);
  EXPECT_EQ(fake_->stats().total(), 3);
}

TEST_F(OpenAiProviderTest, WrongKeyIs401AndNeverShowsTheKey) {
  deployment_.api_key = "sk-wrong-key";
  Attempt attempt = complete(chat());
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kHttpStatus);
  EXPECT_EQ(attempt.failure->http_status, 401);
  EXPECT_EQ(attempt.failure->message.find("sk-wrong-key"), std::string::npos);
  EXPECT_NE(attempt.failure->message.find("deployment 'primary'"), std::string::npos)
      << attempt.failure->message;
}

TEST_F(OpenAiProviderTest, RateLimitCarriesRetryAfter) {
  script("429;retry-after=2");
  Attempt attempt = complete(chat());
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kHttpStatus);
  EXPECT_EQ(attempt.failure->http_status, 429);
  ASSERT_TRUE(attempt.failure->retry_after.has_value());
  EXPECT_EQ(*attempt.failure->retry_after, std::chrono::milliseconds(2000));
  EXPECT_NE(attempt.failure->body.find("rate_limit_exceeded"), std::string::npos);
}

TEST_F(OpenAiProviderTest, ServerErrorsAreHttpStatus) {
  for (std::string_view fault : {"500", "503"}) {
    script(fault);
    Attempt attempt = complete(chat());
    ASSERT_FALSE(attempt.ok());
    EXPECT_EQ(attempt.failure->kind, FailureKind::kHttpStatus);
    EXPECT_EQ(std::to_string(attempt.failure->http_status), fault);
    EXPECT_FALSE(attempt.failure->retry_after.has_value());
  }
  EXPECT_TRUE(complete(chat()).ok());  // the connection survives an error answer
}

TEST_F(OpenAiProviderTest, ResetIsReset) {
  script("reset");
  Attempt attempt = complete(chat());
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kReset) << attempt.failure->message;
  EXPECT_TRUE(complete(chat()).ok());
}

TEST_F(OpenAiProviderTest, HangAndSlowFirstByteAreTimeouts) {
  deployment_.first_byte_timeout = std::chrono::milliseconds(50);
  for (std::string_view fault : {"hang", "slow-first-byte=2000"}) {
    script(fault);
    Attempt attempt = complete(chat());
    ASSERT_FALSE(attempt.ok()) << fault;
    EXPECT_EQ(attempt.failure->kind, FailureKind::kTimeout) << attempt.failure->message;
    EXPECT_NE(attempt.failure->message.find("first-byte timeout of 50 ms"), std::string::npos)
        << attempt.failure->message;
  }
}

TEST_F(OpenAiProviderTest, DeadlineCutsTheWait) {
  ProviderRequest request = chat();
  request.deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(30);
  script("hang");
  Attempt attempt = complete(request);
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kTimeout);
  EXPECT_NE(attempt.failure->message.find("deadline"), std::string::npos) << attempt.failure->message;
}

TEST_F(OpenAiProviderTest, ContextOverflow) {
  fake::FakeUpstreamOptions options;
  options.context_window = 5;
  start(options);
  Attempt attempt = complete(chat(4));  // 3 + 4 > 5
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kContextOverflow);
  EXPECT_EQ(attempt.failure->http_status, 400);
}

TEST_F(OpenAiProviderTest, RefusedConnectionIsConnect) {
  uint16_t port = 0;
  {
    boost::asio::ip::tcp::acceptor probe(context_, {boost::asio::ip::make_address("127.0.0.1"), 0});
    port = probe.local_endpoint().port();
  }  // closed: nothing listens there now
  deployment_.base_url = fmt::format("http://127.0.0.1:{}/v1", port);
  Attempt attempt = complete(chat());
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kConnect) << attempt.failure->message;
}

TEST_F(OpenAiProviderTest, BodyThatIsNotJsonIsProtocol) {
  RawServer raw(context_, {{"HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"},
                           {"NOT HTTP AT ALL\r\n\r\n"}});
  deployment_.base_url = raw.base_url();
  Attempt attempt = complete(chat());
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kProtocol) << attempt.failure->message;
  Attempt garbage = complete(chat());
  ASSERT_FALSE(garbage.ok());
  EXPECT_EQ(garbage.failure->kind, FailureKind::kProtocol) << garbage.failure->message;
}

TEST_F(OpenAiProviderTest, ResetOnAPooledConnectionIsNotResent) {
  ASSERT_TRUE(complete(chat()).ok());  // leaves a kept-alive connection in the pool
  script("reset");                     // the server reads the next request, then resets
  Attempt attempt = complete(chat());
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kReset);
  EXPECT_EQ(fake_->stats().total(), 2);  // not sent a second time
}

TEST_F(OpenAiProviderTest, StaleKeptAliveConnectionIsReplacedOnce) {
  std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}";
  // The server answers, keeps nothing alive (closes after each answer) without saying so.
  RawServer raw(context_, {{ok, true}, {ok, true}});
  deployment_.base_url = raw.base_url();
  ASSERT_TRUE(complete(chat()).ok());
  Attempt second = complete(chat());
  ASSERT_TRUE(second.ok()) << second.failure->message;
  EXPECT_EQ(raw.requests(), 2);
  EXPECT_EQ(raw.connections(), 2);
}

TEST_F(OpenAiProviderTest, StreamRelaysChunksAndKeepsUsageOut) {
  CollectingSink sink;
  ProviderRequest request = chat(4);
  StreamAttempt attempt = stream(request, sink);
  ASSERT_TRUE(attempt.ok()) << attempt.failure->message;
  // role chunk, 4 words, finish chunk; no usage-only chunk, no [DONE]
  ASSERT_EQ(sink.events.size(), 6u);
  std::string content;
  for (const auto& event : sink.events) {
    json::object chunk = json::parse(event).as_object();
    EXPECT_FALSE(chunk["choices"].as_array().empty());
    const auto& delta = chunk["choices"].as_array()[0].as_object().at("delta").as_object();
    if (const auto* text = delta.if_contains("content")) content += text->as_string();
  }
  EXPECT_TRUE(attempt.usage.reported);
  EXPECT_EQ(attempt.usage.prompt_tokens, 3);
  EXPECT_EQ(attempt.usage.completion_tokens, 4);
  // The same request not streamed: same content, same usage.
  Attempt plain = complete(chat(4));
  ASSERT_TRUE(plain.ok());
  json::object body = json::parse(plain.response.body).as_object();
  EXPECT_EQ(std::string(body["choices"].as_array()[0].as_object().at("message").as_object().at(
                "content").as_string()),
            content);
  EXPECT_EQ(plain.response.usage.prompt_tokens, attempt.usage.prompt_tokens);
  EXPECT_EQ(plain.response.usage.completion_tokens, attempt.usage.completion_tokens);
}

TEST_F(OpenAiProviderTest, StreamFailuresBeforeTheFirstChunkLeaveTheSinkUntouched) {
  for (std::string_view fault : {"429;retry-after=1", "500", "reset"}) {
    script(fault);
    CollectingSink sink;
    StreamAttempt attempt = stream(chat(), sink);
    ASSERT_FALSE(attempt.ok()) << fault;
    EXPECT_FALSE(sink.started()) << fault;
    EXPECT_EQ(attempt.failure->kind,
              fault == "reset" ? FailureKind::kReset : FailureKind::kHttpStatus);
  }
}

TEST_F(OpenAiProviderTest, CutStreamIsReset) {
  script("cut-after=3");
  CollectingSink sink;
  StreamAttempt attempt = stream(chat(), sink);
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kReset) << attempt.failure->message;
  EXPECT_EQ(sink.events.size(), 3u);
  EXPECT_FALSE(attempt.usage.reported);
  EXPECT_EQ(attempt.usage.completion_tokens, 2);  // the role chunk carries no content
}

TEST_F(OpenAiProviderTest, StreamEndingWithoutDoneIsReset) {
  std::string head =
      "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n";
  std::string event = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"}}]}\n\n";
  std::string body = head + fmt::format("{:x}\r\n{}\r\n0\r\n\r\n", event.size(), event);
  RawServer raw(context_, {{body}});
  deployment_.base_url = raw.base_url();
  CollectingSink sink;
  StreamAttempt attempt = stream(chat(), sink);
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kReset);
  EXPECT_NE(attempt.failure->message.find("[DONE]"), std::string::npos);
  EXPECT_EQ(sink.events.size(), 1u);
}

TEST_F(OpenAiProviderTest, ClientGoneStopsTheStream) {
  CollectingSink sink(/*stop_after=*/2);
  StreamAttempt attempt = stream(chat(8), sink);
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kCancelled);
  EXPECT_EQ(sink.events.size(), 2u);
  EXPECT_TRUE(complete(chat()).ok());  // the abandoned connection was not put back in the pool
}

TEST_F(OpenAiProviderTest, StreamSlowFirstByteIsTimeout) {
  deployment_.first_byte_timeout = std::chrono::milliseconds(50);
  script("slow-first-byte=2000");
  CollectingSink sink;
  StreamAttempt attempt = stream(chat(), sink);
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kTimeout);
  EXPECT_FALSE(sink.started());
}

TEST_F(OpenAiProviderTest, StreamIdleGapIsTimeout) {
  fake::FakeUpstreamOptions options;
  options.chunk_ms = 500;  // the upstream pauses half a second between events
  start(options);
  deployment_.idle_timeout = std::chrono::milliseconds(50);
  CollectingSink sink;
  StreamAttempt attempt = stream(chat(), sink);
  ASSERT_FALSE(attempt.ok());
  EXPECT_EQ(attempt.failure->kind, FailureKind::kTimeout);
  EXPECT_NE(attempt.failure->message.find("idle timeout of 50 ms"), std::string::npos)
      << attempt.failure->message;
}

}  // namespace
}  // namespace anvil::gateway
