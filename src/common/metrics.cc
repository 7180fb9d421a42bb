#include "common/metrics.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>

namespace minishop {

void Histogram::ObserveUs(int64_t micros) {
  double seconds = static_cast<double>(micros) / 1e6;
  size_t i = std::lower_bound(kBounds.begin(), kBounds.end(), seconds) - kBounds.begin();
  buckets_[i].fetch_add(1, std::memory_order_relaxed);
  count_.fetch_add(1, std::memory_order_relaxed);
  sum_us_.fetch_add(static_cast<uint64_t>(std::max<int64_t>(micros, 0)), std::memory_order_relaxed);
}

void Histogram::Render(std::string& out, const std::string& name, const std::string& labels) const {
  std::string sep = labels.empty() ? "" : ",";
  uint64_t cumulative = 0;
  for (size_t i = 0; i < kBounds.size(); ++i) {
    cumulative += buckets_[i].load(std::memory_order_relaxed);
    out +=
        fmt::format("{}_bucket{{{}{}le=\"{}\"}} {}\n", name, labels, sep, kBounds[i], cumulative);
  }
  cumulative += buckets_[kBounds.size()].load(std::memory_order_relaxed);
  out += fmt::format("{}_bucket{{{}{}le=\"+Inf\"}} {}\n", name, labels, sep, cumulative);
  std::string braces = labels.empty() ? "" : "{" + labels + "}";
  out += fmt::format("{}_sum{} {}\n", name, braces,
                     static_cast<double>(sum_us_.load(std::memory_order_relaxed)) / 1e6);
  out += fmt::format("{}_count{} {}\n", name, braces, count_.load(std::memory_order_relaxed));
}

MetricsRegistry::Entry& MetricsRegistry::Find(const std::string& name, const std::string& help,
                                              const std::string& labels, const std::string& type) {
  std::lock_guard lock(mu_);
  for (auto& e : entries_) {
    if (e->name == name && e->labels == labels) return *e;
  }
  auto e = std::make_unique<Entry>();
  e->name = name;
  e->help = help;
  e->labels = labels;
  e->type = type;
  if (type == "counter") e->counter = std::make_unique<Counter>();
  if (type == "gauge") e->gauge = std::make_unique<Gauge>();
  if (type == "histogram") e->histogram = std::make_unique<Histogram>();
  entries_.push_back(std::move(e));
  return *entries_.back();
}

Counter& MetricsRegistry::GetCounter(const std::string& name, const std::string& help,
                                     const std::string& labels) {
  return *Find(name, help, labels, "counter").counter;
}

Gauge& MetricsRegistry::GetGauge(const std::string& name, const std::string& help,
                                 const std::string& labels) {
  return *Find(name, help, labels, "gauge").gauge;
}

Histogram& MetricsRegistry::GetHistogram(const std::string& name, const std::string& help,
                                         const std::string& labels) {
  return *Find(name, help, labels, "histogram").histogram;
}

void MetricsRegistry::AddCallbackGauge(const std::string& name, const std::string& help,
                                       std::function<double()> fn) {
  Find(name, help, "", "gauge").callback = std::move(fn);
}

std::string MetricsRegistry::Render() const {
  std::lock_guard lock(mu_);
  std::string out;
  std::set<std::string> described;
  for (const auto& e : entries_) {
    if (described.insert(e->name).second) {
      out += fmt::format("# HELP {} {}\n# TYPE {} {}\n", e->name, e->help, e->name, e->type);
    }
    std::string braces = e->labels.empty() ? "" : "{" + e->labels + "}";
    if (e->counter) out += fmt::format("{}{} {}\n", e->name, braces, e->counter->Value());
    if (e->callback) {
      out += fmt::format("{}{} {}\n", e->name, braces, e->callback());
    } else if (e->gauge) {
      out += fmt::format("{}{} {}\n", e->name, braces, e->gauge->Value());
    }
    if (e->histogram) e->histogram->Render(out, e->name, e->labels);
  }
  return out;
}

}  // namespace minishop
