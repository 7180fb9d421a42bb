#include "infra/pg/async.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <boost/asio/bind_executor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <thread>

namespace minishop::pg {
namespace {

namespace asio = boost::asio;

Pool::Options DeadPool(size_t max_queue = 100) {
  // Connect failures are the point here; this also sets up the logger before any pool
  // thread uses it.
  spdlog::set_level(spdlog::level::err);
  Pool::Options o;
  o.conninfo = "host=127.0.0.1 port=1 connect_timeout=2";
  o.threads = 1;
  o.max_queue = max_queue;
  return o;
}

Result<int> AnswerOrUnavailable(Connection* conn) {
  if (conn == nullptr) return MakeError(Code::kUnavailable, "no connection");
  return 1;
}

TEST(AsyncRunTest, CoroutineResumesOnItsLoopWithTheResult) {
  asio::io_context io;  // outlives the pool (its threads post into it)
  Pool pool(DeadPool());
  std::thread::id fn_thread, resumed_thread;
  std::optional<Result<int>> got;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        got = co_await AsyncRun(
            pool,
            [&](Connection* c) {
              fn_thread = std::this_thread::get_id();
              return AnswerOrUnavailable(c);
            },
            asio::use_awaitable);
        resumed_thread = std::this_thread::get_id();
      },
      asio::detached);
  io.run();
  ASSERT_TRUE(got.has_value());
  EXPECT_EQ(got->code(), Code::kUnavailable);
  EXPECT_NE(fn_thread, std::this_thread::get_id());
  EXPECT_EQ(resumed_thread, std::this_thread::get_id());
}

TEST(AsyncRunTest, RejectedJobStillCompletesThroughTheExecutor) {
  asio::io_context io;
  Pool pool(DeadPool(/*max_queue=*/0));
  bool done = false;
  AsyncRun(pool, AnswerOrUnavailable, asio::bind_executor(io, [&](Result<int> r) {
             EXPECT_EQ(r.code(), Code::kUnavailable);
             done = true;
           }));
  EXPECT_FALSE(done);  // fn ran on this thread, but the handler waits for the loop
  io.run();
  EXPECT_TRUE(done);
}

TEST(AsyncRunTest, ManyConcurrentOperationsAllComplete) {
  asio::io_context io;
  Pool pool(DeadPool());
  int completed = 0;
  for (int i = 0; i < 100; ++i) {
    asio::co_spawn(
        io,
        [&]() -> asio::awaitable<void> {
          Result<int> r = co_await AsyncRun(pool, AnswerOrUnavailable, asio::use_awaitable);
          if (r.code() == Code::kUnavailable) ++completed;
        },
        asio::detached);
  }
  io.run();
  EXPECT_EQ(completed, 100);
}

}  // namespace
}  // namespace minishop::pg
