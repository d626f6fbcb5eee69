#include "anvil/server/admission.h"

#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace anvil::server {

namespace asio = boost::asio;

Admission::Admission(std::size_t max_in_flight, std::size_t queue_depth, core::Gauge* in_flight,
                     core::Gauge* queued)
    : max_in_flight_(max_in_flight == 0 ? 1 : max_in_flight),
      queue_depth_(queue_depth),
      in_flight_gauge_(in_flight),
      queued_gauge_(queued) {}

bool Admission::try_take_slot() {
  std::size_t n = in_flight_.load();
  while (n < max_in_flight_) {
    if (in_flight_.compare_exchange_weak(n, n + 1)) return true;
  }
  return false;
}

void Admission::update_gauges() {
  if (in_flight_gauge_ != nullptr) in_flight_gauge_->set(static_cast<double>(in_flight_.load()));
  if (queued_gauge_ != nullptr) queued_gauge_->set(static_cast<double>(waiting_.load()));
}

asio::awaitable<Admission::Verdict> Admission::acquire() {
  // Fast path: nobody waits and a slot is free. A request arriving while others wait goes
  // behind them.
  if (waiting_.load() == 0 && try_take_slot()) {
    update_gauges();
    co_return Verdict::kAdmitted;
  }
  asio::any_io_executor executor = co_await asio::this_coro::executor;
  bool full = false;
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [this, &executor, &full](auto handler) {
        std::unique_lock lock(mu_);
        if (queue_.empty() && try_take_slot()) {
          // A slot freed up since the fast path: take it without queueing.
        } else if (queue_.size() >= queue_depth_) {
          full = true;
        } else {
          queue_.push_back({executor, std::move(handler)});
          waiting_.fetch_add(1);
          // A release() that ran between our failed try and the push saw no waiter; re-check.
          dispatch_locked();
          update_gauges();
          return;
        }
        lock.unlock();
        // Complete at once, through the executor (never inline from the initiation).
        asio::post(executor, std::move(handler));
      },
      asio::use_awaitable);
  update_gauges();
  co_return full ? Verdict::kQueueFull : Verdict::kAdmitted;
}

void Admission::release() {
  in_flight_.fetch_sub(1);
  // seq_cst pairs with the waiter's fetch_add above: either it sees the freed slot in
  // dispatch_locked(), or this load sees it waiting.
  if (waiting_.load() != 0) {
    std::lock_guard lock(mu_);
    dispatch_locked();
  }
  update_gauges();
}

void Admission::dispatch_locked() {
  while (!queue_.empty() && try_take_slot()) {
    Waiter w = std::move(queue_.front());
    queue_.pop_front();
    waiting_.fetch_sub(1);
    asio::post(w.executor, std::move(w.handler));
  }
}

}  // namespace anvil::server

namespace anvil::server {

void Admission::abandon_waiters() {
  std::deque<Waiter> dropped;
  {
    std::lock_guard lock(mu_);
    dropped.swap(queue_);
    waiting_.store(0);
  }
  update_gauges();
  // `dropped` is destroyed here, outside the lock: destroying a handler ends its coroutine.
}

}  // namespace anvil::server
