#include "common/result.h"

#include <gtest/gtest.h>

#include "common/logging.h"

namespace minishop {
namespace {

TEST(ResultTest, HoldsValueOrError) {
  Result<int> ok = 7;
  ASSERT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 7);
  Result<int> bad = MakeError(Code::kNotFound, "gone");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.code(), Code::kNotFound);
  EXPECT_EQ(bad.reason(), "");
  EXPECT_EQ(bad.error().message, "gone");
}

TEST(ResultTest, AnOutcomeIsAGenericCodeWithAName) {
  constexpr Outcome kEmpty{Code::kResourceExhausted, "empty"};
  constexpr Outcome kOther{Code::kResourceExhausted, "other"};
  Status s = MakeError(kEmpty, "nothing left");
  EXPECT_EQ(s.code(), Code::kResourceExhausted);
  EXPECT_EQ(s.reason(), "empty");
  EXPECT_TRUE(s.Is(kEmpty));
  EXPECT_FALSE(s.Is(kOther));
  EXPECT_FALSE(Status().Is(kEmpty));
  EXPECT_FALSE(Status(MakeError(Code::kResourceExhausted, "plain")).Is(kEmpty));
}

TEST(ResultTest, CodeNamesRoundTrip) {
  for (int i = 0; i <= static_cast<int>(Code::kInternal); ++i) {
    const Code code = static_cast<Code>(i);
    EXPECT_EQ(CodeFromName(CodeName(code)), code) << CodeName(code);
  }
  EXPECT_EQ(CodeFromName("sold_out"), std::nullopt);
}

TEST(JsonEscapeTest, EscapesQuotesAndControls) {
  EXPECT_EQ(JsonEscape("a\"b\\c\n\x01"), "a\\\"b\\\\c\\n\\u0001");
}

}  // namespace
}  // namespace minishop

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <thread>

#include "common/background_thread.h"

namespace minishop {
namespace {

TEST(BackgroundThreadTest, StopWakesASleepingBodyAndJoins) {
  BackgroundThread thread;
  std::atomic<int> rounds{0};
  thread.Start("test-loop", [&] {
    while (thread.SleepUnlessStopped(std::chrono::hours(1))) ++rounds;
  });
  thread.Stop();  // would hang for an hour if Stop did not wake the sleep
  EXPECT_TRUE(thread.stopping());
  EXPECT_EQ(rounds.load(), 0);
  thread.Stop();  // idempotent
}

TEST(BackgroundThreadTest, WakeEndsOneSleepEarlyAndIsRememberedWhileAwake) {
  BackgroundThread thread;
  std::atomic<int> rounds{0};
  thread.Wake();  // before the body sleeps: its first sleep returns at once
  thread.Start("test-wake", [&] {
    while (thread.SleepUnlessStopped(std::chrono::hours(1))) {
      if (++rounds == 2) return;
    }
  });
  while (rounds.load() < 1) std::this_thread::yield();
  thread.Wake();  // the body would sleep for an hour if Wake did not end the sleep
  while (rounds.load() < 2) std::this_thread::yield();
  thread.Stop();
  EXPECT_EQ(rounds.load(), 2);
}

TEST(BackgroundThreadTest, RunsTheBodyAtTheGivenNiceWithoutChangingTheCaller) {
  errno = 0;
  const int caller = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid()));
  ASSERT_EQ(errno, 0);
  std::atomic<int> seen{-100};
  BackgroundThread thread;
  thread.Start(
      "test-nice", [&] { seen = getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())); }, 5);
  thread.Stop();
  EXPECT_EQ(seen.load(), std::min(caller + 5, 19));
  EXPECT_EQ(getpriority(PRIO_PROCESS, static_cast<id_t>(gettid())), caller);
}

}  // namespace
}  // namespace minishop
