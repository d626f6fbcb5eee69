// Async HTTP/1.1 client for upstream calls (Beast, C++20 coroutines): keep-alive connections
// pooled per I/O thread and endpoint (http_connection.h), connect / first-byte / idle timeouts
// under an overall deadline, a response size limit, https with the peer verified against the
// system CAs, and bodies read whole or piece by piece (streams). Every failure is classified
// as a gateway::FailureKind.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "anvil/gateway/http_connection.h"
#include "anvil/gateway/http_endpoint.h"
#include "anvil/gateway/upstream.h"

namespace anvil::gateway {

using HttpRequest = boost::beast::http::request<boost::beast::http::string_body>;

struct HttpError {
  FailureKind kind = FailureKind::kConnect;  // kConnect, kTimeout, kReset or kProtocol
  std::string message;                       // what failed, naming the endpoint
};

// Limits of one call. Each timeout is also cut short by `deadline` (when set).
struct HttpCallLimits {
  std::chrono::milliseconds connect_timeout{5000};      // TCP connect + TLS handshake
  std::chrono::milliseconds first_byte_timeout{60000};  // request written -> response head read
  std::chrono::milliseconds idle_timeout{60000};        // between two reads of the body
  std::chrono::steady_clock::time_point deadline{};     // the whole call; {} = none
  size_t max_body_bytes = 16u << 20;                    // 0 = no limit (streams)
};

struct HttpClientOptions {
  TlsSettings tls;
  size_t max_idle_per_endpoint = 1024;             // pooled idle connections per thread and key
  std::chrono::milliseconds max_idle_time{30000};  // older idle connections are not reused
};

class HttpResponse;

struct HttpResult {
  std::optional<HttpError> error;
  std::unique_ptr<HttpResponse> response;  // set when !error: the head is read, the body is not
  bool ok() const { return !error.has_value(); }
};

// A response whose head has been read. Read the body with read_body() or read_some(); once the
// body is complete the connection goes back to its pool (if the server keeps it alive);
// destroying the response earlier closes the connection (e.g. a stream the client left).
class HttpResponse {
 public:
  ~HttpResponse();
  HttpResponse(const HttpResponse&) = delete;
  HttpResponse& operator=(const HttpResponse&) = delete;

  int status() const;
  // A header's value; "" when absent.
  std::string_view header(std::string_view name) const;
  bool done() const;  // the whole body has been read

  // Appends the rest of the body to `out`.
  boost::asio::awaitable<std::optional<HttpError>> read_body(std::string& out);
  // Replaces `out` with the next piece of the body (possibly empty when only framing arrived);
  // at the end of the body done() becomes true.
  boost::asio::awaitable<std::optional<HttpError>> read_some(std::string& out);

 private:
  friend class HttpClient;
  struct State;
  explicit HttpResponse(std::unique_ptr<State> state);
  std::unique_ptr<State> state_;
};

// Stateless apart from its options; share one among threads. The pool used is the one of the
// io_context the calling coroutine runs on.
class HttpClient {
 public:
  explicit HttpClient(HttpClientOptions options = {}) : options_(std::move(options)) {}

  // Sends `request` (method, target, body and own headers set by the caller; Host,
  // Content-Length and keep-alive are set here) and reads the response head. A pooled
  // connection the server had closed is detected and the request sent again once on a fresh
  // connection, but only when nothing of the response was read.
  boost::asio::awaitable<HttpResult> send(const HttpEndpoint& endpoint, HttpRequest& request,
                                          const HttpCallLimits& limits) const;

  const HttpClientOptions& options() const { return options_; }

 private:
  HttpClientOptions options_;
};

}  // namespace anvil::gateway
