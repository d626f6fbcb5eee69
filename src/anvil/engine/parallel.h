// How engine kernels spread work over threads: parallel_run(pool, n, fn) calls fn(i) for every
// i < n on pool->size() helper threads plus the calling thread and returns when all are done.
// Kernels call it ~170 times per decoded token, so it must cost microseconds, not tens of them.
#pragma once

#include <cstdint>
#include <functional>

namespace anvil::core {
class ThreadPool;
}

namespace anvil::engine {

// pool may be null (runs inline). fn must not throw.
void parallel_run(core::ThreadPool* pool, int64_t n, const std::function<void(int64_t)>& fn);

}  // namespace anvil::engine
