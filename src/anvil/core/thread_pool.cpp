#include "anvil/core/thread_pool.h"

#include <algorithm>
#include <atomic>
#include <exception>

namespace anvil::core {
namespace {

// Shared by the caller of parallel_for and its helper tasks. Helpers that start after the
// range is exhausted touch only `next`, so the state outlives the call safely via shared_ptr.
struct ParallelFor {
  std::atomic<std::size_t> next;
  std::size_t end;
  std::size_t grain;
  const std::function<void(std::size_t)>* f;

  std::mutex mu;
  std::condition_variable done_cv;
  std::size_t remaining;  // indices not yet finished (run or skipped)
  std::exception_ptr error;
  std::atomic<bool> failed{false};

  ParallelFor(std::size_t b, std::size_t e, std::size_t g, const std::function<void(std::size_t)>* fn)
      : next(b), end(e), grain(g), f(fn), remaining(e - b) {}

  void work() {
    for (;;) {
      std::size_t start = next.fetch_add(grain);
      if (start >= end) return;
      std::size_t stop = std::min(end, start + grain);
      if (!failed.load(std::memory_order_relaxed)) {
        try {
          for (std::size_t i = start; i < stop; ++i) (*f)(i);
        } catch (...) {
          std::lock_guard lock(mu);
          if (!error) error = std::current_exception();
          failed.store(true, std::memory_order_relaxed);
        }
      }
      std::lock_guard lock(mu);
      remaining -= stop - start;
      if (remaining == 0) done_cv.notify_all();
    }
  }
};

}  // namespace

ThreadPool::ThreadPool(std::size_t threads) {
  if (threads == 0) threads = std::max(1u, std::thread::hardware_concurrency());
  threads_.reserve(threads);
  for (std::size_t i = 0; i < threads; ++i) threads_.emplace_back([this] { worker_loop(); });
}

ThreadPool::~ThreadPool() { shutdown(); }

bool ThreadPool::enqueue(Task task) {
  {
    std::lock_guard lock(mu_);
    if (stopping_) return false;
    queue_.push_back(std::move(task));
  }
  cv_.notify_one();
  return true;
}

void ThreadPool::worker_loop() {
  for (;;) {
    Task task;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;  // stopping, and nothing left to run
      task = std::move(queue_.front());
      queue_.pop_front();
    }
    task();  // packaged_task and parallel_for helpers catch their own exceptions
  }
}

void ThreadPool::shutdown() {
  {
    std::lock_guard lock(mu_);
    if (stopping_ && threads_.empty()) return;
    stopping_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) {
    if (t.joinable()) t.join();
  }
  threads_.clear();
}

void ThreadPool::parallel_for(std::size_t begin, std::size_t end,
                              const std::function<void(std::size_t)>& f, std::size_t grain) {
  if (begin >= end) return;
  const std::size_t n = end - begin;
  const std::size_t workers = size() + 1;  // the pool plus this thread
  if (grain == 0) grain = std::max<std::size_t>(1, n / (4 * workers));
  const std::size_t chunks = (n + grain - 1) / grain;

  auto state = std::make_shared<ParallelFor>(begin, end, grain, &f);
  const std::size_t helpers = std::min(size(), chunks - 1);
  for (std::size_t i = 0; i < helpers; ++i) {
    if (!enqueue(Task([state] { state->work(); }))) break;
  }
  state->work();
  std::unique_lock lock(state->mu);
  state->done_cv.wait(lock, [&] { return state->remaining == 0; });
  if (state->error) std::rethrow_exception(state->error);
}

}  // namespace anvil::core
