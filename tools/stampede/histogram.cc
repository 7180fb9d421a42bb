#include "histogram.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace stampede {

Histogram::Histogram(int sub_bits)
    : sub_bits_(sub_bits),
      exact_limit_(uint64_t{1} << (sub_bits + 1)),
      // Exact part, then one row of 2^sub_bits buckets per shift 1..(64 - sub_bits - 1).
      counts_(exact_limit_ + (static_cast<size_t>(64 - sub_bits - 1) << sub_bits), 0) {}

size_t Histogram::BucketOf(uint64_t value) const {
  if (value < exact_limit_) return static_cast<size_t>(value);
  const int msb = 63 - std::countl_zero(value);
  const int shift = msb - sub_bits_;  // >= 1: the top sub_bits+1 bits select the bucket
  const uint64_t top = value >> shift;  // in [2^sub_bits, 2^(sub_bits+1))
  return static_cast<size_t>(exact_limit_ + (static_cast<uint64_t>(shift - 1) << sub_bits_) +
                             (top - (uint64_t{1} << sub_bits_)));
}

uint64_t Histogram::HighestInBucket(size_t bucket) const {
  if (bucket < exact_limit_) return bucket;
  const uint64_t rest = bucket - exact_limit_;
  const int shift = static_cast<int>(rest >> sub_bits_) + 1;
  const uint64_t top = (rest & ((uint64_t{1} << sub_bits_) - 1)) + (uint64_t{1} << sub_bits_);
  return ((top + 1) << shift) - 1;
}

void Histogram::Record(uint64_t value) {
  ++counts_[BucketOf(value)];
  ++count_;
  sum_ += value;
  min_ = std::min(min_, value);
  max_ = std::max(max_, value);
}

void Histogram::Merge(const Histogram& other) {
  for (size_t i = 0; i < counts_.size() && i < other.counts_.size(); ++i) counts_[i] += other.counts_[i];
  count_ += other.count_;
  sum_ += other.sum_;
  if (other.count_ > 0) {
    min_ = std::min(min_, other.min_);
    max_ = std::max(max_, other.max_);
  }
}

uint64_t Histogram::Quantile(double q) const {
  if (count_ == 0) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const uint64_t rank = std::max<uint64_t>(1, static_cast<uint64_t>(std::ceil(q * count_)));
  uint64_t seen = 0;
  for (size_t i = 0; i < counts_.size(); ++i) {
    seen += counts_[i];
    if (seen >= rank) return std::clamp(HighestInBucket(i), min_, max_);
  }
  return max_;
}

}  // namespace stampede
