// EventLoops: one Asio io_context per core, each run by exactly one named thread
// ("loop-<i>"). Objects bound to a loop are only touched from that loop's thread, so they
// need no locks (shared-nothing).
#pragma once

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <memory>
#include <optional>
#include <thread>
#include <vector>

namespace minishop::net {

class EventLoops {
 public:
  // `count` <= 0 means one loop per hardware thread.
  explicit EventLoops(int count);
  ~EventLoops();
  EventLoops(const EventLoops&) = delete;
  EventLoops& operator=(const EventLoops&) = delete;

  int size() const { return static_cast<int>(loops_.size()); }
  boost::asio::io_context& loop(int i) { return loops_[i]->io; }

  // Starts the threads. Non-blocking.
  void Start();
  // Stops every loop (pending handlers are dropped) and joins the threads. Idempotent.
  void Stop();

 private:
  struct Loop {
    boost::asio::io_context io{1};
    std::optional<boost::asio::executor_work_guard<boost::asio::io_context::executor_type>> work;
    std::thread thread;
  };
  std::vector<std::unique_ptr<Loop>> loops_;
};

}  // namespace minishop::net
