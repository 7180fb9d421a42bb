#include "seckill/relay.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "contracts/keys.h"
#include "contracts/reservation_wire.h"

namespace minishop::seckill {
namespace {

using contracts::OutboxKey;
using contracts::ReservationRecord;
using contracts::ReservationWireJson;
using redis::Reply;

Reply Str(std::string s) {
  Reply r;
  r.type = Reply::Type::kString;
  r.str = std::move(s);
  return r;
}

Reply Arr(std::vector<Reply> elements) {
  Reply r;
  r.type = Reply::Type::kArray;
  r.elements = std::move(elements);
  return r;
}

Reply EntryReply(std::string id, std::vector<std::string> kv) {
  std::vector<Reply> fields;
  for (auto& s : kv) fields.push_back(Str(std::move(s)));
  return Arr({Str(std::move(id)), Arr(std::move(fields))});
}

OutboxEntry GoodEntry() {
  return OutboxEntry{7,
                     "1700000000000-0",
                     {{"rid", "7-42-1"},
                      {"sale", "7"},
                      {"user", "42"},
                      {"qty", "2"},
                      {"price", "1999"},
                      {"ts", "1700000000123"},
                      {"tp", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}}};
}

const amqp::Topology kTopology{"ex", "q", "dlx", "dlq"};

TEST(ParseReadReplyTest, NilMeansNoEntries) {
  auto r = ParseReadReply(Reply{});
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->empty());
}

TEST(ParseReadReplyTest, ReadsEntriesOfEveryStreamWithTheirSale) {
  Reply deleted = Arr({Str("3-0"), Reply{}});  // pending entry whose data was deleted
  Reply reply = Arr({Arr({Str(OutboxKey(7)),
                          Arr({EntryReply("1-0", {"rid", "a"}), EntryReply("2-0", {"rid", "b"})})}),
                     Arr({Str(OutboxKey(12)), Arr({deleted})})});
  auto r = ParseReadReply(reply);
  ASSERT_TRUE(r.ok()) << r.error().message;
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].sale_id, 7);
  EXPECT_EQ((*r)[0].id, "1-0");
  ASSERT_EQ((*r)[1].fields.size(), 1u);
  EXPECT_EQ((*r)[1].fields[0].second, "b");
  EXPECT_EQ((*r)[2].sale_id, 12);
  EXPECT_TRUE((*r)[2].fields.empty());
}

TEST(ParseReadReplyTest, RejectsStreamsThatAreNotOutboxes) {
  Reply reply = Arr({Arr({Str("ms:{s7}:status"), Arr({})})});
  EXPECT_EQ(ParseReadReply(reply).code(), Code::kInternal);
  EXPECT_EQ(ParseReadReply(Str("OK")).code(), Code::kInternal);
}

TEST(ParseClaimReplyTest, ReadsTheClaimedEntries) {
  Reply reply = Arr({Str("0-0"), Arr({EntryReply("5-0", {"rid", "x"})}), Arr({})});
  auto r = ParseClaimReply(9, reply);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].sale_id, 9);
  EXPECT_EQ((*r)[0].id, "5-0");
}

