// Admission control for API requests, shared by every I/O thread: at most `max_in_flight` run
// at once and up to `queue_depth` more wait in FIFO order; beyond that a request is turned
// away (the caller answers 429 with Retry-After). Taking a free slot is one compare-and-swap;
// the mutex is only touched when requests must queue or a queued one is handed a slot.
#pragma once

#include <atomic>
#include <cstddef>
#include <deque>
#include <mutex>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "anvil/core/metrics.h"

namespace anvil::server {

class Admission {
 public:
  // `in_flight` and `queued` may be null (no gauges).
  Admission(std::size_t max_in_flight, std::size_t queue_depth, core::Gauge* in_flight = nullptr,
            core::Gauge* queued = nullptr);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  enum class Verdict { kAdmitted, kQueueFull };

  // Takes a slot, waiting in the queue when none is free. A kAdmitted caller must call
  // release() once its request is done. The wait resumes on the caller's executor.
  boost::asio::awaitable<Verdict> acquire();
  void release();
  // Drops every queued request without resuming it (server teardown, after its threads ended).
  void abandon_waiters();

  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t waiting() const { return waiting_.load(); }

 private:
  struct Waiter {
    boost::asio::any_io_executor executor;
    boost::asio::any_completion_handler<void()> handler;
  };

  bool try_take_slot();
  // Hands free slots to queued requests, oldest first. Requires mu_.
  void dispatch_locked();
  void update_gauges();

  const std::size_t max_in_flight_;
  const std::size_t queue_depth_;
  core::Gauge* in_flight_gauge_;
  core::Gauge* queued_gauge_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> waiting_{0};
  std::mutex mu_;
  std::deque<Waiter> queue_;
};

}  // namespace anvil::server
