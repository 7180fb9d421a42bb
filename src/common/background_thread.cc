#include "common/background_thread.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace minishop {

void BackgroundThread::Start(std::string name, std::function<void()> body, int nice) {
  thread_ = std::thread([name = std::move(name), body = std::move(body), nice] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
    // PRIO_PROCESS with a thread id sets that thread's nice only. Lowering one's own
    // priority needs no privilege; failing to is not worth stopping for.
    if (nice != 0 && setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), nice) != 0) {
      spdlog::warn("{}: cannot set nice {}: {}", name, nice, std::strerror(errno));
    }
    body();
  });
}

void BackgroundThread::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
}

bool BackgroundThread::stopping() const {
  std::lock_guard lock(mu_);
  return stopping_;
}

bool BackgroundThread::SleepUnlessStopped(std::chrono::milliseconds d) {
  std::unique_lock lock(mu_);
  cv_.wait_for(lock, d, [this] { return stopping_ || woken_; });
  woken_ = false;
  return !stopping_;
}

void BackgroundThread::Wake() {
  {
    std::lock_guard lock(mu_);
    woken_ = true;
  }
  cv_.notify_all();
}

}  // namespace minishop
