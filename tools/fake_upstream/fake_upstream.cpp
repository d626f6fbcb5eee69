#include "fake_upstream/fake_upstream.h"

#include <chrono>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "anvil/gateway/reuseport_acceptor.h"

namespace anvil::fake {
namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;

asio::awaitable<void> accept_loop(tcp::acceptor& acceptor, SharedState& shared,
                                  ThreadState& thread) {
  for (;;) {
    auto [ec, socket] = co_await acceptor.async_accept(asio::as_tuple(asio::use_awaitable));
    if (ec == asio::error::operation_aborted || !acceptor.is_open()) co_return;
    if (ec) continue;  // e.g. EMFILE: drop this one, keep accepting
    asio::co_spawn(acceptor.get_executor(), serve_connection(std::move(socket), shared, thread),
                   asio::detached);
  }
}

}  // namespace

struct FakeUpstream::Worker {
  asio::io_context context{1};  // one thread runs it: no locking inside Asio
  tcp::acceptor acceptor{context};
  ThreadState state;
  std::thread thread;
};

FakeUpstream::FakeUpstream(FakeUpstreamOptions options)
    : options_(std::move(options)),
      stats_(options_.request_id_history),
      plan_(options_),
      shared_{options_, stats_, plan_, prompts_,
              std::chrono::duration_cast<std::chrono::seconds>(
                  std::chrono::system_clock::now().time_since_epoch())
                  .count()} {}

core::Result<std::unique_ptr<FakeUpstream>> FakeUpstream::start(FakeUpstreamOptions options) {
  if (options.threads < 1) {
    return core::Status::invalid_argument(
        fmt::format("fake upstream: expected at least 1 thread, found {}", options.threads));
  }
  std::unique_ptr<FakeUpstream> server(new FakeUpstream(std::move(options)));
  const auto& opts = server->options_;
  boost::system::error_code ec;
  auto address = asio::ip::make_address(opts.host, ec);
  if (ec) {
    return core::Status::invalid_argument(
        fmt::format("fake upstream: expected an IP address for --host, found '{}'", opts.host));
  }
  uint16_t port = opts.port;
  for (int i = 0; i < opts.threads; ++i) {
    auto worker = std::make_unique<Worker>();
    worker->state.rng.seed(opts.seed + uint64_t(i));
    tcp::endpoint endpoint(address, port);
    if (auto listening = gateway::listen_reuseport(worker->acceptor, endpoint); !listening.ok()) {
      return core::Status::unavailable("fake upstream: " + listening.message());
    }
    port = worker->acceptor.local_endpoint().port();  // the other threads share the port picked first
    server->workers_.push_back(std::move(worker));
  }
  server->port_ = port;
  for (auto& worker : server->workers_) {
    asio::co_spawn(worker->context, accept_loop(worker->acceptor, server->shared_, worker->state),
                   asio::detached);
    worker->thread = std::thread([w = worker.get()] { w->context.run(); });
  }
  return server;
}

FakeUpstream::~FakeUpstream() { stop(); }

void FakeUpstream::stop() {
  for (auto& worker : workers_) worker->context.stop();
  for (auto& worker : workers_) {
    if (worker->thread.joinable()) worker->thread.join();
  }
  // Destroying the contexts destroys the suspended connection coroutines and their sockets.
  workers_.clear();
}

std::string FakeUpstream::base_url() const {
  return fmt::format("http://{}:{}/v1", options_.host, port_);
}

}  // namespace anvil::fake
