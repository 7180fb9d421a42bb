#include "histogram.h"

#include <gtest/gtest.h>

#include <random>

namespace stampede {
namespace {

TEST(HistogramTest, SmallValuesAreExact) {
  Histogram h;
  for (uint64_t v = 1; v <= 100; ++v) h.Record(v);
  EXPECT_EQ(h.Quantile(0.5), 50u);
  EXPECT_EQ(h.Quantile(0.99), 99u);
  EXPECT_EQ(h.Quantile(1.0), 100u);
  EXPECT_EQ(h.min(), 1u);
  EXPECT_EQ(h.max(), 100u);
}

TEST(HistogramTest, BucketsCoverEveryValueInOrder) {
  Histogram h(4);
  uint64_t previous_high = 0;
  for (uint64_t v = 0; v < 100'000; ++v) {
    size_t b = h.BucketOf(v);
    EXPECT_LE(v, h.HighestInBucket(b));
    if (b > 0) {
      EXPECT_GT(v, h.HighestInBucket(b - 1)) << v;
    }
    previous_high = std::max(previous_high, h.HighestInBucket(b));
  }
  EXPECT_GE(previous_high, 99'999u);
}

TEST(HistogramTest, LargeValuesWithinRelativePrecision) {
  Histogram h;
  std::mt19937_64 rng(7);
  std::vector<uint64_t> values;
  for (int i = 0; i < 100'000; ++i) {
    uint64_t v = 1 + rng() % 10'000'000;
    values.push_back(v);
    h.Record(v);
  }
  std::sort(values.begin(), values.end());
  for (double q : {0.5, 0.9, 0.99, 0.999}) {
    double truth = static_cast<double>(values[static_cast<size_t>(q * values.size()) - 1]);
    EXPECT_NEAR(static_cast<double>(h.Quantile(q)), truth, truth * 0.01) << q;
  }
  EXPECT_EQ(h.Quantile(1.0), values.back());
}

TEST(HistogramTest, HugeValuesDoNotOverflow) {
  Histogram h;
  h.Record(UINT64_MAX);
  h.Record(uint64_t{1} << 40);
  EXPECT_EQ(h.max(), UINT64_MAX);
  EXPECT_EQ(h.Quantile(0.5), (uint64_t{1} << 40) + ((uint64_t{1} << 33) - 1));
}

TEST(HistogramTest, MergeAddsCounts) {
  Histogram a, b;
  a.Record(10);
  b.Record(1000);
  b.Record(20);
  a.Merge(b);
  EXPECT_EQ(a.count(), 3u);
  EXPECT_EQ(a.min(), 10u);
  EXPECT_EQ(a.max(), 1000u);
  EXPECT_EQ(a.Quantile(0.5), 20u);
}

TEST(HistogramTest, EmptyIsZero) {
  Histogram h;
  EXPECT_EQ(h.Quantile(0.99), 0u);
  EXPECT_EQ(h.count(), 0u);
}

}  // namespace
}  // namespace stampede
