#include "anvil/server/session.h"

#include <array>
#include <exception>
#include <span>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/error.hpp>
#include <boost/beast/http/error.hpp>
#include <boost/beast/http/read.hpp>

#include "anvil/core/log.h"
#include "anvil/server/api_error.h"
#include "anvil/server/request_id.h"

namespace anvil::server {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using asio::ip::tcp;

namespace {

constexpr auto kAsTuple = asio::as_tuple(asio::use_awaitable);
constexpr std::size_t kReadChunk = 16 * 1024;       // bytes asked of the socket per idle read
constexpr std::size_t kKeepBuffer = 64 * 1024;      // larger read buffers are released when idle
constexpr std::size_t kLingerBytes = 1024 * 1024;   // read and dropped at most, on a rejected request
constexpr std::chrono::seconds kLingerTime{2};

}  // namespace

Session::Session(SharedState& shared, IoThread& thread, tcp::socket socket)
    : shared_(shared), thread_(thread), stream_(std::move(socket)) {
  buffer_.reserve(kReadChunk);
  next_ = thread_.sessions;
  if (next_ != nullptr) next_->prev_ = this;
  thread_.sessions = this;
  ++thread_.session_count;
  shared_.connections.fetch_add(1);
  if (auto* g = shared_.metrics.open_connections()) g->inc();
}

Session::~Session() {
  if (prev_ != nullptr) {
    prev_->next_ = next_;
  } else {
    thread_.sessions = next_;
  }
  if (next_ != nullptr) next_->prev_ = prev_;
  shared_.connections.fetch_sub(1);
  if (auto* g = shared_.metrics.open_connections()) g->dec();
  --thread_.session_count;
  thread_.session_closed();
}

bool Session::draining() const { return shared_.draining.load(std::memory_order_relaxed); }

void Session::close_if_idle() {
  if (state_ != State::kIdle || buffer_.size() != 0) return;
  beast::error_code ec;
  // Bytes of a request already in the socket: let the request be read (it will get its answer
  // with Connection: close) instead of dropping it.
  if (stream_.socket().available(ec) > 0 && !ec) return;
  stream_.cancel();
}

void Session::force_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_both, ec);
  stream_.close();
}

asio::awaitable<bool> Session::write(std::string_view data) {
  stream_.expires_after(shared_.options.send_timeout);
  auto [ec, n] = co_await asio::async_write(stream_, asio::buffer(data.data(), data.size()), kAsTuple);
  co_return !ec;
}

asio::awaitable<bool> Session::write_gather(const std::string_view* parts, int count) {
  std::array<asio::const_buffer, 8> buffers;
  std::size_t n = 0;
  for (int i = 0; i < count && n < buffers.size(); ++i) {
    buffers[n++] = asio::const_buffer(parts[i].data(), parts[i].size());
  }
  stream_.expires_after(shared_.options.send_timeout);
  auto [ec, written] = co_await asio::async_write(
      stream_, std::span<const asio::const_buffer>(buffers.data(), n), kAsTuple);
  co_return !ec;
}

asio::awaitable<void> Session::run() {
  beast::error_code ec;
  stream_.socket().set_option(tcp::no_delay(true), ec);
  for (;;) {
    bool read = co_await read_request();
    if (!read) break;
    bool keep = co_await serve_request();
    if (!keep) break;
    if (buffer_.size() == 0 && buffer_.capacity() > kKeepBuffer) buffer_.shrink_to_fit();
  }
  if (linger_) {
    co_await lingering_close();
  } else {
    stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  }
  stream_.close();
}

asio::awaitable<bool> Session::read_request() {
  const ServerOptions& o = shared_.options;
  if (buffer_.size() == 0) {
    // Keep-alive wait: nothing of the next request has arrived yet.
    state_ = State::kIdle;
    if (thread_.draining) {
      // Draining closes idle connections, unless the next request has started to arrive.
      beast::error_code ec;
      if (stream_.socket().available(ec) == 0 || ec) co_return false;
    }
    stream_.expires_after(o.idle_timeout);
    auto [ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), kAsTuple);
    if (ec) co_return false;  // closed by the client, idle timeout, or drained
    buffer_.commit(n);
  }
  state_ = State::kReading;
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(o.max_header_bytes));
  parser_->body_limit(o.max_body_bytes);
  stream_.expires_after(o.header_timeout);
  auto [ec, n] = co_await http::async_read_header(stream_, buffer_, *parser_, kAsTuple);
  if (!ec && !parser_->is_done()) {
    if (beast::iequals(parser_->get()[http::field::expect], "100-continue")) {
      static constexpr std::string_view kContinue = "HTTP/1.1 100 Continue\r\n\r\n";
      bool sent = co_await write(kContinue);
      if (!sent) co_return false;
    }
    stream_.expires_after(o.body_timeout);
    auto [body_ec, body_n] = co_await http::async_read(stream_, buffer_, *parser_, kAsTuple);
    ec = body_ec;
  }
  stream_.expires_never();
  if (!ec) co_return true;
  if (ec == http::error::header_limit) {
    co_await reject(431, fmt::format("The request line and headers are over the server's limit "
                                     "of {} bytes (server.max_header_bytes)",
                                     o.max_header_bytes),
                    "header_too_large");
  } else if (ec == http::error::body_limit) {
    co_await reject(413, fmt::format("The request body is over the server's limit of {} bytes "
                                     "(server.max_body_bytes)",
                                     o.max_body_bytes),
                    "body_too_large");
  } else if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
             ec != http::error::end_of_stream && ec != http::error::partial_message) {
    // Malformed HTTP (bad method, bad chunk...): say so before closing. Timeouts and closes
    // just end the connection; Beast's stream has already closed the socket on a timeout.
    co_await reject(400, fmt::format("Malformed HTTP request: {}", ec.message()), "bad_request");
  }
  co_return false;
}

