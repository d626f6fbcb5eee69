// The OpenAI routes through a real server and the fake gateway: JSON answers, validation and
// model errors, failure-to-status mapping, and SSE framing (chunks, usage, [DONE], errors after
// the first byte, a client that leaves).
#include <string>

#include <gtest/gtest.h>

#include "server/test_server.h"

namespace anvil::server {
namespace {

using gateway::FailureKind;
using gateway::UpstreamFailure;
using testing::Client;
using testing::TestServer;

constexpr std::string_view kChat = "/v1/chat/completions";

std::string chat(std::string_view extra = "", std::string_view model = "test-model") {
  return fmt::format(R"({{"model":"{}","messages":[{{"role":"user","content":"hi"}}]{}}})", model,
                     extra);
}

const std::string kChunk0 =
    R"({"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1700000000,"model":"up-model","choices":[{"index":0,"delta":{"content":"t0"}}]})";
const std::string kChunk1 =
    R"({"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1700000000,"model":"up-model","choices":[{"index":0,"delta":{"content":"t1"}}]})";

TEST(OpenAiRoutes, ChatCompletionAnswersWithTheGatewaysBody) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.post(kChat, chat(), "X-Request-Id: abc-1\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->header("x-anvil-deployment"), "fake-deployment");
  EXPECT_EQ(r->body,
            R"({"id":"chatcmpl-1","object":"chat","model":"test-model","choices":[{"index":0,"message":{"role":"assistant","content":"hello"},"finish_reason":"stop"}]})");
  std::lock_guard lock(ts.gateway.mu);
  EXPECT_EQ(ts.gateway.last_request_id, "abc-1");
  EXPECT_EQ(ts.gateway.last_body.at("model").as_string(), "test-model");
}

TEST(OpenAiRoutes, EveryOperationReachesTheGateway) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.post("/v1/completions", R"({"model":"test-model","prompt":"once"})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.post("/v1/embeddings", R"({"model":"test-model","input":["a","b"]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  r = c.post("/v1/rerank", R"({"model":"test-model","query":"q","documents":["a",{"text":"b"}]})");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  std::lock_guard lock(ts.gateway.mu);
  EXPECT_EQ(ts.gateway.calls, 3);
}

TEST(OpenAiRoutes, InvalidBodyIs400NamingTheParameter) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.post(kChat, chat(R"(,"temperature":3)"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body,
            R"({"error":{"message":"invalid 'temperature': expected a number between 0 and 2, found number 3",)"
            R"("type":"invalid_request_error","param":"temperature","code":null}})");
  r = c.post(kChat, R"({"model":"test-model",)");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body,
            R"({"error":{"message":"The request body is not valid JSON: invalid JSON at line 1, column 23: )"
            R"(incomplete JSON","type":"invalid_request_error","param":null,"code":null}})");
  r = c.post(kChat, "[1]");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->body,
            R"({"error":{"message":"The request body must be a JSON object: expected an object, found an array of 1 element",)"
            R"("type":"invalid_request_error","param":null,"code":null}})");
  std::lock_guard lock(ts.gateway.mu);
  EXPECT_EQ(ts.gateway.calls, 0);
}

TEST(OpenAiRoutes, UnknownModelIs404ModelNotFound) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.post(kChat, chat("", "gpt-9"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->body,
            R"({"error":{"message":"The model 'gpt-9' does not exist: expected one of test-model, other-model",)"
            R"("type":"invalid_request_error","param":"model","code":"model_not_found"}})");
}

TEST(OpenAiRoutes, BadTagsHeaderIs400) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.post(kChat, chat(), "X-Anvil-Tags: =x\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_NE(r->body.find(R"(invalid 'X-Anvil-Tags': expected key=value items, found '=x')"),
            std::string::npos);
}

struct FailureCase {
  UpstreamFailure failure;
  int status;
  std::string retry_after;
  std::string body;
};

TEST(OpenAiRoutes, GatewayFailuresMapToStatuses) {
  std::vector<FailureCase> cases = {
      {{FailureKind::kHttpStatus, 429, std::chrono::milliseconds(2500), "dep-a: 429", ""},
       429,
       "3",
       R"({"error":{"message":"Model 'test-model' is rate limited upstream: dep-a: 429","type":"rate_limit_error","param":null,"code":"rate_limit_exceeded"}})"},
      {{FailureKind::kTimeout, 0, std::nullopt, "dep-a: no first byte in 60000 ms", ""},
       504,
       "",
       R"({"error":{"message":"No answer from model 'test-model' in time: dep-a: no first byte in 60000 ms","type":"server_error","param":null,"code":"upstream_timeout"}})"},
      {{FailureKind::kHttpStatus, 503, std::nullopt, "dep-a: HTTP 503", ""},
       502,
       "",
       R"({"error":{"message":"Model 'test-model' failed upstream: dep-a: HTTP 503","type":"server_error","param":null,"code":"upstream_error"}})"},
      {{FailureKind::kReset, 0, std::nullopt, "dep-a: connection reset", ""},
       502,
       "",
       R"({"error":{"message":"Model 'test-model' failed upstream (reset): dep-a: connection reset","type":"server_error","param":null,"code":"upstream_error"}})"},
      {{FailureKind::kContextOverflow, 0, std::nullopt, "5000 tokens > 4096 of dep-a", ""},
       400,
       "",
       R"({"error":{"message":"The prompt does not fit the context window of model 'test-model': 5000 tokens > 4096 of dep-a","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}})"},
      {{FailureKind::kHttpStatus, 400, std::nullopt, "dep-a: HTTP 400",
        R"({"error":{"message":"bad logit_bias","type":"invalid_request_error"}})"},
       400,
       "",
       R"({"error":{"message":"Model 'test-model' rejected the request: bad logit_bias","type":"invalid_request_error","param":null,"code":null}})"},
      // The upstream's param and code reach the client (a local encoder names the input).
      {{FailureKind::kHttpStatus, 400, std::nullopt, "dep-a: HTTP 400",
        R"({"error":{"message":"input[2] has 700 tokens","type":"invalid_request_error","param":"input[2]","code":"unsupported_operation"}})"},
       400,
       "",
       R"({"error":{"message":"Model 'test-model' rejected the request: input[2] has 700 tokens","type":"invalid_request_error","param":"input[2]","code":"unsupported_operation"}})"},
      {{FailureKind::kContextOverflow, 0, std::nullopt, "700 tokens > 512",
        R"({"error":{"message":"too long","type":"invalid_request_error","param":"input"}})"},
       400,
       "",
       R"({"error":{"message":"The prompt does not fit the context window of model 'test-model': 700 tokens > 512","type":"invalid_request_error","param":"input","code":"context_length_exceeded"}})"},
  };
  TestServer ts;
  Client c(ts.port());
  for (const FailureCase& fc : cases) {
    ts.gateway.failure = fc.failure;
    auto r = c.post(kChat, chat());
    ASSERT_TRUE(r);
    EXPECT_EQ(r->status, fc.status) << fc.body;
    EXPECT_EQ(r->header("retry-after"), fc.retry_after) << fc.body;
    EXPECT_EQ(r->body, fc.body);
  }
}

