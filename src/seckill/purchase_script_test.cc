#include "seckill/purchase_script.h"

#include <gtest/gtest.h>

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
  EXPECT_EQ(MapPurchaseReply(Arr({Int(1), Int(0)})).code(), Code::kSoldOut);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(2), Int(1)})).code(), Code::kLimitReached);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(3), Int(5)})).code(), Code::kNotStarted);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(4), Int(5)})).code(), Code::kEnded);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(5), Int(1)})).code(), Code::kConflict);
  EXPECT_EQ(MapPurchaseReply(Arr({Int(-1)})).code(), Code::kNotFound);
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