TEST(ReservationJsonTest, CarriesTheContractFields) {
  auto json = ReservationJson(GoodEntry());
  ASSERT_TRUE(json.ok()) << json.error().message;
  auto body = nlohmann::json::parse(*json);
  EXPECT_EQ(body["reservation_id"], "7-42-1");
  EXPECT_EQ(body["sale_id"], 7);
  EXPECT_EQ(body["user_id"], 42);
  EXPECT_EQ(body["qty"], 2);
  EXPECT_EQ(body["price_cents"], 1999);
  EXPECT_EQ(body["ts_ms"], 1700000000123);
  EXPECT_EQ(body["traceparent"], "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
}

// The direct writer and the library write the same bytes; what needs escaping still goes
// through the library.
TEST(ReservationJsonTest, WritesWhatTheLibraryWrites) {
  auto library = [](const ReservationRecord& r) {
    return nlohmann::ordered_json{{"reservation_id", r.reservation_id},
                                  {"sale_id", r.sale_id},
                                  {"user_id", r.user_id},
                                  {"qty", r.qty},
                                  {"price_cents", r.price_cents},
                                  {"ts_ms", r.ts_ms},
                                  {"traceparent", r.traceparent}}
        .dump();
  };
  ReservationRecord r{"7-42-1",
                      7,
                      42,
                      2,
                      0,
                      1700000000123,
                      "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"};
  EXPECT_EQ(ReservationWireJson(r, false), library(r));
  r.traceparent = "";
  r.price_cents = 9223372036854775807;
  EXPECT_EQ(ReservationWireJson(r, false), library(r));
  r.reservation_id = "a\"b\\c\n";
  r.traceparent = "caf\xc3\xa9";
  EXPECT_EQ(ReservationWireJson(r, false), library(r));
  EXPECT_EQ(nlohmann::json::parse(ReservationWireJson(r, false))["reservation_id"], "a\"b\\c\n");
}

TEST(ReservationJsonTest, TraceparentIsOptional) {
  OutboxEntry e = GoodEntry();
  e.fields.pop_back();
  auto json = ReservationJson(e);
  ASSERT_TRUE(json.ok());
  EXPECT_EQ(nlohmann::json::parse(*json)["traceparent"], "");
}

// Whatever bytes reached the outbox as a trace context, the reservation is published (without
// it): the entry of the gateway's old pass-through, 32 bytes 0xE9 as the trace-id, among them.
TEST(ReservationJsonTest, DropsATraceparentThatIsNotCanonical) {
  for (const std::string& tp :
       {"00-" + std::string(32, '\xE9') + "-0000000000000000-01", std::string("caf\xc3\xa9"),
        std::string("00-0AF7651916CD43DD8448EB211C80319C-b7ad6b7169203331-01"),
        std::string(55, '\0'), std::string("garbage")}) {
    OutboxEntry e = GoodEntry();
    e.fields.back().second = tp;
    auto json = ReservationJson(e);
    ASSERT_TRUE(json.ok()) << json.error().message;
    EXPECT_EQ(nlohmann::json::parse(*json)["traceparent"], "");
    OutboxMessages out = PackEntries({e}, kTopology, 100);
    EXPECT_EQ(out.malformed, 0u);
    EXPECT_EQ(out.reservations, 1u);
    ASSERT_EQ(out.messages.size(), 1u);
    EXPECT_EQ(amqp::FindHeader(out.messages[0].headers, "traceparent"), "");
  }
}

TEST(ReservationJsonTest, RejectsMalformedEntries) {
  auto with = [](const char* field, const char* value) {
    OutboxEntry e = GoodEntry();
    for (auto& [k, v] : e.fields) {
      if (k == field) v = value;
    }
    return ReservationJson(e).code();
  };
  EXPECT_EQ(with("rid", ""), Code::kInvalidArgument);
  EXPECT_EQ(with("qty", "two"), Code::kInvalidArgument);
  EXPECT_EQ(with("qty", "0"), Code::kInvalidArgument);
  EXPECT_EQ(with("user", "-1"), Code::kInvalidArgument);
  EXPECT_EQ(with("price", "12.5"), Code::kInvalidArgument);
  EXPECT_EQ(with("sale", "8"), Code::kInvalidArgument);  // not the stream's sale
  EXPECT_EQ(with("rid", "\xff\xfe"), Code::kInvalidArgument);
  OutboxEntry missing = GoodEntry();
  missing.fields.erase(missing.fields.begin() + 5);  // ts
  EXPECT_EQ(ReservationJson(missing).code(), Code::kInvalidArgument);
}

// An entry of sale 7 for `user` whose fields are all valid.
OutboxEntry EntryFor(int user) {
  OutboxEntry e = GoodEntry();
  for (auto& [k, v] : e.fields) {
    if (k == "rid") v = "7-" + std::to_string(user) + "-1";
    if (k == "user") v = std::to_string(user);
  }
  return e;
}

TEST(PackEntriesTest, PacksReservationsInOrderAndParksMalformedOnesAlone) {
  std::vector<OutboxEntry> entries;
  for (int user = 1; user <= 5; ++user) entries.push_back(EntryFor(user));
  entries[2].fields[0].second = "";                     // user 3: no rid
  entries.insert(entries.begin() + 1, {7, "9-0", {}});  // deleted while pending
  OutboxMessages out = PackEntries(entries, kTopology, 2);
  EXPECT_EQ(out.reservations, 4u);
  EXPECT_EQ(out.malformed, 1u);
  std::vector<std::string> rids;
  int dead = 0;
  for (const amqp::Message& m : out.messages) {
    if (m.exchange == "dlx") {
      ++dead;
      EXPECT_EQ(amqp::FindHeader(m.headers, "x-minishop-reason"), "missing rid");
      continue;
    }
    EXPECT_EQ(m.exchange, "ex");
    EXPECT_EQ(m.routing_key, "q");
    auto body = nlohmann::json::parse(m.body);
    ASSERT_TRUE(body.is_array());
    EXPECT_LE(body.size(), 2u);
    EXPECT_EQ(amqp::FindHeader(m.headers, "traceparent"), body[0]["traceparent"]);
    for (const auto& r : body) rids.push_back(r["reservation_id"]);
  }
  EXPECT_EQ(dead, 1);
  EXPECT_EQ(rids, (std::vector<std::string>{"7-1-1", "7-2-1", "7-4-1", "7-5-1"}));
}

TEST(PackEntriesTest, OneMessageForAFullBatchAndNoneForNothing) {
  std::vector<OutboxEntry> entries;
  for (int user = 1; user <= 100; ++user) entries.push_back(EntryFor(user));
  OutboxMessages out = PackEntries(entries, kTopology, 100);
  ASSERT_EQ(out.messages.size(), 1u);
  EXPECT_EQ(nlohmann::json::parse(out.messages[0].body).size(), 100u);
  EXPECT_TRUE(PackEntries({}, kTopology, 100).messages.empty());
}

TEST(DeadLetterMessageTest, ParksTheRawEntryWithItsReason) {
  OutboxEntry e{7, "1-0", {{"rid", "x"}, {"junk", "\xff"}}};
  amqp::Message m = DeadLetterMessage(e, "missing sale", kTopology);
  EXPECT_EQ(m.exchange, "dlx");
  EXPECT_EQ(amqp::FindHeader(m.headers, "x-minishop-reason"), "missing sale");
  auto body = nlohmann::json::parse(m.body);
  EXPECT_EQ(body["stream"], OutboxKey(7));
  EXPECT_EQ(body["id"], "1-0");
  EXPECT_EQ(body["fields"]["rid"], "x");
}

}  // namespace
}  // namespace minishop::seckill
