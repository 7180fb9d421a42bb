#include "infra/pg/pool.h"

#include <gtest/gtest.h>
#include <spdlog/spdlog.h>

#include <atomic>

namespace minishop::pg {
namespace {

// A conninfo that fails at once: nothing listens on port 1.
Pool::Options DeadPool(size_t max_queue = 100) {
  // Connect failures are the point here; this also sets up the logger before any pool
  // thread uses it.
  spdlog::set_level(spdlog::level::err);
  Pool::Options o;
  o.conninfo = "host=127.0.0.1 port=1 connect_timeout=2";
  o.threads = 2;
  o.max_queue = max_queue;
  return o;
}

TEST(PoolTest, JobsGetNullConnectionWhenServerIsDown) {
  Pool pool(DeadPool());
  std::atomic<int> nulls{0};
  for (int i = 0; i < 10; ++i) {
    pool.Submit([&](Connection* c) {
      if (c == nullptr) nulls.fetch_add(1);
    });
  }
  pool.Stop();
  EXPECT_EQ(nulls.load(), 10);
}

TEST(PoolTest, StopRunsEveryQueuedJob) {
  auto options = DeadPool();
  options.threads = 1;
  Pool pool(options);
  std::atomic<int> ran{0};
  for (int i = 0; i < 50; ++i) pool.Submit([&](Connection*) { ran.fetch_add(1); });
  pool.Stop();
  EXPECT_EQ(ran.load(), 50);
}

TEST(PoolTest, RejectsOnTheCallingThreadWhenStopped) {
  Pool pool(DeadPool());
  pool.Stop();
  std::thread::id ran_on;
  pool.Submit([&](Connection* c) {
    EXPECT_EQ(c, nullptr);
    ran_on = std::this_thread::get_id();
  });
  EXPECT_EQ(ran_on, std::this_thread::get_id());
}

TEST(PoolTest, RejectsWhenQueueIsFull) {
  auto options = DeadPool(/*max_queue=*/0);
  Pool pool(options);
  bool rejected = false;
  pool.Submit([&](Connection* c) { rejected = (c == nullptr); });
  EXPECT_TRUE(rejected);
}

}  // namespace
}  // namespace minishop::pg
