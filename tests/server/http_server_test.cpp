// The HTTP layer against a real server on a free port: keep-alive, pipelining, routing errors,
// size limits, timeouts, admission and graceful shutdown.
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "server/test_server.h"

namespace anvil::server {
namespace {

using testing::Client;
using testing::TestServer;
using testing::test_options;

TEST(HttpServer, ServesSeveralRequestsOnOneKeepAliveConnection) {
  TestServer ts;
  Client c(ts.port());
  for (const char* path : {"/health", "/ready", "/v1/models", "/health"}) {
    auto r = c.get(path);
    ASSERT_TRUE(r) << path;
    EXPECT_EQ(r->status, 200) << path;
    EXPECT_EQ(r->header("connection"), "") << path;  // keep-alive is HTTP/1.1's default
    EXPECT_TRUE(r->header("x-request-id").starts_with("req_")) << path;
  }
  auto models = c.get("/v1/models");
  ASSERT_TRUE(models);
  EXPECT_EQ(models->body,
            R"({"object":"list","data":[{"id":"test-model","object":"model","created":0,"owned_by":"anvil"},)"
            R"({"id":"other-model","object":"model","created":0,"owned_by":"anvil"}]})");
}

TEST(HttpServer, EchoesASaneClientRequestIdAndReplacesABadOne) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.get("/health", "X-Request-Id: my-trace-42\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("x-request-id"), "my-trace-42");
  r = c.get("/health", "X-Request-Id: has space\r\n");
  ASSERT_TRUE(r);
  EXPECT_TRUE(r->header("x-request-id").starts_with("req_"));
  EXPECT_EQ(r->header("x-request-id").size(), 28u);
}

TEST(HttpServer, AnswersPipelinedRequestsInOrder) {
  TestServer ts;
  Client c(ts.port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\n\r\nGET /nope HTTP/1.1\r\nHost: x\r\n\r\n"
                     "GET /ready HTTP/1.1\r\nHost: x\r\n\r\n"));
  auto a = c.read_response();
  auto b = c.read_response();
  auto d = c.read_response();
  ASSERT_TRUE(a && b && d);
  EXPECT_EQ(a->status, 200);
  EXPECT_EQ(b->status, 404);
  EXPECT_EQ(d->status, 200);
  EXPECT_EQ(d->body, R"({"status":"ready"})");
}

TEST(HttpServer, UnknownPathIs404AndWrongMethodIs405InOpenAIErrorShape) {
  TestServer ts;
  Client c(ts.port());
  auto r = c.get("/v1/nothing?x=1");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->header("content-type"), "application/json");
  EXPECT_EQ(r->body,
            R"({"error":{"message":"Invalid URL (GET /v1/nothing): expected one of Anvil's routes )"
            R"x((see GET /v1/models and docs/SERVER.md)","type":"invalid_request_error","param":null,)x"
            R"("code":"unknown_url"}})");
  r = c.get("/v1/chat/completions");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->header("allow"), "POST");
  EXPECT_EQ(r->body,
            R"({"error":{"message":"Method GET is not allowed on /v1/chat/completions: expected )"
            R"(POST","type":"invalid_request_error","param":null,"code":"method_not_allowed"}})");
  // The connection survives both.
  r = c.get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, BodyOverTheLimitIs413AndClosesTheConnection) {
  auto o = test_options();
  o.max_body_bytes = 1024;
  TestServer ts(o);
  Client c(ts.port());
  auto r = c.post("/v1/chat/completions", std::string(2048, 'x'));
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_EQ(r->body,
            R"({"error":{"message":"The request body is over the server's limit of 1024 bytes )"
            R"x((server.max_body_bytes)","type":"invalid_request_error","param":null,)x"
            R"("code":"body_too_large"}})");
  EXPECT_EQ(c.read_until_closed(), "");
}

TEST(HttpServer, ChunkedBodyOverTheLimitIs413) {
  auto o = test_options();
  o.max_body_bytes = 1024;
  TestServer ts(o);
  Client c(ts.port());
  std::string chunk(800, 'x');
  ASSERT_TRUE(c.send("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n" +
                     fmt::format("{:x}\r\n{}\r\n{:x}\r\n{}\r\n0\r\n\r\n", chunk.size(), chunk,
                                 chunk.size(), chunk)));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 413);
}

TEST(HttpServer, HeadersOverTheLimitAre431) {
  auto o = test_options();
  o.max_header_bytes = 1024;
  TestServer ts(o);
  Client c(ts.port());
  auto r = c.get("/health", "X-Big: " + std::string(2000, 'a') + "\r\n");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 431);
  EXPECT_EQ(r->header("connection"), "close");
  EXPECT_NE(r->body.find("over the server's limit of 1024 bytes (server.max_header_bytes)"),
            std::string::npos);
}

