// Upstream HTTP connections and their keep-alive pool. The pool is an Asio service of the
// io_context, so each I/O thread (one io_context, one thread: the runtime model) has its own
// and takes no lock; it dies with its io_context, never outliving the sockets' reactor.
#pragma once

#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <tuple>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/execution_context.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>

namespace anvil::gateway {

// One connection to one endpoint, plain or TLS; `buffer` holds bytes read past a response.
struct HttpConnection {
  std::string pool_key;
  std::optional<boost::beast::tcp_stream> plain;
  std::optional<boost::beast::ssl_stream<boost::beast::tcp_stream>> tls;
  boost::beast::flat_buffer buffer;
  std::string wire;  // the request being written (its capacity is reused)
  std::chrono::steady_clock::time_point idle_since;
  int requests = 0;  // requests sent on it; > 0 when it comes from the pool

  boost::beast::tcp_stream& tcp() { return tls ? tls->next_layer() : *plain; }
  // False when the peer closed it (or sent something unasked) while it sat in the pool: a
  // non-blocking peek, no wait.
  bool looks_alive();
  // Closes at once (RST if data is pending); the connection is not reused.
  void close();
};

// Trust settings of TLS connections: the system's CAs, optionally more from a file.
struct TlsSettings {
  bool verify_peer = true;
  std::string ca_file;  // PEM; "" for the system store only
  bool operator<(const TlsSettings& o) const {
    return std::tie(verify_peer, ca_file) < std::tie(o.verify_peer, o.ca_file);
  }
};

class ConnectionPool : public boost::asio::execution_context::service {
 public:
  using key_type = ConnectionPool;
  static boost::asio::execution_context::id id;

  explicit ConnectionPool(boost::asio::execution_context& context)
      : boost::asio::execution_context::service(context) {}

  // The most recently used idle connection to `pool_key` that still looks alive, or null.
  // Connections idle longer than `max_idle` are closed on the way.
  std::unique_ptr<HttpConnection> take(const std::string& pool_key,
                                       std::chrono::milliseconds max_idle);
  // Keeps `connection` for reuse (at most `max_per_key` per key; beyond that it is closed).
  void give_back(std::unique_ptr<HttpConnection> connection, size_t max_per_key);
  size_t idle_count(const std::string& pool_key) const;

  // The TLS context for `settings`, made on first use (loading the CA store costs milliseconds).
  // Errors (an unreadable CA file) come back as the message.
  boost::asio::ssl::context* tls_context(const TlsSettings& settings, std::string& error);

 private:
  void shutdown() override;

  std::unordered_map<std::string, std::vector<std::unique_ptr<HttpConnection>>> idle_;
  std::map<TlsSettings, std::unique_ptr<boost::asio::ssl::context>> tls_contexts_;
};

}  // namespace anvil::gateway
