#include "anvil/engine/parallel.h"

#include "anvil/core/thread_pool.h"

namespace anvil::engine {

void parallel_run(core::ThreadPool* pool, int64_t n, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  if (pool == nullptr || n == 1) {
    for (int64_t i = 0; i < n; ++i) fn(i);
    return;
  }
  pool->parallel_for(0, static_cast<size_t>(n), [&](size_t i) { fn(static_cast<int64_t>(i)); }, 1);
}

}  // namespace anvil::engine