asio::awaitable<void> Session::reject(int status, std::string_view message, std::string_view code) {
  static const HttpMessage kEmpty;
  exchange_.reset(this, kEmpty, make_request_id({}), std::chrono::steady_clock::now());
  exchange_.close_after();
  ApiError e;
  e.status = status;
  e.message = std::string(message);
  e.code = std::string(code);
  co_await respond_error(exchange_, e);
  linger_ = true;
  shared_.metrics.record(-1, "unmatched", -1, "-", status, 0.0);
}

asio::awaitable<void> Session::lingering_close() {
  beast::error_code ec;
  stream_.socket().shutdown(tcp::socket::shutdown_send, ec);
  std::size_t dropped = 0;
  stream_.expires_after(kLingerTime);
  while (dropped < kLingerBytes) {
    buffer_.clear();
    auto [read_ec, n] = co_await stream_.async_read_some(buffer_.prepare(kReadChunk), kAsTuple);
    if (read_ec) break;
    dropped += n;
  }
}

asio::awaitable<bool> Session::serve_request() {
  state_ = State::kHandling;
  const HttpMessage& message = parser_->get();
  auto started = std::chrono::steady_clock::now();
  auto client_id = message["X-Request-Id"];
  exchange_.reset(this, message, make_request_id({client_id.data(), client_id.size()}), started);
  const HttpRequest& request = exchange_.request();
  Router::Match match = shared_.router.match(message.method(), request.path(), exchange_.params());
  const Route* route = match.route;
  switch (match.outcome) {
    case Router::Outcome::kNotFound:
      co_await respond_error(exchange_, route_not_found(request.method_name(), request.path()));
      break;
    case Router::Outcome::kMethodNotAllowed:
      exchange_.add_header("Allow", match.allow);
      co_await respond_error(exchange_, method_not_allowed(request.method_name(), request.path(),
                                                           match.allow));
      break;
    case Router::Outcome::kFound:
      if (!route->admitted) {
        co_await invoke(*route);
      } else if (draining()) {
        exchange_.close_after();
        co_await respond_error(exchange_, shutting_down(shared_.options.retry_after));
      } else {
        Admission::Verdict verdict = co_await shared_.admission.acquire();
        if (verdict == Admission::Verdict::kQueueFull) {
          co_await respond_error(exchange_, queue_full(shared_.options.retry_after));
        } else if (verdict == Admission::Verdict::kTimedOut) {
          co_await respond_error(exchange_, queue_timeout(shared_.options.queue_timeout,
                                                          shared_.options.retry_after));
        } else {
          co_await invoke(*route);
          shared_.admission.release();
        }
      }
      break;
  }
  // A client that sent a body we did not read cannot be kept: the parser read whole messages,
  // so every request is complete here.
  double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  std::string_view label = route != nullptr ? std::string_view(route->pattern) : "unmatched";
  shared_.metrics.record(route != nullptr ? route->index : -1, label,
                         static_cast<int>(message.method()), request.method_name(),
                         exchange_.status(), seconds);
  if (core::log::enabled(core::log::Level::kDebug)) {
    core::log::with("request_id", exchange_.request_id())
        .with("status", static_cast<std::int64_t>(exchange_.status()))
        .with("bytes", static_cast<std::uint64_t>(exchange_.bytes_sent()))
        .debug("{} {} {} {:.3f} ms", request.method_name(), request.path(), exchange_.status(),
               seconds * 1e3);
  }
  co_return exchange_.keep_alive() && !draining();
}

asio::awaitable<void> Session::invoke(const Route& route) {
  std::exception_ptr failure;
  try {
    co_await route.handler(exchange_);
  } catch (...) {
    failure = std::current_exception();
  }
  if (failure) {
    std::string what = "unknown exception";
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      what = e.what();
    } catch (...) {
    }
    core::log::with("request_id", exchange_.request_id())
        .error("handler of {} failed: {}", route.pattern, what);
  }
  if (exchange_.streaming() && failure) exchange_.close_after();
  if (!exchange_.answered()) {
    ApiError e;
    e.status = 500;
    e.type = std::string(kServerError);
    e.message = failure ? "The server failed while handling the request (see its log, request id "
                              "in X-Request-Id)"
                        : "The route produced no response (a bug in the server)";
    co_await respond_error(exchange_, e);
  }
}

}  // namespace anvil::server
