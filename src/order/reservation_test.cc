#include "order/reservation.h"

#include <gtest/gtest.h>

namespace minishop::order {
namespace {

constexpr const char* kGood =
    R"({"reservation_id":"7-42-1","sale_id":7,"user_id":42,"qty":2,"price_cents":1999,)"
    R"("ts_ms":1700000000123,"traceparent":"00-abc-def-01"})";

TEST(ParseReservationTest, ReadsEveryField) {
  auto r = ParseReservation(kGood);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->reservation_id, "7-42-1");
  EXPECT_EQ(r->sale_id, 7);
  EXPECT_EQ(r->user_id, 42);
  EXPECT_EQ(r->qty, 2);
  EXPECT_EQ(r->price_cents, 1999);
  EXPECT_EQ(r->ts_ms, 1700000000123);
  EXPECT_EQ(r->traceparent, "00-abc-def-01");
}

TEST(ParseReservationTest, TraceparentIsOptional) {
  auto r = ParseReservation(
      R"({"reservation_id":"1-1-1","sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->traceparent, "");
}

TEST(ParseReservationTest, RejectsWhatIsNotAReservation) {
  for (const char* body : {"", "not json", "[1,2]", "{\"reservation_id\":", "null", "{}"}) {
    auto r = ParseReservation(body);
    EXPECT_EQ(r.code(), Code::kBadRequest) << body;
  }
}

TEST(ParseReservationTest, RejectsMistypedOrOutOfRangeFields) {
  const char* bodies[] = {
      R"({"reservation_id":"","sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":5,"sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":"1","user_id":1,"qty":1,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":1,"qty":1.5,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":1,"qty":0,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":0,"qty":1,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":1,"qty":1,"price_cents":-1,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":1,"qty":9999999999,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":1,"qty":1,"price_cents":0})",
      R"({"reservation_id":"a\u0000b","sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0})",
      R"({"reservation_id":"a","sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0,"traceparent":7})",
  };
  for (const char* body : bodies) {
    auto r = ParseReservation(body);
    EXPECT_EQ(r.code(), Code::kBadRequest) << body;
  }
}

TEST(ParseMessageTest, ReadsASingleReservationOrAnArrayOfThem) {
  auto one = ParseMessage(kGood);
  ASSERT_TRUE(one.ok());
  ASSERT_EQ(one->reservations.size(), 1u);
  EXPECT_TRUE(one->poison.empty());
  auto many = ParseMessage(std::string("[") + kGood + "," + kGood + "]");
  ASSERT_TRUE(many.ok());
  EXPECT_EQ(many->reservations.size(), 2u);
  auto none = ParseMessage("[]");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->reservations.empty() && none->poison.empty());
}

TEST(ParseMessageTest, SinglesOutPoisonItemsAndRejectsOtherShapes) {
  auto mixed =
      ParseMessage(std::string("[") + kGood + R"(,{"reservation_id":""},7,)" + kGood + "]");
  ASSERT_TRUE(mixed.ok());
  EXPECT_EQ(mixed->reservations.size(), 2u);
  ASSERT_EQ(mixed->poison.size(), 2u);
  EXPECT_EQ(mixed->poison[0].json, R"({"reservation_id":""})");
  EXPECT_NE(mixed->poison[0].reason, "");
  EXPECT_EQ(mixed->poison[1].json, "7");
  for (const char* bad : {"", "7", "\"x\"", "[1,", "null"})
    EXPECT_EQ(ParseMessage(bad).code(), Code::kBadRequest) << bad;
}

TEST(ReservationJsonTest, RoundTripsThroughTheParser) {
  auto r = ParseReservation(kGood);
  ASSERT_TRUE(r.ok());
  auto again = ParseReservation(ReservationJson(*r));
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->reservation_id, r->reservation_id);
  EXPECT_EQ(again->sale_id, r->sale_id);
  EXPECT_EQ(again->user_id, r->user_id);
  EXPECT_EQ(again->qty, r->qty);
  EXPECT_EQ(again->price_cents, r->price_cents);
  EXPECT_EQ(again->ts_ms, r->ts_ms);
  EXPECT_EQ(again->traceparent, r->traceparent);
}

}  // namespace
}  // namespace minishop::order
