#include "infra/pg/pool.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <exception>

namespace minishop::pg {

Pool::Pool(Options options) : options_(std::move(options)) {
  threads_.reserve(static_cast<size_t>(options_.threads));
  for (int i = 0; i < options_.threads; ++i) threads_.emplace_back([this, i] { Run(i); });
}

Pool::~Pool() { Stop(); }

void Pool::Submit(Job job) {
  {
    std::lock_guard lock(mu_);
    if (!stopping_ && queue_.size() < options_.max_queue) {
      queue_.push_back(std::move(job));
      cv_.notify_one();
      return;
    }
  }
  job(nullptr);
}

void Pool::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  for (auto& t : threads_) {
    if (t.joinable()) t.join();
  }
}

size_t Pool::queued() const {
  std::lock_guard lock(mu_);
  return queue_.size();
}

void Pool::Run(int index) {
  std::string name = (options_.name + "-" + std::to_string(index)).substr(0, 15);
  pthread_setname_np(pthread_self(), name.c_str());
  std::unique_ptr<Connection> conn;
  auto next_attempt = std::chrono::steady_clock::time_point::min();
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stopping_ || !queue_.empty(); });
      if (queue_.empty()) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    if (conn == nullptr && std::chrono::steady_clock::now() >= next_attempt) {
      Result<std::unique_ptr<Connection>> opened = Connection::Open(options_.conninfo);
      if (opened.ok()) {
        conn = std::move(opened).value();
      } else {
        next_attempt = std::chrono::steady_clock::now() + options_.reconnect_interval;
        spdlog::warn("{}: {}", name, opened.error().message);
      }
    }
    try {
      job(conn.get());
    } catch (const std::exception& e) {
      spdlog::error("{}: job threw: {}", name, e.what());
    }
  }
}

}  // namespace minishop::pg
