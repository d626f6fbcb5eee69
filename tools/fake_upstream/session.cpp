#include "fake_upstream/session.h"

#include <chrono>
#include <optional>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/parser.hpp>

#include "fake_upstream/content.h"
#include "fake_upstream/http_wire.h"
#include "fake_upstream/routes.h"

namespace anvil::fake {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;
constexpr auto kAwait = asio::as_tuple(asio::use_awaitable);

void reset(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.set_option(asio::socket_base::linger(true, 0), ec);  // close sends RST, not FIN
  socket.close(ec);
}

void cut(tcp::socket& socket) {
  boost::system::error_code ec;
  socket.shutdown(tcp::socket::shutdown_both, ec);
  socket.close(ec);
}

asio::awaitable<void> pause(asio::steady_timer& timer, int ms) {
  if (ms <= 0) co_return;
  timer.expires_after(std::chrono::milliseconds(ms));
  co_await timer.async_wait(kAwait);
}

// Holds the connection without answering until the client closes it (or the server stops).
asio::awaitable<void> hang(tcp::socket& socket) {
  char scratch[512];
  for (;;) {
    auto [ec, n] = co_await socket.async_read_some(asio::buffer(scratch), kAwait);
    if (ec) co_return;
  }
}

// Streams `outcome.events`: in one write when no pacing is asked for, else one event per write.
// Returns false when the connection is gone or was cut on purpose.
asio::awaitable<bool> stream(tcp::socket& socket, asio::steady_timer& timer, Outcome& outcome,
                             int chunk_ms) {
  size_t total = outcome.events.size() + 1;  // + [DONE]
  size_t sent_limit = outcome.cut_after >= 0 ? std::min(total, size_t(outcome.cut_after)) : total;
  bool cut_early = sent_limit < total;
  std::string out = std::move(outcome.bytes);
  auto event = [&](size_t i) -> std::string_view {
    return i < outcome.events.size() ? std::string_view(outcome.events[i]) : "[DONE]";
  };
  for (size_t i = 0; i < sent_limit; ++i) {
    append_sse_chunk(out, event(i));
    if (chunk_ms > 0) {
      auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), kAwait);
      if (ec) co_return false;
      out.clear();
      co_await pause(timer, chunk_ms);
    }
  }
  if (!cut_early) out += kLastChunk;
  if (!out.empty()) {
    auto [ec, n] = co_await asio::async_write(socket, asio::buffer(out), kAwait);
    if (ec) co_return false;
  }
  if (cut_early) {
    cut(socket);
    co_return false;
  }
  co_return true;
}

}  // namespace

asio::awaitable<void> serve_connection(tcp::socket socket, SharedState& shared,
                                       ThreadState& thread) {
  boost::system::error_code ignored;
  socket.set_option(tcp::no_delay(true), ignored);
  beast::flat_buffer buffer;
  asio::steady_timer timer(socket.get_executor());
  for (;;) {
    std::optional<http::request_parser<http::string_body>> parser(std::in_place);
    parser->header_limit(64 * 1024);
    parser->body_limit(shared.options.max_request_bytes);
    auto [ec, n] = co_await http::async_read(socket, buffer, *parser, kAwait);
    if (ec) {
      if (ec != http::error::end_of_stream && ec != asio::error::eof &&
          ec != asio::error::connection_reset && ec != asio::error::operation_aborted) {
        Reply bad = error_reply(400, "malformed HTTP request: " + ec.message());
        std::string bytes = full_response(bad.status, "application/json", bad.body, false);
        co_await asio::async_write(socket, asio::buffer(bytes), kAwait);
      }
      co_return;
    }
    Outcome outcome = handle_request(parser->get(), shared, thread);
    parser.reset();
    if (outcome.kind == Outcome::Kind::kHang) {
      co_await hang(socket);
      co_return;
    }
    co_await pause(timer, outcome.delay_ms);
    switch (outcome.kind) {
      case Outcome::Kind::kReset:
        reset(socket);
        co_return;
      case Outcome::Kind::kStream:
        if (!co_await stream(socket, timer, outcome, shared.options.chunk_ms)) co_return;
        break;
      case Outcome::Kind::kWrite:
      case Outcome::Kind::kHang: {
        auto [wec, wn] = co_await asio::async_write(socket, asio::buffer(outcome.bytes), kAwait);
        if (wec) co_return;
        break;
      }
    }
    if (!outcome.keep_alive) {
      cut(socket);
      co_return;
    }
  }
}

}  // namespace anvil::fake
