#include "anvil/gateway/reuseport_acceptor.h"

#include <sys/socket.h>

#include <boost/asio/socket_base.hpp>
#include <fmt/format.h>

namespace anvil::gateway {

namespace asio = boost::asio;
using asio::ip::tcp;

core::Status listen_reuseport(tcp::acceptor& acceptor, const tcp::endpoint& endpoint) {
  using ReusePort = asio::detail::socket_option::boolean<SOL_SOCKET, SO_REUSEPORT>;
  boost::system::error_code ec;
  acceptor.open(endpoint.protocol(), ec);
  if (!ec) acceptor.set_option(tcp::acceptor::reuse_address(true), ec);
  if (!ec) acceptor.set_option(ReusePort(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(asio::socket_base::max_listen_connections, ec);
  if (ec) {
    boost::system::error_code ignored;
    acceptor.close(ignored);
    return core::Status::io(fmt::format("cannot listen on {}:{}: {}",
                                        endpoint.address().to_string(), endpoint.port(),
                                        ec.message()));
  }
  return {};
}

}  // namespace anvil::gateway
