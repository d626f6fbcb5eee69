// Helpers for the tests of the upstream side of the gateway: run a coroutine to completion, a
// blocking HTTP client for poking the fake upstream, a raw TCP server that answers with canned
// bytes (malformed answers the fake upstream never sends), and a stream sink that collects.
#pragma once

#include <cstdint>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/streambuf.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>

#include "anvil/gateway/provider.h"

namespace anvil::gateway::testing {

namespace asio = boost::asio;
namespace http = boost::beast::http;
using tcp = asio::ip::tcp;

// Runs `task` on `context` until it finishes and returns its value; other coroutines spawned on
// the context (servers) stay suspended for the next call.
template <typename T>
T run(asio::io_context& context, asio::awaitable<T> task) {
  std::optional<T> result;
  std::exception_ptr failure;
  asio::co_spawn(context, std::move(task), [&](std::exception_ptr e, T value) {
    failure = e;
    if (!e) result = std::move(value);
    context.stop();
  });
  context.restart();
  context.run();
  if (failure) std::rethrow_exception(failure);
  return std::move(*result);
}

// A blocking HTTP/1.1 exchange on its own connection: for tests that drive a server running
// on other threads. `error` is set when no complete response came (reset, cut, close).
struct SyncResponse {
  int status = 0;
  http::response<http::string_body> message;
  boost::system::error_code error;
};

inline SyncResponse sync_request(uint16_t port, http::verb method, std::string target,
                                 std::string body = {},
                                 std::vector<std::pair<std::string, std::string>> headers = {}) {
  asio::io_context context;
  tcp::socket socket(context);
  socket.connect(tcp::endpoint(asio::ip::make_address("127.0.0.1"), port));
  http::request<http::string_body> request{method, target, 11};
  request.set(http::field::host, "127.0.0.1");
  request.set(http::field::content_type, "application/json");
  for (auto& [name, value] : headers) request.set(name, value);
  request.body() = std::move(body);
  request.prepare_payload();
  http::write(socket, request);
  SyncResponse out;
  boost::beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(64u << 20);
  http::read(socket, buffer, parser, out.error);
  out.message = parser.release();
  out.status = static_cast<int>(out.message.result_int());
  return out;
}

// Answers each request with the next canned reply (raw bytes written as they are); `close`
// closes the connection after writing. Counts connections and requests. Runs on `context`.
struct RawReply {
  std::string bytes;
  bool close = false;
};

class RawServer {
 public:
  RawServer(asio::io_context& context, std::vector<RawReply> replies)
      : acceptor_(context, tcp::endpoint(asio::ip::make_address("127.0.0.1"), 0)),
        replies_(std::move(replies)) {
    asio::co_spawn(context, accept_loop(), asio::detached);
  }
  uint16_t port() const { return acceptor_.local_endpoint().port(); }
  std::string base_url() const { return "http://127.0.0.1:" + std::to_string(port()) + "/v1"; }
  int connections() const { return connections_; }
  int requests() const { return requests_; }
  // Every request as it arrived: head and body.
  const std::vector<std::string>& received() const { return received_; }

 private:
  asio::awaitable<void> accept_loop() {
    for (;;) {
      auto [ec, socket] = co_await acceptor_.async_accept(asio::as_tuple(asio::use_awaitable));
      if (ec) co_return;
      ++connections_;
      asio::co_spawn(acceptor_.get_executor(), serve(std::move(socket)), asio::detached);
    }
  }

  asio::awaitable<void> serve(tcp::socket socket) {
    asio::streambuf buffer;
    constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);
    for (;;) {
      auto [ec, n] = co_await asio::async_read_until(socket, buffer, "\r\n\r\n", kAwait);
      if (ec) co_return;
      std::string head(asio::buffers_begin(buffer.data()), asio::buffers_begin(buffer.data()) + n);
      buffer.consume(n);
      size_t length = 0;
      if (auto at = head.find("Content-Length: "); at != std::string::npos) {
        length = std::stoul(head.substr(at + 16));
      }
      if (buffer.size() < length) {
        auto [rec, rn] = co_await asio::async_read(
            socket, buffer, asio::transfer_exactly(length - buffer.size()), kAwait);
        if (rec) co_return;
      }
      received_.push_back(head + std::string(asio::buffers_begin(buffer.data()),
                                             asio::buffers_begin(buffer.data()) + length));
      buffer.consume(length);
      if (next_ >= replies_.size()) co_return;
      ++requests_;
      const RawReply& reply = replies_[next_++];
      auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(reply.bytes), kAwait);
      if (wec || reply.close) {
        boost::system::error_code ignored;
        socket.shutdown(tcp::socket::shutdown_both, ignored);
        co_return;
      }
    }
  }

  tcp::acceptor acceptor_;
  std::vector<RawReply> replies_;
  std::vector<std::string> received_;
  size_t next_ = 0;
  int connections_ = 0;
  int requests_ = 0;
};

// Collects the chunks of a stream; returns false (client gone) once `stop_after` arrived.
class CollectingSink : public StreamSink {
 public:
  explicit CollectingSink(int stop_after = -1) : stop_after_(stop_after) {}
  asio::awaitable<bool> write_event(std::string_view json) override {
    events.emplace_back(json);
    co_return stop_after_ < 0 || static_cast<int>(events.size()) < stop_after_;
  }
  bool started() const override { return !events.empty(); }
  std::vector<std::string> events;

 private:
  int stop_after_;
};

}  // namespace anvil::gateway::testing
