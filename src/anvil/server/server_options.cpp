#include "anvil/server/server_options.h"

#include <thread>

namespace anvil::server {

namespace {

core::Result<std::chrono::milliseconds> get_ms(const core::Config& config, std::string_view key) {
  ANVIL_ASSIGN_OR_RETURN(std::int64_t ms, config.get_int(key));
  return std::chrono::milliseconds(ms);
}

}  // namespace

core::Result<ServerOptions> server_options_from_config(const core::Config& config) {
  ServerOptions o;
  ANVIL_ASSIGN_OR_RETURN(o.host, config.get_string("server.host"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t port, config.get_int("server.port"));
  o.port = static_cast<int>(port);
  ANVIL_ASSIGN_OR_RETURN(std::int64_t threads, config.get_int("server.threads"));
  o.threads = static_cast<int>(threads);
  ANVIL_ASSIGN_OR_RETURN(std::int64_t header_bytes, config.get_int("server.max_header_bytes"));
  o.max_header_bytes = static_cast<std::size_t>(header_bytes);
  ANVIL_ASSIGN_OR_RETURN(std::int64_t body_bytes, config.get_int("server.max_body_bytes"));
  o.max_body_bytes = static_cast<std::size_t>(body_bytes);
  ANVIL_ASSIGN_OR_RETURN(o.header_timeout, get_ms(config, "server.header_timeout_ms"));
  ANVIL_ASSIGN_OR_RETURN(o.body_timeout, get_ms(config, "server.body_timeout_ms"));
  ANVIL_ASSIGN_OR_RETURN(o.idle_timeout, get_ms(config, "server.idle_timeout_ms"));
  ANVIL_ASSIGN_OR_RETURN(o.send_timeout, get_ms(config, "server.send_timeout_ms"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t connections, config.get_int("server.max_connections"));
  o.max_connections = static_cast<std::size_t>(connections);
  ANVIL_ASSIGN_OR_RETURN(std::int64_t in_flight, config.get_int("server.max_in_flight"));
  o.max_in_flight = static_cast<std::size_t>(in_flight);
  ANVIL_ASSIGN_OR_RETURN(std::int64_t queue, config.get_int("server.queue_depth"));
  o.queue_depth = static_cast<std::size_t>(queue);
  ANVIL_ASSIGN_OR_RETURN(o.queue_timeout, get_ms(config, "server.queue_timeout_ms"));
  ANVIL_ASSIGN_OR_RETURN(std::int64_t retry_after, config.get_int("server.retry_after_s"));
  o.retry_after = std::chrono::seconds(retry_after);
  ANVIL_ASSIGN_OR_RETURN(o.request_timeout, get_ms(config, "server.request_timeout_ms"));
  ANVIL_ASSIGN_OR_RETURN(o.drain_timeout, get_ms(config, "server.drain_timeout_ms"));
  return o;
}

int resolved_thread_count(const ServerOptions& options) {
  if (options.threads > 0) return options.threads;
  unsigned cores = std::thread::hardware_concurrency();
  return cores == 0 ? 1 : static_cast<int>(cores);
}

}  // namespace anvil::server
