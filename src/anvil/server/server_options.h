// The HTTP server's tunables (the server.* settings keys): where it listens, how many I/O
// threads it runs, its size limits and timeouts, admission and drain.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>

#include "anvil/core/config.h"
#include "anvil/core/status.h"

namespace anvil::server {

struct ServerOptions {
  std::string host = "127.0.0.1";
  int port = 8080;  // 0: the kernel picks a free port (HttpServer::port() tells which)
  int threads = 0;  // I/O threads, each with its own io_context and acceptor; 0: one per core

  std::size_t max_header_bytes = 16 * 1024;       // request line + headers; over it: 431
  std::size_t max_body_bytes = 8 * 1024 * 1024;   // over it: 413
  std::chrono::milliseconds header_timeout{10000};  // first byte of a request -> end of headers
  std::chrono::milliseconds body_timeout{30000};    // end of headers -> end of body
  std::chrono::milliseconds idle_timeout{60000};    // keep-alive wait for the next request
  std::chrono::milliseconds send_timeout{30000};    // one write to a client (slow readers)
  std::size_t max_connections = 10000;            // beyond it new connections are closed at once

  // Admission: at most max_in_flight API requests run; up to queue_depth more wait, first come
  // first served, each for at most queue_timeout (then 503 with Retry-After); beyond the queue
  // 429 with Retry-After (503 with Retry-After while draining).
  std::size_t max_in_flight = 1024;
  std::size_t queue_depth = 1024;
  std::chrono::milliseconds queue_timeout{30000};
  std::chrono::seconds retry_after{1};

  std::chrono::milliseconds request_timeout{600000};  // deadline handed to the gateway per call
  std::chrono::milliseconds drain_timeout{30000};     // shutdown: how long in-flight work may finish
};

// Reads the server.* keys of `config` (declared in app::settings_schema()).
core::Result<ServerOptions> server_options_from_config(const core::Config& config);

// The number of I/O threads `options` asks for: threads, or the hardware's cores when 0.
int resolved_thread_count(const ServerOptions& options);

}  // namespace anvil::server
