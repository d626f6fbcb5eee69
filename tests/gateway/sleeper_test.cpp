#include "anvil/gateway/sleeper.h"

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>

namespace anvil::gateway {
namespace {

// The waits end (no timing is asserted): a real timer, a zero and a negative delay.
TEST(AsioSleeperTest, WaitsEndOnTheCallersContext) {
  boost::asio::io_context io;
  AsioSleeper sleeper;
  int done = 0;
  for (auto delay : {std::chrono::milliseconds(1), std::chrono::milliseconds(0),
                     std::chrono::milliseconds(-5)}) {
    boost::asio::co_spawn(
        io,
        [&, delay]() -> boost::asio::awaitable<void> {
          co_await sleeper.sleep(delay);
          ++done;
        },
        boost::asio::detached);
  }
  io.run();
  EXPECT_EQ(done, 3);
}

// Stopping the context mid-wait (shutdown) leaves the coroutine suspended, never throwing.
TEST(AsioSleeperTest, ShutdownDoesNotThrow) {
  auto io = std::make_unique<boost::asio::io_context>();
  AsioSleeper sleeper;
  bool resumed = false;
  boost::asio::co_spawn(
      *io,
      [&]() -> boost::asio::awaitable<void> {
        co_await sleeper.sleep(std::chrono::hours(1));
        resumed = true;
      },
      boost::asio::detached);
  io->poll();  // starts the wait
  EXPECT_NO_THROW(io.reset());
  EXPECT_FALSE(resumed);
}

}  // namespace
}  // namespace anvil::gateway
