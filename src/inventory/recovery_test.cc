#include "inventory/recovery.h"

#include <gtest/gtest.h>

#include <thread>

namespace minishop::inventory {
namespace {

constexpr int64_t kNow = 1'700'000'000'000;

Sale MakeSale(int64_t id, int64_t starts_at_ms, int64_t ends_at_ms) {
  Sale s;
  s.id = id;
  s.starts_at_ms = starts_at_ms;
  s.ends_at_ms = ends_at_ms;
  return s;
}

std::vector<int64_t> Ids(const std::vector<Sale>& sales) {
  std::vector<int64_t> ids;
  for (const Sale& s : sales) ids.push_back(s.id);
  return ids;
}

TEST(RecoveryOrderTest, LiveSalesFirstThenUpcomingThenEnded) {
  std::vector<Sale> sales;
  // Ids in creation order, as PostgreSQL lists them: 25 ended sales before the live one.
  for (int64_t i = 1; i <= 25; ++i)
    sales.push_back(MakeSale(i, kNow - 100'000 + i, kNow - 50'000 + i));
  sales.push_back(MakeSale(26, kNow - 1'000, kNow + 60'000));  // live
  sales.push_back(MakeSale(27, kNow + 5'000, kNow + 65'000));  // upcoming
  sales.push_back(MakeSale(28, kNow - 2'000, kNow + 30'000));  // live, ends sooner
  sales.push_back(MakeSale(29, kNow + 1'000, kNow + 65'000));  // upcoming, starts sooner
  std::vector<int64_t> order = Ids(RecoveryOrder(sales, kNow));
  ASSERT_EQ(order.size(), 29u);
  EXPECT_EQ((std::vector<int64_t>(order.begin(), order.begin() + 4)),
            (std::vector<int64_t>{28, 26, 29, 27}));
  // Ended: the most recent first.
  EXPECT_EQ(order[4], 25);
  EXPECT_EQ(order.back(), 1);
}

TEST(RecoveryOrderTest, TheWindowDecidesThePhase) {
  const Sale s = MakeSale(1, kNow, kNow + 10);
  EXPECT_EQ(PhaseOf(s, kNow - 1), SalePhase::kUpcoming);
  EXPECT_EQ(PhaseOf(s, kNow), SalePhase::kLive);
  EXPECT_EQ(PhaseOf(s, kNow + 9), SalePhase::kLive);
  EXPECT_EQ(PhaseOf(s, kNow + 10), SalePhase::kEnded);
  EXPECT_STREQ(PhaseName(SalePhase::kLive), "live");
}

TEST(RebuildQueueTest, PopsInRankOrderAndHoldsEachSaleOnce) {
  RebuildQueue q;
  EXPECT_TRUE(q.Push(1, {2, -10}));  // ended
  EXPECT_TRUE(q.Push(2, {0, 50}));   // live
  EXPECT_TRUE(q.Push(3, {1, 20}));   // upcoming
  EXPECT_FALSE(q.Push(2, {0, 50})) << "already queued";
  EXPECT_TRUE(q.Busy(1));
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_TRUE(q.Busy(2)) << "in progress";
  EXPECT_FALSE(q.Push(2, {0, 50})) << "being rebuilt: not queued a second time";
  EXPECT_EQ(q.Pop(), 3);
  q.Done(2);
  EXPECT_FALSE(q.Busy(2));
  EXPECT_TRUE(q.Push(2, {0, 50})) << "after Done it may be queued again";
  EXPECT_EQ(q.Pop(), 2);
  EXPECT_EQ(q.Pop(), 1);
}

TEST(RebuildQueueTest, PushingAQueuedSaleAgainUpdatesItsRank) {
  RebuildQueue q;
  EXPECT_TRUE(q.Push(1, {1, 100}));  // upcoming when first seen
  EXPECT_TRUE(q.Push(2, {0, 100}));
  EXPECT_FALSE(q.Push(1, {0, 50}));  // live now, ending sooner than sale 2
  EXPECT_EQ(q.Pop(), 1);
  EXPECT_EQ(q.Pop(), 2);
}

TEST(RebuildQueueTest, CloseWakesAWaitingPop) {
  RebuildQueue q;
  std::optional<int64_t> got = 7;
  std::thread waiter([&] { got = q.Pop(); });
  q.Close();
  waiter.join();
  EXPECT_FALSE(got.has_value());
  EXPECT_FALSE(q.Push(1, {0, 0})) << "closed";
}

TEST(RebuildRequestsTest, ManyRequestsForOneSaleWakeTheJobOnce) {
  RebuildRequests r;
  EXPECT_TRUE(r.Add(5));
  for (int i = 0; i < 1000; ++i) EXPECT_FALSE(r.Add(5));
  EXPECT_TRUE(r.Add(3));
  EXPECT_EQ(r.Take(), (std::vector<int64_t>{5, 3}));
  EXPECT_TRUE(r.Take().empty());
  EXPECT_TRUE(r.Add(5)) << "asked again after the job took it";
}

}  // namespace
}  // namespace minishop::inventory
