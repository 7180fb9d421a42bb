#include "common/metrics.h"

#include <gtest/gtest.h>

namespace minishop {
namespace {

TEST(MetricsTest, RendersCountersWithLabels) {
  MetricsRegistry r;
  r.GetCounter("http_requests_total", "Requests.", "route=\"a\"").Inc(3);
  r.GetCounter("http_requests_total", "Requests.", "route=\"b\"").Inc();
  std::string text = r.Render();
  EXPECT_NE(text.find("# TYPE http_requests_total counter"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{route=\"a\"} 3"), std::string::npos);
  EXPECT_NE(text.find("http_requests_total{route=\"b\"} 1"), std::string::npos);
  EXPECT_EQ(text.find("# TYPE http_requests_total counter", text.find("route=\"a\"")),
            std::string::npos);
}

TEST(MetricsTest, SameNameAndLabelsIsSameCounter) {
  MetricsRegistry r;
  Counter& a = r.GetCounter("x_total", "X.");
  Counter& b = r.GetCounter("x_total", "X.");
  EXPECT_EQ(&a, &b);
}

TEST(MetricsTest, HistogramBucketsAreCumulative) {
  MetricsRegistry r;
  Histogram& h = r.GetHistogram("lat_seconds", "Latency.");
  h.ObserveUs(40);          // <= 50us
  h.ObserveUs(800);         // <= 1ms
  h.ObserveUs(60'000'000);  // +Inf
  std::string text = r.Render();
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"5e-05\"} 1"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"0.001\"} 2"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_bucket{le=\"+Inf\"} 3"), std::string::npos) << text;
  EXPECT_NE(text.find("lat_seconds_count 3"), std::string::npos) << text;
}

TEST(MetricsTest, CallbackGaugeIsEvaluatedAtRender) {
  MetricsRegistry r;
  int calls = 0;
  r.AddCallbackGauge("backlog", "Backlog.", [&] { return ++calls * 1.0; });
  EXPECT_NE(r.Render().find("backlog 1"), std::string::npos);
  EXPECT_NE(r.Render().find("backlog 2"), std::string::npos);
}

}  // namespace
}  // namespace minishop
