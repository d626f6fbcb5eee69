#include "anvil/core/thread_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <latch>
#include <set>
#include <stdexcept>

namespace anvil::core {
namespace {

TEST(ThreadPoolTest, SizeDefaultsToHardwareConcurrency) {
  ThreadPool pool;
  EXPECT_EQ(pool.size(), std::max(1u, std::thread::hardware_concurrency()));
  ThreadPool three(3);
  EXPECT_EQ(three.size(), 3u);
}

TEST(ThreadPoolTest, SubmitReturnsResults) {
  ThreadPool pool(2);
  std::vector<std::future<int>> futures;
  for (int i = 0; i < 50; ++i) futures.push_back(pool.submit([i] { return i * i; }));
  for (int i = 0; i < 50; ++i) EXPECT_EQ(futures[static_cast<std::size_t>(i)].get(), i * i);
  std::future<void> done = pool.submit([] {});
  done.get();
}

TEST(ThreadPoolTest, MoveOnlyTasksAndResults) {
  ThreadPool pool(1);
  auto owned = std::make_unique<int>(7);
  std::future<std::unique_ptr<int>> f =
      pool.submit([p = std::move(owned)]() mutable { return std::move(p); });
  EXPECT_EQ(*f.get(), 7);
}

TEST(ThreadPoolTest, ExceptionsPropagateThroughTheFuture) {
  ThreadPool pool(2);
  auto f = pool.submit([]() -> int { throw std::invalid_argument("bad chunk"); });
  try {
    f.get();
    FAIL() << "expected an exception";
  } catch (const std::invalid_argument& e) {
    EXPECT_STREQ(e.what(), "bad chunk");
  }
  // The worker survived the exception.
  EXPECT_EQ(pool.submit([] { return 1; }).get(), 1);
}

TEST(ThreadPoolTest, ShutdownFinishesQueuedWork) {
  std::atomic<int> ran{0};
  std::latch release(1);
  {
    ThreadPool pool(1);
    // Block the only worker so the following tasks are still queued at shutdown.
    pool.submit([&] { release.wait(); });
    for (int i = 0; i < 100; ++i) pool.submit([&] { ran.fetch_add(1); });
    release.count_down();
    pool.shutdown();
    EXPECT_EQ(ran.load(), 100);
    EXPECT_EQ(pool.size(), 0u);
    pool.shutdown();  // idempotent
  }
  EXPECT_EQ(ran.load(), 100);
}

TEST(ThreadPoolTest, DestructorFinishesQueuedWork) {
  std::atomic<int> ran{0};
  std::latch release(1);
  {
    ThreadPool pool(2);
    pool.submit([&] { release.wait(); });
    for (int i = 0; i < 20; ++i) pool.submit([&] { ran.fetch_add(1); });
    release.count_down();
  }
  EXPECT_EQ(ran.load(), 20);
}

TEST(ThreadPoolTest, SubmitAfterShutdownFails) {
  ThreadPool pool(1);
  pool.shutdown();
  auto f = pool.submit([] { return 1; });
  EXPECT_THROW(f.get(), std::runtime_error);
}

TEST(ThreadPoolTest, ParallelForVisitsEveryIndexOnce) {
  ThreadPool pool(3);
  std::vector<std::atomic<int>> hits(1000);
  pool.parallel_for(0, hits.size(), [&](std::size_t i) { hits[i].fetch_add(1); });
  for (auto& h : hits) ASSERT_EQ(h.load(), 1);

  std::vector<std::atomic<int>> ranged(100);
  pool.parallel_for(10, 20, [&](std::size_t i) { ranged[i].fetch_add(1); }, /*grain=*/3);
  for (std::size_t i = 0; i < ranged.size(); ++i) {
    EXPECT_EQ(ranged[i].load(), (i >= 10 && i < 20) ? 1 : 0) << i;
  }
  pool.parallel_for(5, 5, [&](std::size_t) { FAIL() << "empty range"; });
}

TEST(ThreadPoolTest, ParallelForRunsOnTheCallerWhenWorkersAreBusy) {
  ThreadPool pool(1);
  std::latch release(1);
  auto blocker = pool.submit([&] { release.wait(); });
  // The only worker is blocked: the calling thread must do all the work itself.
  std::set<std::thread::id> ids;
  std::mutex mu;
  pool.parallel_for(0, 64, [&](std::size_t) {
    std::lock_guard lock(mu);
    ids.insert(std::this_thread::get_id());
  });
  EXPECT_EQ(ids, std::set<std::thread::id>{std::this_thread::get_id()});
  release.count_down();
  blocker.get();
}

TEST(ThreadPoolTest, ParallelForUsesPoolThreadsToo) {
  ThreadPool pool(2);
  // Each index waits until two distinct threads have arrived, which cannot happen unless a
  // pool thread takes part; a latch avoids timing assumptions.
  std::latch both(2);
  std::atomic<int> arrived{0};
  pool.parallel_for(0, 2, [&](std::size_t) {
    arrived.fetch_add(1);
    both.arrive_and_wait();
  }, /*grain=*/1);
  EXPECT_EQ(arrived.load(), 2);
}

TEST(ThreadPoolTest, NestedParallelForDoesNotDeadlock) {
  ThreadPool pool(2);
  std::atomic<int> total{0};
  pool.parallel_for(0, 8, [&](std::size_t) {
    pool.parallel_for(0, 8, [&](std::size_t) { total.fetch_add(1); });
  }, /*grain=*/1);
  EXPECT_EQ(total.load(), 64);
}

TEST(ThreadPoolTest, ParallelForRethrowsTheFirstException) {
  ThreadPool pool(2);
  std::atomic<int> ran{0};
  EXPECT_THROW(pool.parallel_for(0, 1000,
                                 [&](std::size_t i) {
                                   ran.fetch_add(1);
                                   if (i == 0) throw std::runtime_error("index 0 failed");
                                 },
                                 /*grain=*/10),
               std::runtime_error);
  // The pool is still usable afterwards.
  std::atomic<int> after{0};
  pool.parallel_for(0, 10, [&](std::size_t) { after.fetch_add(1); });
  EXPECT_EQ(after.load(), 10);
}

TEST(ThreadPoolTest, ParallelForAfterShutdownRunsOnTheCaller) {
  ThreadPool pool(2);
  pool.shutdown();
  std::atomic<int> n{0};
  pool.parallel_for(0, 10, [&](std::size_t) { n.fetch_add(1); });
  EXPECT_EQ(n.load(), 10);
}

}  // namespace
}  // namespace anvil::core
