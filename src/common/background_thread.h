// BackgroundThread: one named thread that runs a background body, and the stop signal that
// body polls and sleeps on. Periodic jobs use it through PeriodicTask (periodic_task.h);
// a body that is not periodic (a worker draining a queue) uses it directly. Start/Stop are
// called by the owning (controlling) thread; stopping() and SleepUnlessStopped() by the
// body's own thread; Wake() by any thread.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

namespace minishop {

class BackgroundThread {
 public:
  BackgroundThread() = default;
  ~BackgroundThread() { Stop(); }
  BackgroundThread(const BackgroundThread&) = delete;
  BackgroundThread& operator=(const BackgroundThread&) = delete;

  // Runs `body` on a new thread named `name` (at most 15 characters are kept) at nice
  // value `nice` (Linux: per thread; 0 keeps the process's). Call once.
  void Start(std::string name, std::function<void()> body, int nice = 0);

  // Asks the body to return, wakes it from SleepUnlessStopped and joins it. Idempotent.
  // The owner must call it before destroying what the body uses.
  void Stop();

  bool stopping() const;

  // Sleeps for `d`, until Stop() or until Wake(); returns false if stopping.
  bool SleepUnlessStopped(std::chrono::milliseconds d);

  // Ends the body's current sleep early, or its next one if it is awake (one wake is
  // remembered, not counted). Any thread; takes a short lock, never waits for the body.
  void Wake();

 private:
  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace minishop
