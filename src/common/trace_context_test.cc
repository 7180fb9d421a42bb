#include "common/trace_context.h"

#include <gtest/gtest.h>

namespace minishop {
namespace {

constexpr const char* kValid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";

TEST(TraceContextTest, AcceptsTheSpecExample) {
  EXPECT_EQ(NormalizeTraceParent(kValid), kValid);
  EXPECT_TRUE(IsCanonicalTraceParent(kValid));
  EXPECT_EQ(NormalizeTraceParent(std::string(" \t") + kValid + " "), kValid);
}

TEST(TraceContextTest, RefusesEveryMalformedField) {
  const std::string valid = kValid;
  const std::string non_ascii_trace = "00-" + std::string(32, '\xE9') + "-0000000000000000-01";
  const char* bad[] = {
      "",
      "00",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01",  // uppercase
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",  // zero trace-id
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",  // zero parent-id
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // forbidden version
      "0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // version not hex
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0z",  // flags not hex
      "00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",  // separator
      "00-4bf92f3577b34da6a3ce929d0e0e473-600f067aa0ba902b7-01",  // misplaced dash
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-",  // v00 with a tail
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1",   // short
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x",  // v01 tail without '-'
  };
  for (const char* value : bad) {
    EXPECT_FALSE(NormalizeTraceParent(value).has_value()) << value;
    EXPECT_FALSE(IsCanonicalTraceParent(value)) << value;
  }
  EXPECT_FALSE(NormalizeTraceParent(non_ascii_trace).has_value());
  std::string with_nul = valid;
  with_nul[10] = '\0';
  EXPECT_FALSE(NormalizeTraceParent(with_nul).has_value());
}

TEST(TraceContextTest, ReadsAHigherVersionAsVersion00) {
  EXPECT_EQ(NormalizeTraceParent("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what"),
            kValid);
  EXPECT_EQ(NormalizeTraceParent("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
            kValid);
  EXPECT_FALSE(IsCanonicalTraceParent(
      "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"));
}

TEST(TraceContextTest, MakesCanonicalValuesEvenFromZeroIds) {
  EXPECT_TRUE(IsCanonicalTraceParent(MakeTraceParent(0, 0, 0)));
  EXPECT_EQ(MakeTraceParent(0x4bf92f3577b34da6, 0xa3ce929d0e0e4736, 0x00f067aa0ba902b7), kValid);
}

}  // namespace
}  // namespace minishop
