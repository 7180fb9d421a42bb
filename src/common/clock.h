// Wall-clock and monotonic time in the units MiniShop uses on the wire (epoch ms).
#pragma once

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

}  // namespace minishop
