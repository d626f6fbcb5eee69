// How the gateway waits between retries: an awaitable sleep behind an interface, so tests record
// the delays the retry policy asked for instead of waiting them out.
#pragma once

#include <chrono>

#include <boost/asio/awaitable.hpp>

namespace anvil::gateway {

class Sleeper {
 public:
  virtual ~Sleeper() = default;
  // Suspends the calling coroutine for `delay` (<= 0: resumes at once).
  virtual boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay) = 0;
};

// A steady_timer on the caller's executor: the wait stays on the caller's I/O thread and
// blocks nothing. A cancelled timer (shutdown) ends the wait early rather than throwing.
class AsioSleeper final : public Sleeper {
 public:
  boost::asio::awaitable<void> sleep(std::chrono::milliseconds delay) override;
};

}  // namespace anvil::gateway
