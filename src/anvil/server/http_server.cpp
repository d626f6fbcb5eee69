#include "anvil/server/http_server.h"

#include <csignal>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "anvil/core/log.h"
#include "anvil/gateway/reuseport_acceptor.h"
#include "anvil/server/server_state.h"
#include "anvil/server/session.h"

namespace anvil::server {

namespace asio = boost::asio;
using asio::ip::tcp;

namespace {

asio::awaitable<void> serve(SharedState& shared, IoThread& thread, tcp::socket socket) {
  Session session(shared, thread, std::move(socket));
  co_await session.run();
}

asio::awaitable<void> accept_loop(SharedState& shared, IoThread& thread) {
  for (;;) {
    auto [ec, socket] =
        co_await thread.acceptor->async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec) {
      if (ec == asio::error::operation_aborted || !thread.acceptor->is_open()) co_return;
      // EMFILE, ENFILE, ECONNABORTED...: log and keep accepting.
      core::log::warn("accept failed: {}", ec.message());
      continue;
    }
    if (shared.connections.load(std::memory_order_relaxed) >= shared.options.max_connections) {
      if (auto* c = shared.metrics.rejected_connections()) c->inc();
      boost::system::error_code ignored;
      socket.close(ignored);
      continue;
    }
    asio::co_spawn(thread.io_ctx(), serve(shared, thread, std::move(socket)), asio::detached);
  }
}

}  // namespace

void IoThread::session_closed() {
  if (!destroying && draining && session_count == 0) {
    if (drain_timer) drain_timer->cancel();
    // Whatever else still holds work on this context (idle upstream connections of the
    // gateway's per-thread pools) must not keep the thread alive once its clients are done.
    io->stop();
  }
}

HttpServer::HttpServer(ServerOptions options, Router router, core::MetricsRegistry& registry)
    : shared_(std::make_unique<SharedState>(std::move(options), std::move(router), registry)) {}

HttpServer::~HttpServer() {
  if (started_ && !joined_) {
    for (auto& t : threads_) t->io_ctx().stop();
    wait();
  }
  // Requests still queued for admission own their connections' coroutines: end them while
  // their threads' state is alive.
  shared_->admission.abandon_waiters();
  threads_.clear();
}

const std::string& HttpServer::host() const { return shared_->options.host; }
const ServerOptions& HttpServer::options() const { return shared_->options; }

core::Status HttpServer::start() {
  if (started_) return core::Status::failed_precondition("the server is already started");
  const ServerOptions& o = shared_->options;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(o.host, ec);
  if (ec) {
    return core::Status::invalid_argument(
        fmt::format("expected an IP address for server.host, found '{}'", o.host));
  }
  if (o.port < 0 || o.port > 65535) {
    return core::Status::invalid_argument(
        fmt::format("expected a port between 0 and 65535, found {}", o.port));
  }
  int n = resolved_thread_count(o);
  tcp::endpoint endpoint(address, static_cast<unsigned short>(o.port));
  for (int i = 0; i < n; ++i) {
    auto thread = std::make_unique<IoThread>();
    thread->acceptor.emplace(thread->io_ctx());
    // The first acceptor may get the port from the kernel (port 0); the others join it.
    ANVIL_RETURN_IF_ERROR(gateway::listen_reuseport(*thread->acceptor, endpoint));
    if (i == 0) {
      port_ = thread->acceptor->local_endpoint().port();
      endpoint.port(static_cast<unsigned short>(port_));
    }
    threads_.push_back(std::move(thread));
  }
  for (auto& t : threads_) {
    IoThread& thread = *t;
    asio::co_spawn(thread.io_ctx(), accept_loop(*shared_, thread), asio::detached);
    thread.thread = std::thread([&thread] { thread.io_ctx().run(); });
  }
  started_ = true;
  core::log::info("listening on {}:{} ({} I/O threads)", o.host, port_, n);
  return {};
}

void HttpServer::shutdown() {
  if (shared_->draining.exchange(true)) return;
  core::log::info("shutting down: draining {} connections for up to {} ms",
                  shared_->connections.load(), shared_->options.drain_timeout.count());
  for (auto& t : threads_) {
    IoThread& thread = *t;
    asio::post(thread.io_ctx(), [this, &thread] { begin_drain(thread); });
  }
}

void HttpServer::begin_drain(IoThread& thread) {
  thread.draining = true;
  boost::system::error_code ec;
  if (thread.acceptor) thread.acceptor->close(ec);
  for (Session* s = thread.sessions; s != nullptr;) {
    Session* next = s->next();  // close_if_idle() only cancels: `s` stays valid here
    s->close_if_idle();
    s = next;
  }
  if (thread.session_count == 0) {
    thread.io_ctx().stop();
    return;
  }
  thread.drain_timer.emplace(thread.io_ctx(), shared_->options.drain_timeout);
  thread.drain_timer->async_wait([&thread](const boost::system::error_code& wait_ec) {
    if (wait_ec) return;
    if (thread.session_count > 0) {
      core::log::warn("drain timeout: closing {} connections still busy", thread.session_count);
    }
    for (Session* s = thread.sessions; s != nullptr; s = s->next()) s->force_close();
    thread.io_ctx().stop();
  });
}

void HttpServer::force_close_all() {
  for (auto& t : threads_) {
    IoThread& thread = *t;
    asio::post(thread.io_ctx(), [&thread] {
      for (Session* s = thread.sessions; s != nullptr; s = s->next()) s->force_close();
      thread.io_ctx().stop();
    });
  }
}

void HttpServer::wait() {
  if (joined_) return;
  for (auto& t : threads_) {
    if (t->thread.joinable()) t->thread.join();
  }
  joined_ = true;
}

void HttpServer::run_until_signal() {
  asio::io_context signals_io(1);
  asio::signal_set signals(signals_io, SIGINT, SIGTERM);
  int received = 0;
  std::function<void(const boost::system::error_code&, int)> on_signal =
      [&](const boost::system::error_code& ec, int signal) {
        if (ec) return;
        ++received;
        if (received == 1) {
          core::log::info("received signal {}: shutting down", signal);
          shutdown();
          signals.async_wait(on_signal);
        } else {
          core::log::warn("second signal: closing every connection now");
          force_close_all();
        }
      };
  signals.async_wait(on_signal);
  // Waiting for the I/O threads on another thread lets this one keep answering signals.
  std::thread waiter([this, &signals_io] {
    wait();
    asio::post(signals_io, [&signals_io] { signals_io.stop(); });
  });
  signals_io.run();
  waiter.join();
}

bool HttpServer::draining() const { return shared_->draining.load(); }
std::size_t HttpServer::in_flight() const { return shared_->admission.in_flight(); }
std::size_t HttpServer::queued() const { return shared_->admission.waiting(); }
std::size_t HttpServer::open_connections() const { return shared_->connections.load(); }

}  // namespace anvil::server
