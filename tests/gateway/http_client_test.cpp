#include "anvil/gateway/http_client.h"

#include <chrono>
#include <string>

#include <gtest/gtest.h>

#include "anvil/gateway/http_endpoint.h"
#include "anvil/gateway/retry_after.h"
#include "fake_upstream/fake_upstream.h"
#include "gateway/upstream_test_util.h"

namespace anvil::gateway {
namespace {

using namespace std::chrono_literals;
using testing::RawServer;
using testing::run;
namespace asio = boost::asio;
namespace http = boost::beast::http;

TEST(HttpEndpoint, ParsesSchemeHostPortAndPath) {
  auto local = parse_endpoint("http://127.0.0.1:8081/v1/");
  ASSERT_TRUE(local.ok()) << local.status().message();
  EXPECT_FALSE(local->tls);
  EXPECT_EQ(local->host, "127.0.0.1");
  EXPECT_EQ(local->port, 8081);
  EXPECT_EQ(local->base_path, "/v1");
  EXPECT_EQ(local->host_header, "127.0.0.1:8081");
  EXPECT_EQ(local->pool_key, "http://127.0.0.1:8081");

  auto hosted = parse_endpoint("https://api.openai.com/v1");
  ASSERT_TRUE(hosted.ok());
  EXPECT_TRUE(hosted->tls);
  EXPECT_EQ(hosted->port, 443);
  EXPECT_EQ(hosted->host_header, "api.openai.com");

  auto v6 = parse_endpoint("http://[::1]:9000");
  ASSERT_TRUE(v6.ok());
  EXPECT_EQ(v6->host, "::1");
  EXPECT_EQ(v6->base_path, "");
  EXPECT_EQ(v6->host_header, "[::1]:9000");
}

TEST(HttpEndpoint, RejectsWhatItCannotCall) {
  auto ftp = parse_endpoint("ftp://x/v1");
  ASSERT_FALSE(ftp.ok());
  EXPECT_EQ(ftp.status().message(),
            "base URL 'ftp://x/v1': expected the scheme http or https, found 'ftp'");
  EXPECT_FALSE(parse_endpoint("not a url").ok());
  EXPECT_FALSE(parse_endpoint("http://user:pw@host/v1").ok());
  EXPECT_FALSE(parse_endpoint("http://host:0/v1").ok());
}

TEST(RetryAfter, DelaySecondsAndHttpDatesClamped) {
  auto now = std::chrono::system_clock::from_time_t(1445412480);  // Wed, 21 Oct 2015 07:28:00 GMT
  EXPECT_EQ(parse_retry_after("2", now), 2000ms);
  EXPECT_EQ(parse_retry_after(" 1.5 ", now), 1500ms);
  EXPECT_EQ(parse_retry_after("0", now), 0ms);
  EXPECT_EQ(parse_retry_after("3600", now), 60000ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", now), 30000ms);
  EXPECT_EQ(parse_retry_after("Wednesday, 21-Oct-15 07:28:10 GMT", now), 10000ms);
  EXPECT_EQ(parse_retry_after("Wed Oct 21 07:28:05 2015", now), 5000ms);
  EXPECT_EQ(parse_retry_after("Wed, 21 Oct 2015 07:00:00 GMT", now), 0ms);  // in the past
  EXPECT_EQ(parse_retry_after("Thu, 22 Oct 2015 07:28:00 GMT", now), 60000ms);
  EXPECT_FALSE(parse_retry_after("-1", now).has_value());
  EXPECT_FALSE(parse_retry_after("soon", now).has_value());
  EXPECT_EQ(parse_retry_after_ms("250"), 250ms);
}

HttpRequest get(std::string target) { return HttpRequest{http::verb::get, std::move(target), 11}; }

TEST(HttpClient, ReadsWholeBodiesAndPoolsTheConnection) {
  asio::io_context context;
  std::string ok = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello";
  RawServer server(context, {{ok}, {ok}});
  auto endpoint = parse_endpoint(server.base_url());
  HttpClient client;
  for (int i = 0; i < 2; ++i) {
    std::string body;
    auto error = run(context, [&]() -> asio::awaitable<std::optional<HttpError>> {
      HttpRequest request = get("/v1/x");
      HttpResult result = co_await client.send(*endpoint, request, {});
      if (!result.ok()) co_return result.error;
      co_return co_await result.response->read_body(body);
    }());
    ASSERT_FALSE(error) << error->message;
    EXPECT_EQ(body, "hello");
  }
  EXPECT_EQ(server.connections(), 1);
  EXPECT_EQ(asio::use_service<ConnectionPool>(context).idle_count(endpoint->pool_key), 1u);
}

TEST(HttpClient, SendsOneMessageWithHostLengthAndTheCallersHeaders) {
  asio::io_context context;
  RawServer server(context, {{"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"}});
  auto endpoint = parse_endpoint(server.base_url());
  HttpClient client;
  auto error = run(context, [&]() -> asio::awaitable<std::optional<HttpError>> {
    HttpRequest request{http::verb::post, "/v1/chat/completions", 11};
    request.set(http::field::content_type, "application/json");
    request.set("X-Request-Id", "req-7");
    request.body() = R"({"model":"m"})";
    HttpResult result = co_await client.send(*endpoint, request, {});
    if (!result.ok()) co_return result.error;
    std::string body;
    co_return co_await result.response->read_body(body);
  }());
  ASSERT_FALSE(error) << error->message;
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received()[0],
            "POST /v1/chat/completions HTTP/1.1\r\nHost: 127.0.0.1:" + std::to_string(server.port()) +
                "\r\nContent-Type: application/json\r\nX-Request-Id: req-7\r\n"
                "Content-Length: 13\r\n\r\n{\"model\":\"m\"}");
}

TEST(HttpClient, ReadsABodyThatArrivesAfterItsHead) {
  // 4 MiB cannot come with the head in one read: read_body goes on reading after what was
  // buffered, and the connection is pooled once the body is whole.
  asio::io_context context;
  std::string big(4u << 20, 'x');
  RawServer server(context, {{"HTTP/1.1 200 OK\r\nContent-Length: " + std::to_string(big.size()) +
                              "\r\n\r\n" + big}});
  auto endpoint = parse_endpoint(server.base_url());
  HttpClient client;
  std::string body = "prefix:";
  auto error = run(context, [&]() -> asio::awaitable<std::optional<HttpError>> {
    HttpRequest request = get("/v1/x");
    HttpResult result = co_await client.send(*endpoint, request, {});
    if (!result.ok()) co_return result.error;
    co_return co_await result.response->read_body(body);
  }());
  ASSERT_FALSE(error) << error->message;
  EXPECT_EQ(body, "prefix:" + big);
  EXPECT_EQ(asio::use_service<ConnectionPool>(context).idle_count(endpoint->pool_key), 1u);
}

TEST(HttpClient, BodyOverTheLimitIsProtocol) {
  asio::io_context context;
  RawServer server(context, {{"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n" + std::string(100, 'x')}});
  auto endpoint = parse_endpoint(server.base_url());
  HttpClient client;
  HttpCallLimits limits;
  limits.max_body_bytes = 10;
  auto error = run(context, [&]() -> asio::awaitable<std::optional<HttpError>> {
    HttpRequest request = get("/v1/x");
    HttpResult result = co_await client.send(*endpoint, request, limits);
    if (!result.ok()) co_return result.error;
    std::string body;
    co_return co_await result.response->read_body(body);
  }());
  ASSERT_TRUE(error);
  EXPECT_EQ(error->kind, FailureKind::kProtocol);
  EXPECT_NE(error->message.find("limit of 10 bytes"), std::string::npos) << error->message;
}

TEST(HttpClient, TlsHandshakeWithAPlainServerIsConnect) {
  // A plain HTTP server answers the ClientHello with a 400 in clear text: not TLS.
  auto server = fake::FakeUpstream::start({});
  ASSERT_TRUE(server.ok());
  asio::io_context context;
  auto endpoint = parse_endpoint("https://127.0.0.1:" + std::to_string((*server)->port()) + "/v1");
  HttpClient client;
  auto result = run(context, [&]() -> asio::awaitable<std::optional<HttpError>> {
    HttpRequest request = get("/v1/x");
    HttpResult sent = co_await client.send(*endpoint, request, {});
    co_return sent.error;
  }());
  ASSERT_TRUE(result);
  EXPECT_EQ(result->kind, FailureKind::kConnect) << result->message;
  EXPECT_NE(result->message.find("TLS handshake failed"), std::string::npos) << result->message;
}

TEST(HttpClient, ChunkedBodyReadPieceByPiece) {
  asio::io_context context;
  RawServer server(context, {{"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
                              "3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"}});
  auto endpoint = parse_endpoint(server.base_url());
  HttpClient client;
  std::string all;
  auto error = run(context, [&]() -> asio::awaitable<std::optional<HttpError>> {
    HttpRequest request = get("/v1/x");
    HttpCallLimits limits;
    limits.max_body_bytes = 0;
    HttpResult result = co_await client.send(*endpoint, request, limits);
    if (!result.ok()) co_return result.error;
    std::string piece;
    while (!result.response->done()) {
      if (auto e = co_await result.response->read_some(piece)) co_return e;
      all += piece;
    }
    co_return std::nullopt;
  }());
  ASSERT_FALSE(error) << error->message;
  EXPECT_EQ(all, "abcde");
}

}  // namespace
}  // namespace anvil::gateway
