#include "net/event_loops.h"

#include <pthread.h>
#include <spdlog/spdlog.h>

#include <string>

namespace minishop::net {

EventLoops::EventLoops(int count) {
  if (count <= 0) count = static_cast<int>(std::max(1u, std::thread::hardware_concurrency()));
  for (int i = 0; i < count; ++i) loops_.push_back(std::make_unique<Loop>());
}

EventLoops::~EventLoops() { Stop(); }

void EventLoops::Start() {
  for (size_t i = 0; i < loops_.size(); ++i) {
    Loop& l = *loops_[i];
    l.work.emplace(l.io.get_executor());
    l.thread = std::thread([&l, i] {
      std::string name = "loop-" + std::to_string(i);
      pthread_setname_np(pthread_self(), name.c_str());
      for (;;) {
        try {
          l.io.run();
          return;
        } catch (const std::exception& e) {
          // A handler threw: log and keep the loop alive rather than take the process down.
          spdlog::error("event loop {} caught: {}", i, e.what());
        }
      }
    });
  }
}

void EventLoops::Stop() {
  for (auto& l : loops_) {
    l->work.reset();
    l->io.stop();
  }
  for (auto& l : loops_) {
    if (l->thread.joinable()) l->thread.join();
  }
}

}  // namespace minishop::net
