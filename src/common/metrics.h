// Prometheus metrics: counters, gauges and histograms that any thread may update
// lock-free (relaxed atomics), and a registry that renders the text exposition format.
// Metrics are created at start-up (registry calls take a lock); updates never lock.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace minishop {

class Counter {
 public:
  void Inc(uint64_t n = 1) { value_.fetch_add(n, std::memory_order_relaxed); }
  uint64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> value_{0};
};

class Gauge {
 public:
  void Set(int64_t v) { value_.store(v, std::memory_order_relaxed); }
  void Add(int64_t d) { value_.fetch_add(d, std::memory_order_relaxed); }
  int64_t Value() const { return value_.load(std::memory_order_relaxed); }

 private:
  std::atomic<int64_t> value_{0};
};

// Latency histogram in seconds with fixed exponential buckets from 50 µs to ~10 s.
class Histogram {
 public:
  static constexpr std::array<double, 18> kBounds = {
      0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
      0.05,    0.1,    0.25,    0.5,    1.0,   2.5,    5.0,   10.0, 30.0};
  void ObserveUs(int64_t micros);
  void Render(std::string& out, const std::string& name, const std::string& labels) const;

 private:
  std::array<std::atomic<uint64_t>, kBounds.size() + 1> buckets_{};
  std::atomic<uint64_t> count_{0};
  std::atomic<uint64_t> sum_us_{0};
};

// Owns every metric of a process. Metric references stay valid for the registry's life.
class MetricsRegistry {
 public:
  // `labels` is the inside of {...}, e.g. `route="purchase",status="202"`, or empty.
  Counter& GetCounter(const std::string& name, const std::string& help,
                      const std::string& labels = "");
  Gauge& GetGauge(const std::string& name, const std::string& help, const std::string& labels = "");
  Histogram& GetHistogram(const std::string& name, const std::string& help,
                          const std::string& labels = "");
  // A gauge computed at scrape time (e.g. a queue length); `fn` must be thread-safe.
  void AddCallbackGauge(const std::string& name, const std::string& help,
                        std::function<double()> fn);

  std::string Render() const;

 private:
  struct Entry {
    std::string name, help, labels, type;
    std::unique_ptr<Counter> counter;
    std::unique_ptr<Gauge> gauge;
    std::unique_ptr<Histogram> histogram;
    std::function<double()> callback;
  };
  Entry& Find(const std::string& name, const std::string& help, const std::string& labels,
              const std::string& type);

  mutable std::mutex mu_;
  std::vector<std::unique_ptr<Entry>> entries_;
};

}  // namespace minishop
