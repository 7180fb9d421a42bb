// pg::AsyncRun: runs a blocking database function on a pg::Pool thread and completes an
// Asio completion token with its result, so that event-loop code can write
//   Result<Order> r = co_await pg::AsyncRun(pool, fn, boost::asio::use_awaitable);
// without ever blocking its loop.
#pragma once

#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <memory>
#include <type_traits>
#include <utility>

#include "infra/pg/pool.h"

namespace minishop::pg {

// Runs fn(Connection*) on a pool thread; completes `token` with fn's return value (a
// Result<T>) on the completion handler's associated executor — always through that
// executor, never inline. fn receives nullptr when the pool has no connection, is full or
// is stopped (then it may run on the calling thread) and must return kUnavailable
// promptly. fn must not touch state owned by the caller's event loop. `pool` must outlive
// the operation.
template <class F, class CompletionToken>
auto AsyncRun(Pool& pool, F fn, CompletionToken&& token) {
  using R = std::invoke_result_t<F&, Connection*>;
  auto initiate = [&pool](auto handler, F f) {
    using Handler = decltype(handler);
    using Executor = boost::asio::associated_executor_t<Handler>;
    struct State {
      Handler handler;
      boost::asio::executor_work_guard<Executor> work;
      F fn;
    };
    auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
    // Shared because Pool::Job is a copyable std::function and the handler is move-only.
    auto state = std::make_shared<State>(State{std::move(handler), std::move(work), std::move(f)});
    pool.Submit([state](Connection* conn) {
      R result = state->fn(conn);
      Executor executor = state->work.get_executor();
      boost::asio::post(executor, [state, result = std::move(result)]() mutable {
        state->work.reset();
        std::move(state->handler)(std::move(result));
      });
    });
  };
  return boost::asio::async_initiate<CompletionToken, void(R)>(std::move(initiate), token,
                                                               std::move(fn));
}

}  // namespace minishop::pg
