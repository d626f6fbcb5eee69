// One request and its response as a route handler sees them: the parsed request, the path
// parameters of its route, the request id, and the ways to answer (a whole body, or a chunked
// stream for SSE). The connection behind it is a ResponseChannel.
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/http/string_body.hpp>

#include "anvil/gateway/http_wire.h"

namespace anvil::server {

using HttpMessage = boost::beast::http::request<boost::beast::http::string_body>;

// The request as parsed by Beast, with its target split into path and query.
class HttpRequest {
 public:
  HttpRequest() = default;
  explicit HttpRequest(const HttpMessage& message);

  boost::beast::http::verb method() const { return message_->method(); }
  std::string_view method_name() const;
  std::string_view path() const { return path_; }    // "/v1/models"
  std::string_view query() const { return query_; }  // after '?', "" when none
  // The first value of header `name` (case-insensitive); "" when absent.
  std::string_view header(std::string_view name) const;
  const std::string& body() const { return message_->body(); }
  bool keep_alive() const { return message_->keep_alive(); }

 private:
  const HttpMessage* message_ = nullptr;
  std::string_view path_;
  std::string_view query_;
};

// What the connection offers a handler; implemented by the HTTP session (and by test doubles).
class ResponseChannel {
 public:
  virtual ~ResponseChannel() = default;
  // Writes `head_and_body` (a complete response). False: the client is gone.
  virtual boost::asio::awaitable<bool> write(std::string_view data) = 0;
  // Writes the buffers in order as one gathered write. False: the client is gone.
  virtual boost::asio::awaitable<bool> write_gather(const std::string_view* parts, int count) = 0;
  // True while the server shuts down (then responses say Connection: close).
  virtual bool draining() const = 0;
};

class Exchange {
 public:
  using Params = std::vector<std::pair<std::string_view, std::string_view>>;

  Exchange() { head_buffer_.reserve(512); }

  // Session side: prepares the exchange for the next request (buffers keep their capacity).
  void reset(ResponseChannel* channel, const HttpMessage& message, std::string request_id,
             std::chrono::steady_clock::time_point started);
  Params& params() { return params_; }

  const HttpRequest& request() const { return request_; }
  // The value of path parameter {name} of the matched route; "" when the route has none.
  std::string_view param(std::string_view name) const;
  const std::string& request_id() const { return request_id_; }
  std::chrono::steady_clock::time_point started() const { return started_; }
  bool draining() const { return channel_->draining(); }

  // A header for the response, before respond() or start_stream(): Retry-After, Allow...
  void add_header(std::string name, std::string value);
  // Answer with Connection: close (and close after the response).
  void close_after() { keep_alive_ = false; }

  // The whole response. Returns false when the client went away.
  boost::asio::awaitable<bool> respond(int status, std::string_view content_type,
                                       std::string_view body);
  // A chunked response whose body follows in write_chunk() calls and ends with end_stream().
  boost::asio::awaitable<bool> start_stream(int status, std::string_view content_type);
  // One chunk made of up to three parts (e.g. "data: ", json, "\n\n"); empty parts are skipped.
  boost::asio::awaitable<bool> write_chunk(std::string_view a, std::string_view b = {},
                                           std::string_view c = {});
  boost::asio::awaitable<bool> end_stream();

  int status() const { return status_; }  // 0 until an answer started
  bool answered() const { return status_ != 0; }
  bool streaming() const { return streaming_; }
  // Whether the connection may serve another request after this one.
  bool keep_alive() const { return keep_alive_ && !failed_; }
  std::size_t bytes_sent() const { return bytes_sent_; }

 private:
  gateway::ResponseHead head(int status, std::string_view content_type) const;

  ResponseChannel* channel_ = nullptr;
  HttpRequest request_;
  Params params_;
  std::string request_id_;
  std::chrono::steady_clock::time_point started_;
  std::vector<std::pair<std::string, std::string>> extra_headers_;
  std::string head_buffer_;
  int status_ = 0;
  bool streaming_ = false;
  bool keep_alive_ = true;
  bool failed_ = false;  // a write failed: the connection is unusable
  std::size_t bytes_sent_ = 0;
};

}  // namespace anvil::server
