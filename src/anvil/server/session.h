// One client connection: reads requests with Beast's parser under the header, body and idle
// timeouts, routes them through admission to their handlers, and writes the responses (keep-
// alive, pipelined requests served in order). Lives on its I/O thread's coroutine stack.
#pragma once

#include <optional>
#include <string_view>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>

#include "anvil/server/exchange.h"
#include "anvil/server/server_state.h"

namespace anvil::server {

class Session final : public ResponseChannel {
 public:
  Session(SharedState& shared, IoThread& thread, boost::asio::ip::tcp::socket socket);
  ~Session() override;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  boost::asio::awaitable<void> run();

  // Drain: closes the connection when it waits for a request and none has started to arrive.
  void close_if_idle();
  // End of the drain timeout: closes the connection whatever it is doing.
  void force_close();
  Session* next() const { return next_; }

  boost::asio::awaitable<bool> write(std::string_view data) override;
  boost::asio::awaitable<bool> write_gather(const std::string_view* parts, int count) override;
  bool draining() const override;

 private:
  enum class State { kIdle, kReading, kHandling };

  // Reads one request into parser_; false when the connection is to be closed (after the
  // error response, if one was due).
  boost::asio::awaitable<bool> read_request();
  // Routes and answers the request in parser_; false when the connection must close.
  boost::asio::awaitable<bool> serve_request();
  boost::asio::awaitable<void> invoke(const Route& route);
  // Answers a request that could not be read (431, 413) and marks the connection to close.
  boost::asio::awaitable<void> reject(int status, std::string_view message, std::string_view code);
  // Half-closes and reads what the client still sends (bounded), so unread request bytes do
  // not turn the close into a reset that destroys the response before the client reads it.
  boost::asio::awaitable<void> lingering_close();

  SharedState& shared_;
  IoThread& thread_;
  boost::beast::tcp_stream stream_;
  boost::beast::flat_buffer buffer_;
  std::optional<boost::beast::http::request_parser<boost::beast::http::string_body>> parser_;
  Exchange exchange_;
  State state_ = State::kIdle;
  bool linger_ = false;  // request bytes may be left unread: close with lingering_close()
  Session* prev_ = nullptr;
  Session* next_ = nullptr;
};

}  // namespace anvil::server
