#include "common/periodic_task.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <vector>

namespace minishop {
namespace {

using std::chrono::hours;
using std::chrono::milliseconds;

// The waits a task chose, recorded by its Pause seam instead of slept; the loop ends after
// `pauses` of them. Read `waits` only after Stop (which joins the task's thread).
class RecordedPauses {
 public:
  explicit RecordedPauses(size_t pauses) : limit_(pauses) {}
  PeriodicTask::Pause Seam() {
    return [this](milliseconds wait) {
      std::lock_guard lock(mu_);
      waits.push_back(wait);
      if (waits.size() < limit_) return true;
      cv_.notify_all();
      return false;
    };
  }
  // Blocks until the loop took its last pause (and so ends by itself).
  void WaitForAll() {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return waits.size() >= limit_; });
  }

  std::vector<milliseconds> waits;

 private:
  const size_t limit_;
  std::mutex mu_;
  std::condition_variable cv_;
};

// A step that answers from a script of outcomes (OK once the script runs out) and counts.
struct ScriptedStep {
  PeriodicTask::Step Step() {
    return [this]() -> Status {
      const size_t i = calls++;
      if (i < fails.size() && fails[i]) return MakeError(Code::kUnavailable, "down");
      return OkStatus();
    };
  }
  std::vector<bool> fails;  // per call: true fails it
  size_t calls = 0;
};

