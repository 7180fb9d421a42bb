// pg::Pool: a fixed set of named threads, each owning one pg::Connection, running blocking
// database jobs from a bounded queue, so that event loops never wait on PostgreSQL.
// Submit and Stop may be called from any thread. See pg/async.h for the coroutine API.
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "infra/pg/connection.h"

namespace minishop::pg {

class Pool {
 public:
  struct Options {
    std::string conninfo;
    int threads = 2;
    size_t max_queue = 10'000;  // jobs waiting beyond this are rejected
    std::string name = "pg";    // threads are named <name>-<i>
    // A thread whose connection failed answers jobs with nullptr for this long before it
    // tries to connect again, so a dead server costs one connect timeout per interval.
    std::chrono::milliseconds reconnect_interval{1'000};
  };
  // A job receives the thread's connection, or nullptr when there is none (server down,
  // queue full, pool stopped); given nullptr it must answer kUnavailable promptly.
  using Job = std::function<void(Connection*)>;

  // Starts the threads; they connect lazily, on their first job.
  explicit Pool(Options options);
  ~Pool();  // Stop()
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  // Queues `job` for a pool thread. When the queue is full or the pool is stopped, runs
  // job(nullptr) at once on the calling thread. Never blocks on the database.
  void Submit(Job job);

  // Runs every job already queued, then joins the threads. Idempotent; later Submits
  // are rejected as above.
  void Stop();

  size_t queued() const;

 private:
  void Run(int index);

  const Options options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace minishop::pg
