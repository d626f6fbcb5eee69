// Blocking work (a SQLite read) run on a worker pool from a coroutine on an I/O thread: the
// coroutine suspends, the pool runs the function, and the coroutine resumes on its own executor.
#pragma once

#include <optional>
#include <type_traits>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

namespace anvil::server {

// `fn` must not throw. Its result is moved back to the caller.
template <typename Fn>
boost::asio::awaitable<std::invoke_result_t<Fn&>> offload(boost::asio::thread_pool& pool, Fn fn) {
  namespace asio = boost::asio;
  using R = std::invoke_result_t<Fn&>;
  asio::any_io_executor home = co_await asio::this_coro::executor;
  std::optional<R> result;  // lives in this frame, which stays suspended until the pool is done
  co_await asio::async_initiate<decltype(asio::use_awaitable), void()>(
      [&](auto handler) {
        asio::post(pool, [&result, &fn, home, handler = std::move(handler)]() mutable {
          result.emplace(fn());
          asio::post(home, std::move(handler));
        });
      },
      asio::use_awaitable);
  co_return std::move(*result);
}

}  // namespace anvil::server
