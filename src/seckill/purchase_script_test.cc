#include "seckill/purchase_script.h"

#include <gtest/gtest.h>

#include <limits>
#include <string>
#include <vector>

#include "contracts/keys.h"
#include "seckill/seckill_service.h"

namespace minishop::seckill {
namespace {

redis::Reply Int(int64_t v) {
  redis::Reply r;
  r.type = redis::Reply::Type::kInteger;
  r.integer = v;
  return r;
}
redis::Reply Str(std::string s) {
  redis::Reply r;
  r.type = redis::Reply::Type::kString;
  r.str = std::move(s);
  return r;
}
redis::Reply Arr(std::vector<redis::Reply> e) {
  redis::Reply r;
  r.type = redis::Reply::Type::kArray;
  r.elements = std::move(e);
  return r;
}

TEST(MapPurchaseReplyTest, ReservedCarriesIdAndStock) {
  auto r = MapPurchaseReply(Arr({Int(0), Int(41), Str("7-9-1"), Int(1700000000000)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->reservation_id, "7-9-1");
  EXPECT_EQ(r->stock_left, 41);
  EXPECT_EQ(r->reserved_at_ms, 1700000000000);
}

TEST(MapPurchaseReplyTest, MapsEveryRejection) {
  EXPECT_EQ(MapPurchaseReply(Arr({Int(1), Int(0)})).reason(), kSoldOut.reason);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(2), Int(1)})).reason(), kLimitReached.reason);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(3), Int(5)})).reason(), kNotStarted.reason);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(4), Int(5)})).reason(), kEnded.reason);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(5), Int(1)})).code(), Code::kConflict);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(-1)})).reason(), kRecovering.reason);
}

TEST(MapPurchaseReplyTest, ErrorsAndOddShapesAreInternal) {
  redis::Reply err;
  err.type = redis::Reply::Type::kError;
  err.str = "ERR boom";
  EXPECT_EQ(MapPurchaseReply(err).code(), Code::kInternal);
  EXPECT_EQ(MapPurchaseReply(Int(0)).code(), Code::kInternal);
  EXPECT_EQ(MapPurchaseReply(Arr({Str("0")})).code(), Code::kInternal);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(0), Int(1)})).code(), Code::kInternal);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(99)})).code(), Code::kInternal);
}

TEST(SaleKeysTest, RendersThePurchaseScriptsKeysInOrder) {
  for (int64_t sale : {int64_t{42}, std::numeric_limits<int64_t>::min()}) {
    const SaleKeys keys(sale);
    const std::vector<std::string> want = {contracts::MetaKey(sale), contracts::StockKey(sale),
                                           contracts::BuyersKey(sale), contracts::StatusKey(sale),
                                           contracts::OutboxKey(sale)};
    ASSERT_EQ(keys.keys().size(), want.size());
    for (size_t i = 0; i < want.size(); ++i) EXPECT_EQ(keys.keys()[i], want[i]);
    EXPECT_EQ(keys.id(), std::to_string(sale));
  }
}

TEST(ParseStatusTest, SplitsStatusAndOrderId) {
  auto s = ParseStatus("1-2-1", "awaiting_payment:77");
  EXPECT_EQ(s.status, "awaiting_payment");
  EXPECT_EQ(s.order_id, 77);
  auto p = ParseStatus("1-2-1", "pending");
  EXPECT_EQ(p.status, "pending");
  EXPECT_EQ(p.order_id, 0);
}

}  // namespace
}  // namespace minishop::seckill

namespace minishop::seckill {
namespace {

TEST(SoldOutFlagsTest, AnswersLocallyWithinTheHorizon) {
  SoldOutFlags flags(500);
  EXPECT_FALSE(flags.ShouldAnswer(1, 0));
  flags.SoldOut(1, 0);
  EXPECT_TRUE(flags.ShouldAnswer(1, 499));
  EXPECT_FALSE(flags.ShouldAnswer(2, 499)) << "flags are per sale";
}

TEST(SoldOutFlagsTest, OneRequestRechecksAfterTheHorizonWhileOthersStayLocal) {
  SoldOutFlags flags(500);
  flags.SoldOut(1, 0);
  EXPECT_FALSE(flags.ShouldAnswer(1, 600)) << "the first request after the horizon re-checks";
  EXPECT_TRUE(flags.ShouldAnswer(1, 601)) << "others wait for that re-check";
  flags.SoldOut(1, 602);
  EXPECT_TRUE(flags.ShouldAnswer(1, 1000));
}

TEST(SoldOutFlagsTest, StockComingBackClearsTheFlag) {
  SoldOutFlags flags(500);
  flags.SoldOut(1, 0);
  EXPECT_FALSE(flags.ShouldAnswer(1, 600));
  flags.InStock(1);
  EXPECT_FALSE(flags.ShouldAnswer(1, 601));
  EXPECT_FALSE(flags.ShouldAnswer(1, 602));
}

TEST(SoldOutFlagsTest, InconclusiveRecheckLetsTheNextRequestTry) {
  SoldOutFlags flags(500);
  flags.SoldOut(1, 0);
  EXPECT_FALSE(flags.ShouldAnswer(1, 600));
  flags.Inconclusive(1);
  EXPECT_FALSE(flags.ShouldAnswer(1, 601));
  EXPECT_TRUE(flags.ShouldAnswer(1, 602));
}

}  // namespace
}  // namespace minishop::seckill
