#include "anvil/gateway/http_connection.h"

#include <sys/socket.h>

#include <cerrno>

#include <fmt/format.h>

namespace anvil::gateway {

namespace asio = boost::asio;

boost::asio::execution_context::id ConnectionPool::id;

bool HttpConnection::looks_alive() {
  auto& socket = tcp().socket();
  if (!socket.is_open()) return false;
  char byte = 0;
  ssize_t n = ::recv(socket.native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n == 0) return false;                 // the peer closed it
  if (n > 0) return false;                  // bytes nobody asked for (or a TLS close_notify)
  return errno == EAGAIN || errno == EWOULDBLOCK;  // nothing to read: still open
}

void HttpConnection::close() {
  boost::system::error_code ec;
  tcp().socket().close(ec);
}

std::unique_ptr<HttpConnection> ConnectionPool::take(const std::string& pool_key,
                                                     std::chrono::milliseconds max_idle) {
  auto it = idle_.find(pool_key);
  if (it == idle_.end()) return nullptr;
  auto& stack = it->second;
  auto now = std::chrono::steady_clock::now();
  while (!stack.empty()) {
    std::unique_ptr<HttpConnection> connection = std::move(stack.back());
    stack.pop_back();
    if (now - connection->idle_since <= max_idle && connection->looks_alive()) return connection;
    connection->close();
  }
  return nullptr;
}

void ConnectionPool::give_back(std::unique_ptr<HttpConnection> connection, size_t max_per_key) {
  auto& stack = idle_[connection->pool_key];
  if (stack.size() >= max_per_key) {
    connection->close();
    return;
  }
  connection->idle_since = std::chrono::steady_clock::now();
  stack.push_back(std::move(connection));
}

size_t ConnectionPool::idle_count(const std::string& pool_key) const {
  auto it = idle_.find(pool_key);
  return it == idle_.end() ? 0 : it->second.size();
}

asio::ssl::context* ConnectionPool::tls_context(const TlsSettings& settings, std::string& error) {
  auto it = tls_contexts_.find(settings);
  if (it != tls_contexts_.end()) return it->second.get();
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  boost::system::error_code ec;
  context->set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                           asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 |
                           asio::ssl::context::no_tlsv1_1,
                       ec);
  if (!ec) context->set_default_verify_paths(ec);
  if (!ec && !settings.ca_file.empty()) context->load_verify_file(settings.ca_file, ec);
  if (!ec) {
    context->set_verify_mode(
        settings.verify_peer ? asio::ssl::verify_peer : asio::ssl::verify_none, ec);
  }
  if (ec) {
    error = fmt::format("cannot set up TLS (CA file '{}'): {}", settings.ca_file, ec.message());
    return nullptr;
  }
  return tls_contexts_.emplace(settings, std::move(context)).first->second.get();
}

void ConnectionPool::shutdown() {
  idle_.clear();
}

}  // namespace anvil::gateway
