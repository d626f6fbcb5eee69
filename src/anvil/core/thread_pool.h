// A fixed-size thread pool for CPU work (embedding batches, index builds, document parsing):
// submit() returns a std::future, parallel_for() splits an index range and also uses the
// calling thread, and shutdown finishes every task already queued.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

namespace anvil::core {

class ThreadPool {
 public:
  // `threads` == 0 means std::thread::hardware_concurrency() (at least 1).
  explicit ThreadPool(std::size_t threads = 0);
  // shutdown(): queued tasks still run.
  ~ThreadPool();
  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  // Runs `f()` on a pool thread. An exception thrown by `f` is rethrown by future::get().
  // After shutdown the future holds std::runtime_error("thread pool is shut down").
  template <typename F>
  auto submit(F&& f) -> std::future<std::invoke_result_t<std::decay_t<F>>> {
    using R = std::invoke_result_t<std::decay_t<F>>;
    std::packaged_task<R()> task(std::forward<F>(f));
    std::future<R> future = task.get_future();
    if (!enqueue(Task(std::move(task)))) {
      std::promise<R> refused;
      refused.set_exception(std::make_exception_ptr(std::runtime_error("thread pool is shut down")));
      return refused.get_future();
    }
    return future;
  }

  // Calls f(i) for every i in [begin, end) and returns when all calls have finished. Indices are
  // handed out in chunks of `grain` (0: about 4 chunks per thread) to the pool's threads and to
  // the calling thread, which works too, so calling this from inside a pool task cannot
  // deadlock and a busy pool only makes it slower. The first exception thrown by f is rethrown
  // here once running calls finish; chunks not yet started are skipped.
  void parallel_for(std::size_t begin, std::size_t end,
                    const std::function<void(std::size_t)>& f, std::size_t grain = 0);

  // Stops accepting tasks, runs every task already queued, joins the threads. Idempotent. Must
  // not be called from one of the pool's own threads.
  void shutdown();

  std::size_t size() const { return threads_.size(); }

 private:
  // A move-only callable: std::function cannot hold a std::packaged_task.
  class Task {
   public:
    Task() = default;
    template <typename F>
    explicit Task(F f) : impl_(std::make_unique<Impl<F>>(std::move(f))) {}
    void operator()() { impl_->run(); }

   private:
    struct Base {
      virtual ~Base() = default;
      virtual void run() = 0;
    };
    template <typename F>
    struct Impl final : Base {
      explicit Impl(F fn) : f(std::move(fn)) {}
      void run() override { f(); }
      F f;
    };
    std::unique_ptr<Base> impl_;
  };

  // False when the pool is shut down.
  bool enqueue(Task task);
  void worker_loop();

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Task> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace anvil::core
