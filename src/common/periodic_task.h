// PeriodicTask: a background job's loop — one named thread that runs a step, waits, and
// runs it again until stopped (compare userver's utils::PeriodicTask). The outbox relay, the
// order worker and the lifecycle and consistency jobs are each one of these, configured
// rather than written out four times.
//
// The loop, on the task's own thread:
//   - it runs the step, records the outcome as its health, then waits;
//   - after a step that succeeded it waits `period` (0: the next step runs at once, for a
//     step that waits by itself, e.g. in a broker read with a timeout);
//   - after a failed step it waits `backoff`, doubled for each further failure in a row (at
//     most 8 doublings), never longer than `max_backoff`; a step that succeeds resets it;
//   - Wake() ends the current wait early; Stop() ends it too, lets the step in flight
//     finish, and joins the thread.
// Health() is the outcome of the last step: OK before the first step and after one that
// succeeded, that step's error after one that failed.
//
// Threads: Start, Stop and IsRunning from one controlling thread; Health and Wake from any
// thread; stopping and SleepUnlessStopped from the step (the task's thread). The step must
// not call Stop. A step that waits by itself should wait through SleepUnlessStopped, so
// that Stop does not wait for it.
#pragma once

#include <chrono>
#include <functional>
#include <mutex>
#include <string>

#include "common/background_thread.h"
#include "common/result.h"

namespace minishop {

class PeriodicTask {
 public:
  struct Settings {
    std::chrono::milliseconds period{0};       // after a step that succeeded
    std::chrono::milliseconds backoff{0};      // after the first failure in a row
    std::chrono::milliseconds max_backoff{0};  // the longest wait after failures
    int nice = 0;  // the thread's nice value (config server.background_nice; 0: the process's)
  };

  // One round of the job. Its Status is the task's health until the next step.
  using Step = std::function<Status()>;

  // A test seam: replaces the wait between steps. Called on the task's thread with the wait
  // the task chose (period or back-off); returns false to end the loop as Stop would.
  using Pause = std::function<bool(std::chrono::milliseconds)>;

  PeriodicTask() = default;
  explicit PeriodicTask(Pause pause) : pause_(std::move(pause)) {}
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Runs the loop on a new thread named `name` (at most 15 characters are kept). Call once.
  void Start(std::string name, Settings settings, Step step);

  // Ends the wait or lets the step in flight finish, then joins. Idempotent; a no-op
  // before Start. The owner calls it before destroying what the step uses.
  void Stop();

  // True between Start and Stop.
  bool IsRunning() const { return running_; }

  // The last step's outcome (see above). Thread-safe; never blocks on the step.
  Status Health() const;

  // Ends the current wait early, or the next one if a step is running (one wake is
  // remembered, not counted). Thread-safe; never blocks on the step.
  void Wake() { thread_.Wake(); }

  // For the step: whether Stop was called.
  bool stopping() const { return thread_.stopping(); }

  // For the step: sleeps for `d`, until Stop() or Wake(); returns false if stopping.
  bool SleepUnlessStopped(std::chrono::milliseconds d) { return thread_.SleepUnlessStopped(d); }

 private:
  void Run(const Settings& settings, const Step& step);
  void SetHealth(Status status);

  const Pause pause_;
  bool running_ = false;
  mutable std::mutex health_mu_;
  Status health_;
  BackgroundThread thread_;
};

}  // namespace minishop
