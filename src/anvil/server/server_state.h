// State an HttpServer shares with its connections: the shared parts (options, routes,
// admission, metrics, the draining flag; read from every thread) and the per-thread parts (one
// io_context, its acceptor, the connections it serves; touched only by its own thread).
#pragma once

#include <atomic>
#include <cstddef>
#include <optional>
#include <thread>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include "anvil/server/admission.h"
#include "anvil/server/router.h"
#include "anvil/server/server_metrics.h"
#include "anvil/server/server_options.h"

namespace anvil::server {

class Session;

struct SharedState {
  SharedState(ServerOptions o, Router r, core::MetricsRegistry& registry)
      : options(std::move(o)),
        router(std::move(r)),
        metrics(registry),
        admission({options.max_in_flight, options.queue_depth, options.queue_timeout},
                  metrics.in_flight(), metrics.queued()) {}

  const ServerOptions options;
  const Router router;
  ServerMetrics metrics;
  Admission admission;
  std::atomic<bool> draining{false};
  std::atomic<std::size_t> connections{0};
};

// One I/O thread. Everything here is used on `io`'s thread only.
struct IoThread {
  IoThread() = default;
  IoThread(const IoThread&) = delete;
  IoThread& operator=(const IoThread&) = delete;
  // Closes the acceptor and timer, then destroys `io` first of the members, so connections
  // that never finished (a stop without drain) unlink themselves from a live list.
  ~IoThread() {
    destroying = true;
    acceptor.reset();
    drain_timer.reset();
    io.reset();
  }

  std::optional<boost::asio::ip::tcp::acceptor> acceptor;
  std::optional<boost::asio::steady_timer> drain_timer;
  Session* sessions = nullptr;  // intrusive list of open connections (Session::prev_/next_)
  std::size_t session_count = 0;
  bool draining = false;
  bool destroying = false;
  std::thread thread;
  std::optional<boost::asio::io_context> io{std::in_place, 1};

  boost::asio::io_context& io_ctx() { return *io; }

  // Called by a Session as it closes; ends the thread's drain with the last one.
  void session_closed();
};

}  // namespace anvil::server