// Reads a chunked SSE body to its end.
std::string read_stream(Client& c) {
  std::string body;
  for (;;) {
    auto chunk = c.read_chunk();
    if (!chunk || chunk->empty()) return body;
    body += *chunk;
  }
}

TEST(OpenAiRoutes, StreamFramesEveryChunkAsSseAndEndsWithDone) {
  TestServer ts;
  ts.gateway.stream_events = 2;
  Client c(ts.port());
  ASSERT_TRUE(c.send_post(kChat, chat(R"(,"stream":true)")));
  auto head = c.read_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(head->header("content-type"), "text/event-stream; charset=utf-8");
  EXPECT_EQ(head->header("transfer-encoding"), "chunked");
  EXPECT_EQ(head->header("cache-control"), "no-cache");
  EXPECT_EQ(read_stream(c), "data: " + kChunk0 + "\n\ndata: " + kChunk1 + "\n\ndata: [DONE]\n\n");
  // The connection stays usable.
  auto r = c.get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(OpenAiRoutes, StreamWithIncludeUsageEndsWithAUsageChunk) {
  TestServer ts;
  ts.gateway.stream_events = 1;
  Client c(ts.port());
  ASSERT_TRUE(c.send_post(kChat, chat(R"(,"stream":true,"stream_options":{"include_usage":true})")));
  ASSERT_TRUE(c.read_head());
  EXPECT_EQ(read_stream(c),
            "data: " + kChunk0 +
                "\n\n"
                R"(data: {"id":"chatcmpl-s1","object":"chat.completion.chunk","created":1700000000,)"
                R"("model":"up-model","choices":[],"usage":{"prompt_tokens":7,"completion_tokens":3,)"
                R"("total_tokens":10,"prompt_tokens_details":{"cached_tokens":2}}})"
                "\n\ndata: [DONE]\n\n");
}

TEST(OpenAiRoutes, StreamFailureBeforeTheFirstChunkIsAPlainError) {
  TestServer ts;
  ts.gateway.failure = UpstreamFailure{FailureKind::kConnect, 0, std::nullopt, "dep-a: refused", ""};
  Client c(ts.port());
  auto r = c.post(kChat, chat(R"(,"stream":true)"));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 502);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_NE(r->body.find(R"("code":"upstream_error")"), std::string::npos);
}

TEST(OpenAiRoutes, StreamFailureAfterTheFirstChunkIsAnErrorEventThenClose) {
  TestServer ts;
  ts.gateway.stream_events = 5;
  ts.gateway.fail_after_events = 1;
  ts.gateway.failure = UpstreamFailure{FailureKind::kReset, 0, std::nullopt, "dep-a: stream cut", ""};
  Client c(ts.port());
  ASSERT_TRUE(c.send_post(kChat, chat(R"(,"stream":true)")));
  auto head = c.read_head();
  ASSERT_TRUE(head);
  EXPECT_EQ(head->status, 200);
  EXPECT_EQ(read_stream(c),
            "data: " + kChunk0 +
                "\n\nevent: error\n"
                R"(data: {"error":{"message":"Model 'test-model' failed upstream (reset): dep-a: stream cut",)"
                R"("type":"server_error","param":null,"code":"upstream_error"}})"
                "\n\n");
  EXPECT_EQ(c.read_until_closed(), "");
}

TEST(OpenAiRoutes, ClientDisconnectStopsTheStream) {
  TestServer ts;
  ts.gateway.stream_events = -1;  // endless until write_event() returns false
  Client c(ts.port());
  ASSERT_TRUE(c.send_post(kChat, chat(R"(,"stream":true)")));
  ASSERT_TRUE(c.read_head());
  auto first = c.read_chunk();
  ASSERT_TRUE(first);
  EXPECT_EQ(*first, "data: " + kChunk0 + "\n\n");
  c.close();
  ts.gateway.wait_client_went_away();  // returns only if the sink reported the client gone
  std::lock_guard lock(ts.gateway.mu);
  EXPECT_TRUE(ts.gateway.client_went_away);
}

}  // namespace
}  // namespace anvil::server