// Lets the test wait until the task's step ran `n` times, without a timing assumption.
class StepCounter {
 public:
  void Count() {
    std::lock_guard lock(mu_);
    ++count_;
    cv_.notify_all();
  }
  void WaitFor(int n) {
    std::unique_lock lock(mu_);
    cv_.wait(lock, [&] { return count_ >= n; });
  }
  int count() {
    std::lock_guard lock(mu_);
    return count_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int count_ = 0;
};

TEST(PeriodicTaskTest, RunsTheStepOnceBeforeEachWait) {
  RecordedPauses pauses(3);
  ScriptedStep step;
  PeriodicTask task(pauses.Seam());
  task.Start("test-task", {.period = milliseconds(40)}, step.Step());
  pauses.WaitForAll();
  task.Stop();
  EXPECT_EQ(step.calls, 3u);
  EXPECT_EQ(pauses.waits, std::vector<milliseconds>(3, milliseconds(40)));
}

TEST(PeriodicTaskTest, BacksOffAfterFailuresInARowAndResetsOnSuccess) {
  RecordedPauses pauses(7);
  ScriptedStep step;
  step.fails = {true, true, true, true, false, true, false};
  PeriodicTask task(pauses.Seam());
  task.Start("test-task",
             {.period = milliseconds(5), .backoff = milliseconds(50), .max_backoff = hours(1)},
             step.Step());
  pauses.WaitForAll();
  task.Stop();
  const std::vector<milliseconds> want = {milliseconds(50),  milliseconds(100), milliseconds(200),
                                          milliseconds(400), milliseconds(5),   milliseconds(50),
                                          milliseconds(5)};
  EXPECT_EQ(pauses.waits, want);
}

TEST(PeriodicTaskTest, BackOffStopsGrowingAtMaxBackoff) {
  RecordedPauses pauses(4);
  ScriptedStep step;
  step.fails = {true, true, true, true};
  PeriodicTask task(pauses.Seam());
  task.Start("test-task", {.backoff = milliseconds(50), .max_backoff = milliseconds(120)},
             step.Step());
  pauses.WaitForAll();
  task.Stop();
  const std::vector<milliseconds> want = {milliseconds(50), milliseconds(100), milliseconds(120),
                                          milliseconds(120)};
  EXPECT_EQ(pauses.waits, want);
}

TEST(PeriodicTaskTest, BackOffDoublesAtMostEightTimes) {
  RecordedPauses pauses(11);
  ScriptedStep step;
  step.fails = std::vector<bool>(11, true);
  PeriodicTask task(pauses.Seam());
  task.Start("test-task", {.backoff = milliseconds(1), .max_backoff = hours(1)}, step.Step());
  pauses.WaitForAll();
  task.Stop();
  ASSERT_EQ(pauses.waits.size(), 11u);
  EXPECT_EQ(pauses.waits[7], milliseconds(128));
  EXPECT_EQ(pauses.waits[8], milliseconds(256));
  EXPECT_EQ(pauses.waits[9], milliseconds(256));
  EXPECT_EQ(pauses.waits[10], milliseconds(256));
}

TEST(PeriodicTaskTest, HealthIsTheLastStepsOutcome) {
  std::vector<Status> seen;  // Health() as each step began
  RecordedPauses pauses(4);
  PeriodicTask task(pauses.Seam());
  EXPECT_TRUE(task.Health().ok()) << "before the first step";
  int calls = 0;
  task.Start("test-task", {.backoff = milliseconds(1), .max_backoff = milliseconds(1)},
             [&]() -> Status {
               seen.push_back(task.Health());
               ++calls;
               if (calls == 2) return MakeError(Code::kUnavailable, "redis: connection refused");
               return OkStatus();
             });
  pauses.WaitForAll();
  task.Stop();
  ASSERT_EQ(seen.size(), 4u);
  EXPECT_TRUE(seen[0].ok()) << "before the first step";
  EXPECT_TRUE(seen[1].ok()) << "after a step that succeeded";
  EXPECT_EQ(seen[2].code(), Code::kUnavailable) << "after the failed step";
  EXPECT_EQ(seen[2].error().message, "redis: connection refused");
  EXPECT_TRUE(seen[3].ok()) << "after the step that succeeded again";
  EXPECT_TRUE(task.Health().ok());
}

TEST(PeriodicTaskTest, StopEndsTheWaitAndJoins) {
  StepCounter steps;
  PeriodicTask task;
  task.Start("test-task", {.period = hours(1)}, [&] {
    steps.Count();
    return OkStatus();
  });
  EXPECT_TRUE(task.IsRunning());
  steps.WaitFor(1);
  task.Stop();  // would outlast the test's timeout if it waited for the period
  EXPECT_FALSE(task.IsRunning());
  EXPECT_EQ(steps.count(), 1);
}

TEST(PeriodicTaskTest, StopEndsTheBackOff) {
  StepCounter steps;
  PeriodicTask task;
  task.Start("test-task", {.backoff = hours(1), .max_backoff = hours(1)}, [&]() -> Status {
    steps.Count();
    return MakeError(Code::kUnavailable, "down");
  });
  steps.WaitFor(1);
  task.Stop();
  EXPECT_EQ(steps.count(), 1);
  EXPECT_EQ(task.Health().code(), Code::kUnavailable);
}

TEST(PeriodicTaskTest, StopEndsAWaitInsideTheStep) {
  StepCounter steps;
  std::atomic<bool> slept_through = true;
  PeriodicTask task;
  task.Start("test-task", {.period = hours(1)}, [&] {
    steps.Count();
    slept_through = task.SleepUnlessStopped(hours(1));
    return OkStatus();
  });
  steps.WaitFor(1);
  task.Stop();
  EXPECT_FALSE(slept_through) << "SleepUnlessStopped reports the stop";
  EXPECT_TRUE(task.stopping());
}

TEST(PeriodicTaskTest, WakeRunsTheNextStepNow) {
  StepCounter steps;
  PeriodicTask task;
  task.Start("test-task", {.period = hours(1)}, [&] {
    steps.Count();
    return OkStatus();
  });
  steps.WaitFor(1);
  task.Wake();
  steps.WaitFor(2);  // would outlast the test's timeout if the wake were lost
  task.Stop();
  EXPECT_GE(steps.count(), 2);
}

TEST(PeriodicTaskTest, StopWithoutStartAndTwiceIsHarmless) {
  PeriodicTask never_started;
  never_started.Stop();
  EXPECT_FALSE(never_started.IsRunning());

  PeriodicTask task;
  task.Start("test-task", {.period = hours(1)}, [] { return OkStatus(); });
  task.Stop();
  task.Stop();
  EXPECT_FALSE(task.IsRunning());
}

}  // namespace
}  // namespace minishop
