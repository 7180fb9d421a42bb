#include "order/reservation.h"

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

namespace minishop::order {
namespace {

constexpr const char* kGood =
    R"({"reservation_id":"7-42-1","sale_id":7,"user_id":42,"qty":2,"price_cents":1999,)"
    R"("ts_ms":1700000000123,"traceparent":"00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"})";

TEST(ParseReservationTest, ReadsEveryField) {
  auto r = ParseReservation(kGood);
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->reservation_id, "7-42-1");
  EXPECT_EQ(r->sale_id, 7);
  EXPECT_EQ(r->user_id, 42);
  EXPECT_EQ(r->qty, 2);
  EXPECT_EQ(r->price_cents, 1999);
  EXPECT_EQ(r->ts_ms, 1700000000123);
  EXPECT_EQ(r->traceparent, "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

TEST(ParseReservationTest, TraceparentIsOptional) {
  auto r = ParseReservation(
      R"({"reservation_id":"1-1-1","sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0})");
  ASSERT_TRUE(r.ok()) << r.error().message;
  EXPECT_EQ(r->traceparent, "");
}

// The trace context is telemetry: whatever its bytes, the order is written without it.
TEST(ParseReservationTest, DropsATraceparentThatIsNotCanonical) {
  const std::string head =
      R"({"reservation_id":"1-1-1","sale_id":1,"user_id":1,"qty":1,"price_cents":0,"ts_ms":0,)";
  for (const std::string& tp :
       {std::string("7"), std::string("null"), std::string(R"("00-abc-def-01")"),
        std::string(R"("a\u0000b")"), std::string(R"("00-\u00e9\u00e9-0000000000000000-01")"),
        std::string(R"("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01")")}) {
    const std::string body = head + R"("traceparent":)" + tp + "}";
    auto r = ParseReservation(body);
    ASSERT_TRUE(r.ok()) << body;
    EXPECT_EQ(r->traceparent, "") << body;
    auto message = ParseMessage(body);
    ASSERT_TRUE(message.ok()) << body;
    ASSERT_EQ(message->reservations.size(), 1u) << body;
    EXPECT_EQ(message->reservations[0].traceparent, "") << body;
  }
}

TEST(ParseReservationTest, RejectsWhatIsNotAReservation) {
  for (const char* body : {"", "not json", "[1,2]", "{\"reservation_id\":", "null", "{}"}) {
    auto r = ParseReservation(body);
    EXPECT_EQ(r.code(), Code::kInvalidArgument) << body;
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
  };
  for (const char* body : bodies) {
    auto r = ParseReservation(body);
    EXPECT_EQ(r.code(), Code::kInvalidArgument) << body;
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
    EXPECT_EQ(ParseMessage(bad).code(), Code::kInvalidArgument) << bad;
}

// ParseMessage reads well-formed messages without a JSON tree and gives every other to the
// tree parser: both must give the same answer for every body.
void ExpectSameAsTree(const std::string& body) {
  Result<ParsedMessage> fast = ParseMessage(body);
  Result<ParsedMessage> tree = ParseMessageTree(body);
  ASSERT_EQ(fast.ok(), tree.ok()) << body;
  if (!fast.ok()) {
    EXPECT_EQ(fast.code(), tree.code()) << body;
    return;
  }
  ASSERT_EQ(fast->reservations.size(), tree->reservations.size()) << body;
  for (size_t i = 0; i < fast->reservations.size(); ++i) {
    EXPECT_EQ(ReservationJson(fast->reservations[i]), ReservationJson(tree->reservations[i]))
        << body;
  }
  ASSERT_EQ(fast->poison.size(), tree->poison.size()) << body;
  for (size_t i = 0; i < fast->poison.size(); ++i) {
    EXPECT_EQ(fast->poison[i].json, tree->poison[i].json) << body;
    EXPECT_EQ(fast->poison[i].reason, tree->poison[i].reason) << body;
  }
}

TEST(ParseMessageTest, ReadsEveryBodyAsTheTreeParserDoes) {
  const std::vector<std::pair<std::string, std::string>> fields = {
      {"reservation_id", R"("7-42-1")"},
      {"sale_id", "7"},
      {"user_id", "42"},
      {"qty", "2"},
      {"price_cents", "1999"},
      {"ts_ms", "1700000000123"},
      {"traceparent", R"("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01")"}};
  const std::vector<std::string> values = {"0",
                                           "1",
                                           "-1",
                                           "2147483648",
                                           "9223372036854775807",
                                           "9223372036854775808",
                                           "18446744073709551615",
                                           "1.5",
                                           "1e3",
                                           R"("5")",
                                           R"("")",
                                           R"("a\u0000b")",
                                           R"("\u00e9\n")",
                                           "null",
                                           "true",
                                           "{}",
                                           "[]",
                                           R"({"a":1})",
                                           "[1]"};
  auto object = [&](size_t field, const std::string* value, bool drop) {
    std::string out = "{";
    for (size_t i = 0; i < fields.size(); ++i) {
      if (i == field && drop) continue;
      if (out.size() > 1) out += ",";
      out += "\"" + fields[i].first + "\":" + (i == field && value ? *value : fields[i].second);
    }
    return out + "}";
  };
  std::vector<std::string> items;
  for (size_t f = 0; f < fields.size(); ++f) {
    items.push_back(object(f, nullptr, true));
    for (const std::string& v : values) items.push_back(object(f, &v, false));
  }
  const std::string good = object(fields.size(), nullptr, false);
  for (const std::string& v : values) {
    items.push_back(good.substr(0, good.size() - 1) + R"(,"extra":)" + v + "}");
    items.push_back(good.substr(0, good.size() - 1) + R"(,"qty":)" + v + "}");  // duplicate
  }
  for (const std::string& item : items) {
    ExpectSameAsTree(item);
    ExpectSameAsTree("[" + good + "," + item + "," + good + "]");
  }
  for (const std::string& v : values) ExpectSameAsTree(v);
  for (const std::string& body : {good, "[" + good + "]", "[" + good + "," + good + "]",
                                  std::string("[]"), "[[" + good + "]]", "[" + good + ",7]",
                                  "[" + good, good + good, " [ " + good + " ] ", std::string("")}) {
    ExpectSameAsTree(body);
  }
  // The tree-free path reads what it should, and only that.
  std::vector<Reservation> plain;
  for (const std::string& body :
       {good, "[" + good + "," + good + "]", std::string("[]"), object(0, nullptr, false),
        good.substr(0, good.size() - 1) + R"(,"extra":1.5})", object(6, nullptr, true)}) {
    EXPECT_TRUE(ReadPlainReservations(body, plain)) << body;
  }
  EXPECT_EQ(plain.size(), 1u);
  EXPECT_EQ(ReservationJson(plain[0]), R"({"reservation_id":"7-42-1","sale_id":7,"user_id":42,)"
                                       R"("qty":2,"price_cents":1999,"ts_ms":1700000000123,)"
                                       R"("traceparent":""})");
  for (const std::string& body :
       {"[" + good + ",7]", object(0, &values[10], false), object(3, &values[0], false),
        std::string("7"), std::string("null"), "[[" + good + "]]"}) {
    EXPECT_FALSE(ReadPlainReservations(body, plain)) << body;
  }
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
