// Anvil's HTTP/1.1 server: N I/O threads, each with its own io_context and its own
// SO_REUSEPORT acceptor on the same port, so a connection and everything it does stay on one
// thread. Graceful shutdown stops accepting, turns /ready to 503, lets in-flight requests and
// streams finish up to the drain timeout, closes idle keep-alive connections, then ends.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "anvil/core/metrics.h"
#include "anvil/core/status.h"
#include "anvil/server/router.h"
#include "anvil/server/server_options.h"

namespace anvil::server {

struct SharedState;
struct IoThread;

class HttpServer {
 public:
  HttpServer(ServerOptions options, Router router,
             core::MetricsRegistry& registry = core::MetricsRegistry::global());
  ~HttpServer();  // shuts down without draining if still running, and joins the threads
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // Binds every acceptor and starts the I/O threads; returns once the server accepts
  // connections. Errors: kInvalidArgument for a bad host, kIo when the address cannot be bound.
  core::Status start();

  // The bound port (the kernel's choice when options.port is 0); valid after start().
  int port() const { return port_; }
  const std::string& host() const;
  const ServerOptions& options() const;
  int threads() const { return static_cast<int>(threads_.size()); }

  // Begins the graceful shutdown; safe from any thread and idempotent.
  void shutdown();
  // Blocks until every I/O thread has ended (after shutdown() and the drain).
  void wait();
  // Blocks until SIGINT or SIGTERM, then shuts down and waits. A second signal during the
  // drain closes every connection at once.
  void run_until_signal();

  bool draining() const;
  std::size_t in_flight() const;
  std::size_t queued() const;
  std::size_t open_connections() const;

 private:
  void begin_drain(IoThread& thread);
  void force_close_all();

  std::unique_ptr<SharedState> shared_;
  std::vector<std::unique_ptr<IoThread>> threads_;
  int port_ = 0;
  bool started_ = false;
  bool joined_ = false;
};

}  // namespace anvil::server
