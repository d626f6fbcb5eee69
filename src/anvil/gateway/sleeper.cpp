#include "anvil/gateway/sleeper.h"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace anvil::gateway {

boost::asio::awaitable<void> AsioSleeper::sleep(std::chrono::milliseconds delay) {
  if (delay.count() <= 0) co_return;
  boost::asio::steady_timer timer(co_await boost::asio::this_coro::executor, delay);
  // The error (operation_aborted on shutdown) is a value here: either way the wait is over.
  auto [ec] = co_await timer.async_wait(boost::asio::as_tuple(boost::asio::use_awaitable));
  (void)ec;
}

}  // namespace anvil::gateway
