// Admission control for API requests, shared by every I/O thread: at most `max_in_flight` run
// at once and up to `queue_depth` more wait in FIFO order, each for at most `queue_timeout`;
// beyond the queue a request is turned away (429 with Retry-After), and one that waited too long
// gives up (503 with Retry-After). Taking a free slot is one compare-and-swap; the mutex is only
// touched when requests must queue or a queued one is handed a slot or times out.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <mutex>

#include <boost/asio/any_completion_handler.hpp>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include "anvil/core/metrics.h"

namespace anvil::server {

struct AdmissionLimits {
  std::size_t max_in_flight = 1024;  // 0 is taken as 1
  std::size_t queue_depth = 1024;    // 0: no queue, a request without a free slot is refused
  // Longest wait in the queue; zero or negative: no limit.
  std::chrono::milliseconds queue_timeout{30000};
};

class Admission {
 public:
  // `in_flight` and `queued` may be null (no gauges).
  explicit Admission(AdmissionLimits limits, core::Gauge* in_flight = nullptr,
                     core::Gauge* queued = nullptr);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  enum class Verdict {
    kAdmitted,   // holds a slot: call release() when done
    kQueueFull,  // every slot and queue place was taken
    kTimedOut,   // waited queue_timeout in the queue without getting a slot
  };

  // Takes a slot, waiting in the queue when none is free. The wait resumes on the caller's
  // executor, whose thread also runs the queue timeout's timer.
  boost::asio::awaitable<Verdict> acquire();
  void release();
  // Drops every queued request without resuming it (server teardown, after its threads ended).
  void abandon_waiters();

  const AdmissionLimits& limits() const { return limits_; }
  std::size_t in_flight() const { return in_flight_.load(); }
  std::size_t waiting() const { return waiting_.load(); }

 private:
  struct Waiter {
    std::uint64_t id = 0;  // finds it again when its timer fires
    boost::asio::any_io_executor executor;
    boost::asio::any_completion_handler<void(Verdict)> handler;
  };

  bool try_take_slot();
  // Hands free slots to queued requests, oldest first. Requires mu_.
  void dispatch_locked();
  // The timer of waiter `id` fired: answers it kTimedOut unless a slot reached it first.
  void expire(std::uint64_t id);
  void update_gauges();

  const AdmissionLimits limits_;
  core::Gauge* in_flight_gauge_;
  core::Gauge* queued_gauge_;
  std::atomic<std::size_t> in_flight_{0};
  std::atomic<std::size_t> waiting_{0};
  std::mutex mu_;
  std::deque<Waiter> queue_;      // guarded by mu_
  std::uint64_t next_id_ = 0;     // guarded by mu_
};

}  // namespace anvil::server
