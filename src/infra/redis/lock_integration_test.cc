// DistributedLock against a real Redis: mutual exclusion, expiry, fencing, and that a
// non-owner can neither extend nor release someone else's lease.
#include <gtest/gtest.h>

#include <thread>

#include "harness/servers.h"
#include "infra/redis/lock.h"

namespace minishop::redis {
namespace {

using namespace std::chrono_literals;
using testing::SharedRedis;

SyncClient Client() { return SyncClient("127.0.0.1", SharedRedis().port(), 2000ms); }

TEST(DistributedLockTest, OnlyOneHolderAtATimeAndFencesIncrease) {
  SyncClient a_client("127.0.0.1", SharedRedis().port(), 2000ms);
  SyncClient b_client("127.0.0.1", SharedRedis().port(), 2000ms);
  DistributedLock a(a_client, "lock:test:exclusive"), b(b_client, "lock:test:exclusive");
  auto first = a.TryAcquire(10s);
  ASSERT_TRUE(first.ok()) << first.error().message;
  ASSERT_TRUE(first->has_value());
  auto contended = b.TryAcquire(10s);
  ASSERT_TRUE(contended.ok());
  EXPECT_FALSE(contended->has_value());
  auto released = a.Release(**first);
  ASSERT_TRUE(released.ok());
  EXPECT_TRUE(*released);
  auto second = b.TryAcquire(10s);
  ASSERT_TRUE(second.ok());
  ASSERT_TRUE(second->has_value());
  EXPECT_GT((*second)->fence, (*first)->fence);
  EXPECT_TRUE(*b.Release(**second));
}

TEST(DistributedLockTest, ExpiredLeaseCanBeTakenAndTheOldOwnerCannotTouchIt) {
  SyncClient client = Client();
  DistributedLock old_owner(client, "lock:test:expiry"), new_owner(client, "lock:test:expiry");
  auto stale = old_owner.TryAcquire(100ms);
  ASSERT_TRUE(stale.ok() && stale->has_value());
  std::optional<Lease> fresh;
  for (int i = 0; i < 200 && !fresh; ++i) {
    std::this_thread::sleep_for(20ms);
    auto r = new_owner.TryAcquire(10s);
    ASSERT_TRUE(r.ok());
    fresh = *r;
  }
  ASSERT_TRUE(fresh.has_value()) << "the expired lease was never released by Redis";
  EXPECT_GT(fresh->fence, (*stale)->fence);
  // The old owner's token no longer matches: neither extend nor release may act.
  EXPECT_FALSE(*old_owner.Extend(**stale, 10s));
  EXPECT_FALSE(*old_owner.Release(**stale));
  auto still_held = old_owner.TryAcquire(10s);
  ASSERT_TRUE(still_held.ok());
  EXPECT_FALSE(still_held->has_value());
  EXPECT_TRUE(*new_owner.Extend(*fresh, 10s));
  EXPECT_TRUE(*new_owner.Release(*fresh));
}

TEST(DistributedLockTest, ReleaseByANonOwnerLeavesTheLeaseInPlace) {
  SyncClient client = Client();
  DistributedLock lock(client, "lock:test:nonowner");
  auto lease = lock.TryAcquire(10s);
  ASSERT_TRUE(lease.ok() && lease->has_value());
  Lease forged{"not-the-token", (*lease)->fence};
  EXPECT_FALSE(*lock.Release(forged));
  EXPECT_FALSE(*lock.Extend(forged, 10s));
  auto again = lock.TryAcquire(10s);
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
  EXPECT_TRUE(*lock.Release(**lease));
}

TEST(DistributedLockTest, ConcurrentContendersNeverOverlap) {
  constexpr int kThreads = 4, kRounds = 50;
  std::atomic<int> inside{0}, max_inside{0}, acquired{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      SyncClient client("127.0.0.1", SharedRedis().port(), 2000ms);
      DistributedLock lock(client, "lock:test:concurrent");
      for (int i = 0; i < kRounds; ++i) {
        auto lease = lock.TryAcquire(10s);
        if (!lease.ok() || !lease->has_value()) continue;
        int now = ++inside;
        int prev = max_inside.load();
        while (now > prev && !max_inside.compare_exchange_weak(prev, now)) {
        }
        ++acquired;
        std::this_thread::sleep_for(1ms);
        --inside;
        (void)lock.Release(**lease);
      }
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(max_inside.load(), 1);
  EXPECT_GT(acquired.load(), 0);
}

TEST(DistributedLockTest, TokensAreRandom) {
  EXPECT_EQ(RandomToken().size(), 32u);
  EXPECT_NE(RandomToken(), RandomToken());
}

}  // namespace
}  // namespace minishop::redis
