#include "common/background_thread.h"

#include <pthread.h>

namespace minishop {

void BackgroundThread::Start(std::string name, std::function<void()> body) {
  thread_ = std::thread([name = std::move(name), body = std::move(body)] {
    pthread_setname_np(pthread_self(), name.substr(0, 15).c_str());
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
  return !cv_.wait_for(lock, d, [this] { return stopping_; });
}

}  // namespace minishop
