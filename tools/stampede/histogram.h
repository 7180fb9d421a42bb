// Histogram: a log-linear latency histogram in the spirit of HdrHistogram. Values below
// 2^(sub_bits+1) are counted exactly; above, each power of two is split into 2^sub_bits
// equal buckets, so a reported quantile is within 2^-sub_bits of the true value (7 bits:
// < 0.8 %). Fixed memory, O(1) record, mergeable. Not thread-safe: one per thread, merge
// afterwards.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace stampede {

class Histogram {
 public:
  explicit Histogram(int sub_bits = 7);

  void Record(uint64_t value);
  // Adds every count of `other`, which must have the same sub_bits.
  void Merge(const Histogram& other);

  uint64_t count() const { return count_; }
  uint64_t min() const { return count_ == 0 ? 0 : min_; }
  uint64_t max() const { return max_; }
  double mean() const { return count_ == 0 ? 0.0 : static_cast<double>(sum_) / count_; }
  // The smallest recorded value v such that a fraction >= q of the values are <= v, up to
  // bucket precision (the bucket's highest value, clamped to max()); 0 when empty.
  uint64_t Quantile(double q) const;

  // Bucket arithmetic, exposed for tests.
  size_t BucketOf(uint64_t value) const;
  uint64_t HighestInBucket(size_t bucket) const;

 private:
  int sub_bits_;
  uint64_t exact_limit_;  // 2^(sub_bits+1)
  std::vector<uint64_t> counts_;
  uint64_t count_ = 0;
  uint64_t sum_ = 0;
  uint64_t min_ = UINT64_MAX;
  uint64_t max_ = 0;
};

}  // namespace stampede
