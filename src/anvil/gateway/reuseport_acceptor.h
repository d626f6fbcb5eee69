// Listening sockets for the one-io_context-per-thread servers (Anvil's server and the fake
// upstream): each I/O thread has its own acceptor on the same address, with SO_REUSEPORT, so
// the kernel spreads new connections over the threads with no shared accept queue.
#pragma once

#include <boost/asio/ip/tcp.hpp>

#include "anvil/core/status.h"

namespace anvil::gateway {

// Opens, binds and listens `acceptor` (not yet open) on `endpoint` with SO_REUSEADDR and
// SO_REUSEPORT. Port 0 binds a free port: give the others the port the first one got
// (acceptor.local_endpoint()). Errors (kIo) name the address: "cannot listen on
// 127.0.0.1:80: Permission denied".
core::Status listen_reuseport(boost::asio::ip::tcp::acceptor& acceptor,
                              const boost::asio::ip::tcp::endpoint& endpoint);

}  // namespace anvil::gateway
