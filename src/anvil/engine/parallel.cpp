// A team of persistent worker threads per team size, shared by all matmuls. A worker that has
// just finished a job spins briefly waiting for the next one (decode issues matmuls back to back,
// so the next usually comes within microseconds), then sleeps on a futex (std::atomic::wait).
//
// Jobs are handed out through one 64-bit counter holding (job tag << 32 | next index): a worker
// claims index i of job g only by a compare-and-swap that also checks the tag, so a worker that
// wakes late can never run an index of a job that has already finished. Job descriptions live in
// two slots (tag & 1): job g+2 cannot start before job g+1 has finished, and a worker still
// holding job g's description fails its tag check.
#include "anvil/engine/parallel.h"

#include <immintrin.h>

#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "anvil/core/thread_pool.h"

namespace anvil::engine {
namespace {

using Fn = std::function<void(int64_t)>;

// About 20 microseconds of spinning (a pause is ~40 cycles on recent Intel cores): long enough
// to bridge the gap between two matmuls, short enough not to steal much CPU on a shared machine.
constexpr int kSpinPauses = 1500;

class Team {
 public:
  explicit Team(int workers) {
    for (int i = 0; i < workers; ++i) threads_.emplace_back([this] { worker_main(); });
  }

  ~Team() {
    stop_.store(true);
    generation_.fetch_add(1, std::memory_order_release);
    generation_.notify_all();
    for (auto& t : threads_) t.join();
  }

  Team(const Team&) = delete;
  Team& operator=(const Team&) = delete;

  std::mutex& busy() { return busy_; }

  // Runs fn(0..n-1) on the workers and the calling thread; returns when all have finished.
  void run(int64_t n, const Fn& fn) {
    const uint32_t tag = ++tag_;
    Slot& slot = slots_[tag & 1];
    slot.fn.store(&fn, std::memory_order_relaxed);
    slot.n.store(n, std::memory_order_relaxed);
    slot.done.store(0, std::memory_order_relaxed);
    next_.store(static_cast<uint64_t>(tag) << 32, std::memory_order_release);
    // seq_cst store and load against the worker's seq_cst increment and re-check below: either
    // we see it sleeping and wake it, or it sees the new generation before it sleeps.
    generation_.store(tag, std::memory_order_seq_cst);
    if (sleeping_.load(std::memory_order_seq_cst) > 0) generation_.notify_all();
    work(tag, slot);
    // Wait for indices claimed by workers to finish (they are running, so spin).
    while (slot.done.load(std::memory_order_acquire) < n) _mm_pause();
  }

 private:
  struct Slot {
    std::atomic<const Fn*> fn{nullptr};
    std::atomic<int64_t> n{0};
    std::atomic<int64_t> done{0};
  };

  // Claims and runs indices of job `tag` until none are left (or the job is over).
  void work(uint32_t tag, Slot& slot) {
    const Fn* fn = slot.fn.load(std::memory_order_relaxed);
    const int64_t n = slot.n.load(std::memory_order_relaxed);
    for (;;) {
      uint64_t v = next_.load(std::memory_order_acquire);
      for (;;) {
        if (static_cast<uint32_t>(v >> 32) != tag) return;
        if (static_cast<int64_t>(v & 0xffffffffu) >= n) return;
        if (next_.compare_exchange_weak(v, v + 1, std::memory_order_acq_rel)) break;
      }
      (*fn)(static_cast<int64_t>(v & 0xffffffffu));
      slot.done.fetch_add(1, std::memory_order_release);
    }
  }

  void worker_main() {
    uint32_t seen = 0;
    for (;;) {
      uint32_t g = generation_.load(std::memory_order_acquire);
      for (int i = 0; g == seen && i < kSpinPauses; ++i) {
        _mm_pause();
        g = generation_.load(std::memory_order_acquire);
      }
      if (g == seen) {
        sleeping_.fetch_add(1, std::memory_order_seq_cst);
        generation_.wait(seen, std::memory_order_seq_cst);
        sleeping_.fetch_sub(1, std::memory_order_seq_cst);
        continue;
      }
      if (stop_.load()) return;
      seen = g;
      work(g, slots_[g & 1]);
    }
  }

  std::vector<std::thread> threads_;
  std::mutex busy_;  // one job at a time; other callers fall back to the thread pool
  uint32_t tag_ = 0;
  Slot slots_[2];
  std::atomic<uint64_t> next_{0};
  std::atomic<uint32_t> generation_{0};
  std::atomic<int> sleeping_{0};
  std::atomic<bool> stop_{false};
};

// One team per size, created on first use and kept for the life of the process (idle workers
// sleep on a futex).
Team* team_of_size(int workers) {
  static std::mutex mu;
  static std::map<int, std::unique_ptr<Team>> teams;
  std::lock_guard lock(mu);
  auto& t = teams[workers];
  if (!t) t = std::make_unique<Team>(workers);
  return t.get();
}

}  // namespace

void parallel_run(core::ThreadPool* pool, int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (pool == nullptr || pool->size() == 0 || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  Team* team = team_of_size(static_cast<int>(pool->size()));
  std::unique_lock lock(team->busy(), std::try_to_lock);
  if (lock.owns_lock()) {
    team->run(n, fn);
    return;
  }
  // Another thread's matmul holds the team: share the pool instead of waiting.
  pool->parallel_for(0, static_cast<size_t>(n), [&](size_t i) { fn(static_cast<int64_t>(i)); }, 1);
}

}  // namespace anvil::engine
