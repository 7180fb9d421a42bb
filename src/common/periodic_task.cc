#include "common/periodic_task.h"

#include <algorithm>
#include <cstdint>
#include <utility>

namespace minishop {

void PeriodicTask::Start(std::string name, Settings settings, Step step) {
  running_ = true;
  const int nice = settings.nice;
  thread_.Start(
      std::move(name), [this, settings, step = std::move(step)] { Run(settings, step); }, nice);
}

void PeriodicTask::Stop() {
  thread_.Stop();
  running_ = false;
}

Status PeriodicTask::Health() const {
  std::lock_guard lock(health_mu_);
  return health_;
}

void PeriodicTask::SetHealth(Status status) {
  std::lock_guard lock(health_mu_);
  health_ = std::move(status);
}

void PeriodicTask::Run(const Settings& settings, const Step& step) {
  int failures = 0;  // in a row, before the step that just ran
  while (!thread_.stopping()) {
    Status status = step();
    std::chrono::milliseconds wait = settings.period;
    if (status.ok()) {
      failures = 0;
    } else {
      wait =
          std::min(settings.max_backoff, settings.backoff * (int64_t{1} << std::min(failures, 8)));
      ++failures;
    }
    SetHealth(std::move(status));
    if (!(pause_ ? pause_(wait) : thread_.SleepUnlessStopped(wait))) break;
  }
}

}  // namespace minishop