TEST(HttpServer, MalformedRequestIs400) {
  TestServer ts;
  Client c(ts.port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
  EXPECT_EQ(r->header("connection"), "close");
}

// Slowloris: headers trickling in are cut off at the header timeout, without a response.
TEST(HttpServer, HeaderTimeoutClosesASlowClient) {
  auto o = test_options();
  o.header_timeout = std::chrono::milliseconds(50);
  TestServer ts(o);
  Client c(ts.port());
  ASSERT_TRUE(c.send("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  EXPECT_EQ(c.read_until_closed(), "");
}

TEST(HttpServer, BodyTimeoutClosesAClientThatStopsSending) {
  auto o = test_options();
  o.body_timeout = std::chrono::milliseconds(50);
  TestServer ts(o);
  Client c(ts.port());
  ASSERT_TRUE(c.send("POST /v1/embeddings HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"a\":"));
  EXPECT_EQ(c.read_until_closed(), "");
}

TEST(HttpServer, IdleKeepAliveConnectionIsClosedAfterTheIdleTimeout) {
  auto o = test_options();
  o.idle_timeout = std::chrono::milliseconds(50);
  TestServer ts(o);
  Client c(ts.port());
  auto r = c.get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(c.read_until_closed(), "");
}

TEST(HttpServer, ClosesConnectionsOverMaxConnections) {
  auto o = test_options();
  o.threads = 1;
  o.max_connections = 1;
  TestServer ts(o);
  Client first(ts.port());
  auto r = first.get("/health");  // the first connection is registered once this answers
  ASSERT_TRUE(r);
  Client second(ts.port());
  EXPECT_EQ(second.read_until_closed(), "");
  r = first.get("/health");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(HttpServer, AnswersContinueToExpect100) {
  TestServer ts;
  Client c(ts.port());
  ASSERT_TRUE(c.send("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\n"
                     "Expect: 100-continue\r\n\r\n"));
  auto cont = c.read_head();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  ASSERT_TRUE(c.send("{}"));
  auto r = c.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 400);
}

std::string chat_body(bool stream = false) {
  return fmt::format(R"({{"model":"test-model","messages":[{{"role":"user","content":"hi"}}],"stream":{}}})",
                     stream ? "true" : "false");
}

// Full admission: one request runs, one waits, the third is told to come back later.
TEST(HttpServer, AdmissionQueuesThenAnswers429WithRetryAfter) {
  auto o = test_options();
  o.max_in_flight = 1;
  o.queue_depth = 1;
  o.retry_after = std::chrono::seconds(7);
  TestServer ts(o);
  ts.gateway.gate = &ts.release;

  Client a(ts.port());
  ASSERT_TRUE(a.send_post("/v1/chat/completions", chat_body()));
  ts.release.wait_entered(1);  // a is in flight, held by the gateway

  Client b(ts.port());
  ASSERT_TRUE(b.send_post("/v1/chat/completions", chat_body()));
  while (ts.server->queued() < 1) std::this_thread::yield();  // b waits for a slot

  Client c(ts.port());
  auto rejected = c.post("/v1/chat/completions", chat_body());
  ASSERT_TRUE(rejected);
  EXPECT_EQ(rejected->status, 429);
  EXPECT_EQ(rejected->header("retry-after"), "7");
  EXPECT_NE(rejected->body.find(R"("type":"rate_limit_error","param":null,"code":"server_overloaded")"),
            std::string::npos);
  // Routes outside admission still answer while the API is full.
  auto health = c.get("/health");
  ASSERT_TRUE(health);
  EXPECT_EQ(health->status, 200);

  ts.release.open();
  auto ra = a.read_response();
  auto rb = b.read_response();
  ASSERT_TRUE(ra && rb);
  EXPECT_EQ(ra->status, 200);
  EXPECT_EQ(rb->status, 200);
  EXPECT_EQ(ts.server->queued(), 0u);  // b left the queue before it was answered
}

// A request that waits in the queue longer than queue_timeout is answered 503 with Retry-After
// instead of waiting for the slot forever; the request holding the slot is unaffected.
TEST(HttpServer, AQueuedRequestPastTheQueueTimeoutIs503WithRetryAfter) {
  auto o = test_options();
  o.max_in_flight = 1;
  o.queue_depth = 4;
  o.queue_timeout = std::chrono::milliseconds(1);
  o.retry_after = std::chrono::seconds(3);
  TestServer ts(o);
  ts.gateway.gate = &ts.release;

  Client a(ts.port());
  ASSERT_TRUE(a.send_post("/v1/chat/completions", chat_body()));
  ts.release.wait_entered(1);  // a holds the only slot

  Client b(ts.port());
  auto timed_out = b.post("/v1/chat/completions", chat_body());
  ASSERT_TRUE(timed_out);
  EXPECT_EQ(timed_out->status, 503);
  EXPECT_EQ(timed_out->header("retry-after"), "3");
  EXPECT_EQ(timed_out->body,
            R"({"error":{"message":"The server is at capacity: the request waited 1 ms in the )"
            R"(admission queue (server.queue_timeout_ms) without getting a slot; retry after the )"
            R"(time in Retry-After","type":"server_error","param":null,"code":"queue_timeout"}})");
  EXPECT_EQ(ts.server->queued(), 0u);

  ts.release.open();
  auto ra = a.read_response();
  ASSERT_TRUE(ra);
  EXPECT_EQ(ra->status, 200);
  // The connection that timed out is kept and served once a slot is free.
  auto again = b.post("/v1/chat/completions", chat_body());
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 200);
}

