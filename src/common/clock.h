// Wall-clock and monotonic time in the units MiniShop uses on the wire (epoch ms).
#pragma once

#include <sys/time.h>

#include <chrono>
#include <cstdint>

namespace minishop {

inline int64_t NowEpochMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

inline int64_t NowSteadyUs() {
  return std::chrono::duration_cast<std::chrono::microseconds>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// A duration as the timeval that socket timeouts of C libraries (hiredis, rabbitmq-c) take.
inline timeval ToTimeval(std::chrono::milliseconds d) {
  timeval tv;
  tv.tv_sec = static_cast<time_t>(d.count() / 1000);
  tv.tv_usec = static_cast<suseconds_t>((d.count() % 1000) * 1000);
  return tv;
}

}  // namespace minishop
