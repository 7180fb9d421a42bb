#include "common/held_work.h"

#include <gtest/gtest.h>

namespace minishop {
namespace {

TEST(HeldWorkTest, FinishedOnlyByAReleaseOfWhatWasHeld) {
  HeldWork w;
  HeldWork::Snapshot idle = w.Look();
  EXPECT_TRUE(HeldWork::FinishedSince(idle, w.Look())) << "nothing held";
  w.Connected();
  w.Hold();
  HeldWork::Snapshot busy = w.Look();
  EXPECT_TRUE(busy.connected);
  EXPECT_FALSE(HeldWork::FinishedSince(busy, w.Look()));
  w.Hold();  // more of the same batch
  EXPECT_FALSE(HeldWork::FinishedSince(busy, w.Look()));
  w.Release();
  EXPECT_TRUE(HeldWork::FinishedSince(busy, w.Look()));
  w.Release();  // nothing held: no second release
  EXPECT_EQ(w.Look().releases, 1u);
  w.Hold();
  HeldWork::Snapshot again = w.Look();
  w.Abandon();
  HeldWork::Snapshot lost = w.Look();
  EXPECT_FALSE(HeldWork::FinishedSince(again, lost)) << "abandoned work went back unfinished";
  EXPECT_EQ(lost.abandons, 1u);
  EXPECT_FALSE(lost.connected);
}

}  // namespace
}  // namespace minishop
