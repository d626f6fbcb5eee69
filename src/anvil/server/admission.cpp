#include "anvil/server/admission.h"

#include <algorithm>
#include <optional>

#include <boost/asio/append.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace anvil::server {

namespace asio = boost::asio;

Admission::Admission(AdmissionLimits limits, core::Gauge* in_flight, core::Gauge* queued)
    : limits_([&] {
        limits.max_in_flight = std::max<std::size_t>(limits.max_in_flight, 1);
        return limits;
      }()),
      in_flight_gauge_(in_flight),
      queued_gauge_(queued) {}

bool Admission::try_take_slot() {
  std::size_t n = in_flight_.load();
  while (n < limits_.max_in_flight) {
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
  // The queue timeout's timer lives in this frame, on the caller's thread: however the wait
  // ends (a slot, the timeout, the frame destroyed by abandon_waiters), leaving the frame
  // cancels it, and a cancelled timer's callback touches nothing.
  std::optional<asio::steady_timer> timer;
  const Verdict verdict = co_await asio::async_initiate<decltype(asio::use_awaitable), void(Verdict)>(
      [this, &executor, &timer](auto handler) {
        std::unique_lock lock(mu_);
        Verdict now = Verdict::kAdmitted;
        if (queue_.empty() && try_take_slot()) {
          // A slot freed up since the fast path: take it without queueing.
        } else if (queue_.size() >= limits_.queue_depth) {
          now = Verdict::kQueueFull;
        } else {
          const std::uint64_t id = next_id_++;
          queue_.push_back({id, executor, std::move(handler)});
          waiting_.fetch_add(1);
          // A release() that ran between our failed try and the push saw no waiter; re-check.
          dispatch_locked();
          // Still queued: it is the newest waiter, at the back (we hold the lock).
          const bool queued = !queue_.empty() && queue_.back().id == id;
          if (queued && limits_.queue_timeout.count() > 0) {
            timer.emplace(executor, limits_.queue_timeout);
            timer->async_wait([this, id](const boost::system::error_code& ec) {
              if (!ec) expire(id);
            });
          }
          update_gauges();
          return;
        }
        lock.unlock();
        // Complete at once, through the executor (never inline from the initiation).
        asio::post(executor, asio::append(std::move(handler), now));
      },
      asio::use_awaitable);
  update_gauges();
  co_return verdict;
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
    asio::post(w.executor, asio::append(std::move(w.handler), Verdict::kAdmitted));
  }
}

void Admission::expire(std::uint64_t id) {
  std::unique_lock lock(mu_);
  // Every waiter has the same timeout and waiters queue in arrival order, so the one whose
  // timer fired is almost always at the front: the search is short.
  auto it = std::find_if(queue_.begin(), queue_.end(), [id](const Waiter& w) { return w.id == id; });
  if (it == queue_.end()) return;  // a slot reached it first; its resumption is on its way
  Waiter w = std::move(*it);
  queue_.erase(it);
  waiting_.fetch_sub(1);
  lock.unlock();
  update_gauges();
  asio::post(w.executor, asio::append(std::move(w.handler), Verdict::kTimedOut));
}

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