// SIGTERM's path: in-flight requests and streams finish, idle connections close, new API
// requests get 503, /ready turns 503, and the threads end.
TEST(HttpServer, GracefulShutdownDrainsInFlightRequestsAndStreams) {
  TestServer ts;
  ts.gateway.gate = &ts.release;
  ts.gateway.stream_events = 3;

  Client plain(ts.port());
  ASSERT_TRUE(plain.send_post("/v1/chat/completions", chat_body()));
  Client streamed(ts.port());
  ASSERT_TRUE(streamed.send_post("/v1/chat/completions", chat_body(true)));
  ts.release.wait_entered(2);  // both calls are inside the gateway
  auto head = streamed.read_head();
  ASSERT_TRUE(head);
  auto first = streamed.read_chunk();
  ASSERT_TRUE(first);
  EXPECT_TRUE(first->starts_with("data: {"));

  Client idle(ts.port());
  ASSERT_TRUE(idle.get("/health"));
  // Requests already being read when the shutdown starts are answered. "Expect: 100-continue"
  // tells the test when the server has read their headers and waits for the body.
  Client ready(ts.port());
  ASSERT_TRUE(ready.send("GET /ready HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n"
                         "Expect: 100-continue\r\n\r\n"));
  auto cont = ready.read_head();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);
  Client late(ts.port());
  std::string late_body = chat_body();
  ASSERT_TRUE(late.send(fmt::format("POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\n"
                                    "Content-Length: {}\r\nExpect: 100-continue\r\n\r\n",
                                    late_body.size())));
  cont = late.read_head();
  ASSERT_TRUE(cont);
  EXPECT_EQ(cont->status, 100);

  ts.server->shutdown();
  EXPECT_TRUE(ts.server->draining());
  EXPECT_EQ(idle.read_until_closed(), "");

  ASSERT_TRUE(ready.send("x"));
  auto r = ready.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body, R"({"status":"draining"})");
  EXPECT_EQ(r->header("connection"), "close");

  ASSERT_TRUE(late.send(late_body));
  r = late.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->header("retry-after"), "1");
  EXPECT_NE(r->body.find(R"("code":"server_shutting_down")"), std::string::npos);

  ts.release.open();
  r = plain.read_response();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->header("connection"), "close");
  std::string rest;
  for (;;) {
    auto chunk = streamed.read_chunk();
    ASSERT_TRUE(chunk);
    if (chunk->empty()) break;
    rest += *chunk;
  }
  EXPECT_TRUE(rest.ends_with("data: [DONE]\n\n")) << rest;
  ts.server->wait();  // every I/O thread ends once its connections are done
  EXPECT_EQ(ts.server->open_connections(), 0u);
}

TEST(HttpServer, DrainTimeoutClosesWhatIsStillRunning) {
  auto o = test_options();
  o.drain_timeout = std::chrono::milliseconds(20);
  TestServer ts(o);
  ts.gateway.gate = &ts.release;
  Client c(ts.port());
  ASSERT_TRUE(c.send_post("/v1/chat/completions", chat_body()));
  ts.release.wait_entered(1);
  ts.server->shutdown();
  ts.server->wait();
  EXPECT_EQ(c.read_until_closed(), "");
}

TEST(HttpServer, MetricsCountRequestsByRouteMethodAndStatus) {
  TestServer ts;
  Client c(ts.port());
  ASSERT_TRUE(c.get("/health"));
  ASSERT_TRUE(c.get("/health"));
  ASSERT_TRUE(c.get("/missing"));
  auto r = c.get("/metrics");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->header("content-type"), "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_NE(r->body.find(R"(anvil_http_requests_total{route="/health",method="GET",status="200"} 2)"),
            std::string::npos)
      << r->body;
  EXPECT_NE(r->body.find(R"(anvil_http_requests_total{route="unmatched",method="GET",status="404"} 1)"),
            std::string::npos);
  EXPECT_NE(r->body.find(R"(anvil_http_request_duration_seconds_count{route="/health"} 2)"),
            std::string::npos);
  EXPECT_NE(r->body.find("anvil_http_open_connections 1"), std::string::npos);
}

}  // namespace
}  // namespace anvil::server
