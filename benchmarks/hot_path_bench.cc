// Micro-benchmarks of the pieces every purchase request goes through, in the order it meets
// them: HTTP parse and route, JWT verify, the purchase script's reply mapping, and the JSON
// response. Each runs on one thread with no I/O.
#include <benchmark/benchmark.h>
#include <hiredis/hiredis.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "auth/jwt.h"
#include "contracts/keys.h"
#include "gateway/gateway.h"
#include "gateway/http_errors.h"
#include "infra/redis/async_client.h"
#include "net/http_types.h"
#include "order/reservation.h"
#include "seckill/purchase_script.h"
#include "seckill/relay.h"
#include "seckill/seckill_service.h"

namespace {
namespace http = boost::beast::http;
using minishop::auth::JwtCodec;

constexpr const char* kSecret = "benchmark-secret-0123456789abcdef0123";

int64_t NowS() {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string PurchaseRequest() {
  JwtCodec jwt(kSecret);
  std::string token = jwt.Sign({123456, minishop::auth::Role::kUser, NowS(), NowS() + 3600});
  return "POST /api/v1/sales/42/purchase HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n"
         "User-Agent: stampede\r\nAccept: */*\r\nAuthorization: Bearer " +
         token + "\r\nContent-Length: 0\r\n\r\n";
}

// Beast's request parser over the raw bytes, then the gateway's path split and id parse,
// and the Authorization header lookup: what happens before any domain work.
void BM_HttpParseAndRoute(benchmark::State& state) {
  const std::string raw = PurchaseRequest();
  for (auto _ : state) {
    http::request_parser<http::string_body> parser;
    parser.header_limit(8 * 1024);
    parser.body_limit(64 * 1024);
    boost::system::error_code ec;
    parser.put(boost::asio::buffer(raw), ec);
    if (ec || !parser.is_done()) state.SkipWithError("parse failed");
    auto& msg = parser.get();
    auto path = minishop::net::SplitPath(msg.target());
    auto route = minishop::gateway::Gateway::RouteTable().Find(msg.method(), path);
    auto id = route.ids[0];
    auto auth = msg.find(http::field::authorization);
    benchmark::DoNotOptimize(id);
    benchmark::DoNotOptimize(auth);
  }
}
BENCHMARK(BM_HttpParseAndRoute);

void BM_JwtVerify(benchmark::State& state) {
  JwtCodec jwt(kSecret);
  const int64_t now = NowS();
  const std::string token = jwt.Sign({123456, minishop::auth::Role::kUser, now, now + 3600});
  for (auto _ : state) {
    auto claims = jwt.Verify(token, now);
    if (!claims.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_JwtVerify);

// A stampede's users outnumber a loop's cache of verified tokens: most purchases verify
// their token in full (base64url decoding, HMAC, claims).
void BM_JwtVerifyUncached(benchmark::State& state) {
  JwtCodec jwt(kSecret);
  const int64_t now = NowS();
  std::vector<std::string> tokens;
  for (int64_t user = 1; user <= 8192; ++user) {
    tokens.push_back(jwt.Sign({100000 + user, minishop::auth::Role::kUser, now, now + 3600}));
  }
  size_t i = 0;
  for (auto _ : state) {
    auto claims = jwt.Verify(tokens[i++ % tokens.size()], now);
    if (!claims.ok()) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_JwtVerifyUncached);

minishop::redis::Reply Int(int64_t v) {
  minishop::redis::Reply r;
  r.type = minishop::redis::Reply::Type::kInteger;
  r.integer = v;
  return r;
}

// The reply of a successful reservation: {0, stock_left, reservation_id, now_ms}.
void BM_MapPurchaseReplyReserved(benchmark::State& state) {
  minishop::redis::Reply reply;
  reply.type = minishop::redis::Reply::Type::kArray;
  minishop::redis::Reply rid;
  rid.type = minishop::redis::Reply::Type::kString;
  rid.str = "42-123456-1";
  reply.elements = {Int(0), Int(9999), rid, Int(1'764'000'000'000)};
  for (auto _ : state) {
    auto r = minishop::seckill::MapPurchaseReply(reply);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MapPurchaseReplyReserved);

void BM_MapPurchaseReplySoldOut(benchmark::State& state) {
  minishop::redis::Reply reply;
  reply.type = minishop::redis::Reply::Type::kArray;
  reply.elements = {Int(1), Int(0)};
  for (auto _ : state) {
    auto r = minishop::seckill::MapPurchaseReply(reply);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_MapPurchaseReplySoldOut);

// The purchase script's EVALSHA as it was built before: owned key and argument strings,
// an argv vector, then RESP.
void BM_PurchaseCommandOwnedArgv(benchmark::State& state) {
  const minishop::redis::Script script("return 1");
  std::string out;
  for (auto _ : state) {
    std::vector<std::string> argv;
    argv.reserve(12);
    argv.push_back("EVALSHA");
    argv.push_back(script.sha1);
    argv.push_back("5");
    argv.push_back(minishop::contracts::MetaKey(42));
    argv.push_back(minishop::contracts::StockKey(42));
    argv.push_back(minishop::contracts::BuyersKey(42));
    argv.push_back(minishop::contracts::StatusKey(42));
    argv.push_back(minishop::contracts::OutboxKey(42));
    argv.push_back(std::to_string(123456));
    argv.push_back(std::to_string(1));
    argv.push_back(std::string(55, 't'));
    argv.push_back(std::to_string(42));
    out.clear();
    minishop::redis::AppendCommand(out, argv);
    benchmark::DoNotOptimize(out.data());
  }
}
BENCHMARK(BM_PurchaseCommandOwnedArgv);

// The command now: a batch of N purchases of one sale (what one loop gathered in one
// iteration) encoded straight into the reused output buffer; per purchase.
void BM_PurchaseBatchCommand(benchmark::State& state) {
  const minishop::redis::Script script("return 1");
  const std::string traceparent(55, 't');
  const auto n = static_cast<int64_t>(state.range(0));
  std::string out;
  for (auto _ : state) {
    minishop::seckill::PurchaseBatch batch(42);
    for (int64_t i = 0; i < n; ++i) batch.Add(123456 + i, 1, traceparent, {}, {});
    out.clear();
    minishop::redis::AppendEval(out, "EVALSHA", script.sha1, batch.keys(), batch.args());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * n);
}
BENCHMARK(BM_PurchaseBatchCommand)->Arg(1)->Arg(16);

constexpr std::string_view kReservedWire =
    "*4\r\n:0\r\n:9999\r\n$11\r\n42-123456-1\r\n:1764000000000\r\n";

// One reply of `wire` (fed whole) through `reader`: what its object functions built.
void* ReadOne(redisReader* reader, std::string_view wire) {
  redisReaderFeed(reader, wire.data(), wire.size());
  void* raw = nullptr;
  redisReaderGetReply(reader, &raw);
  return raw;
}

// A hiredis reader building Replies in place, as the blocking client reads.
redisReader* ReplyReader() {
  redisReader* reader = redisReaderCreate();
  reader->fn = minishop::redis::ReplyBuilder();
  return reader;
}

using OwnedReply = std::unique_ptr<minishop::redis::Reply>;

// The script's reply through hiredis's reader building a Reply in place.
void BM_PurchaseReplyHiredis(benchmark::State& state) {
  redisReader* reader = ReplyReader();
  for (auto _ : state) {
    OwnedReply reply(static_cast<minishop::redis::Reply*>(ReadOne(reader, kReservedWire)));
    benchmark::DoNotOptimize(reply);
  }
  redisReaderFree(reader);
}
BENCHMARK(BM_PurchaseReplyHiredis);

// What the outbox relay reads per XREADGROUP: `state.range(0)` entries of one outbox
// stream, each with the seven fields the purchase script writes.
std::string OutboxReadWire(int64_t entries) {
  const std::string tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  std::string wire = "*1\r\n*2\r\n";
  auto bulk = [&](const std::string& v) {
    wire += "$" + std::to_string(v.size()) + "\r\n" + v + "\r\n";
  };
  bulk("ms:{s42}:outbox");
  wire += "*" + std::to_string(entries) + "\r\n";
  for (int64_t i = 0; i < entries; ++i) {
    const std::string user = std::to_string(100000 + i);
    wire += "*2\r\n";
    bulk("1764000000000-" + std::to_string(i));
    wire += "*14\r\n";
    const std::string fields[] = {
        "rid", "42-" + user + "-1", "sale", "42", "user", user, "qty", "1", "price", "1999",
        "ts",  "1764000000000",     "tp",   tp};
    for (const std::string& v : fields) bulk(v);
  }
  return wire;
}

// hiredis's own reply tree (an object and a buffer per element), as the relay read before
// it built Replies in place; the deep copy into Replies it also paid is not counted here.
void BM_OutboxReadHiredisTree(benchmark::State& state) {
  const std::string wire = OutboxReadWire(state.range(0));
  redisReader* reader = redisReaderCreate();
  for (auto _ : state) {
    void* raw = ReadOne(reader, wire);
    benchmark::DoNotOptimize(raw);
    freeReplyObject(raw);
  }
  redisReaderFree(reader);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OutboxReadHiredisTree)->Arg(64);

// The same reply built as a Reply in place and turned into outbox entries (the relay now).
void BM_OutboxReadBuilder(benchmark::State& state) {
  const std::string wire = OutboxReadWire(state.range(0));
  redisReader* reader = ReplyReader();
  for (auto _ : state) {
    OwnedReply reply(static_cast<minishop::redis::Reply*>(ReadOne(reader, wire)));
    auto entries = minishop::seckill::ParseReadReply(std::move(*reply));
    benchmark::DoNotOptimize(entries);
  }
  redisReaderFree(reader);
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_OutboxReadBuilder)->Arg(64);

// The order worker's read of one AMQP message of 100 reservations (the relay's packing),
// per reservation: without a JSON tree (what it does for well-formed messages) and through
// the library's tree (what it did for every message, and still does for any other).
std::string ReservationMessage() {
  std::string body = "[";
  for (int64_t i = 0; i < 100; ++i) {
    minishop::order::Reservation r;
    r.reservation_id = "42-" + std::to_string(100000 + i) + "-1";
    r.sale_id = 42;
    r.user_id = 100000 + i;
    r.qty = 1;
    r.price_cents = 1999;
    r.ts_ms = 1764000000000;
    r.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    if (i > 0) body += ",";
    body += minishop::order::ReservationJson(r);
  }
  return body + "]";
}

void BM_ReservationMessage(
    benchmark::State& state,
    minishop::Result<minishop::order::ParsedMessage> (*parse)(std::string_view)) {
  const std::string body = ReservationMessage();
  for (auto _ : state) {
    auto parsed = parse(body);
    benchmark::DoNotOptimize(parsed);
  }
  state.SetItemsProcessed(state.iterations() * 100);
}
BENCHMARK_CAPTURE(BM_ReservationMessage, Plain, &minishop::order::ParseMessage);
BENCHMARK_CAPTURE(BM_ReservationMessage, Tree, &minishop::order::ParseMessageTree);

// The same reply parsed in place by the client's RESP parser.
void BM_PurchaseReplyParse(benchmark::State& state) {
  for (auto _ : state) {
    minishop::redis::Reply reply;
    size_t used = 0;
    auto r = minishop::redis::ParseReply(kReservedWire, reply, used);
    benchmark::DoNotOptimize(r);
    benchmark::DoNotOptimize(reply);
  }
}
BENCHMARK(BM_PurchaseReplyParse);

// The 202 body exactly as Gateway::Purchase built it before (nlohmann::json, then dump).
void BM_JsonAcceptedResponse(benchmark::State& state) {
  const std::string rid = "42-123456-1";
  for (auto _ : state) {
    auto res = minishop::gateway::Json(http::status::accepted, {{"reservation_id", rid},
                                                                {"status", "pending"},
                                                                {"sale_id", int64_t{42}},
                                                                {"quantity", int64_t{1}}});
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_JsonAcceptedResponse);

// The 202 body as Gateway::Purchase writes it now (same bytes, one string).
void BM_HandBuiltAcceptedResponse(benchmark::State& state) {
  const std::string rid = "42-123456-1";
  for (auto _ : state) {
    std::string body;
    body.reserve(80 + rid.size());
    body.append(R"({"quantity":)").append("1").append(R"(,"reservation_id":")").append(rid);
    body.append(R"(","sale_id":)").append("42").append(R"(,"status":"pending"})");
    auto res = minishop::net::JsonResponse(http::status::accepted, std::move(body));
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_HandBuiltAcceptedResponse);

// The 410 every post-sell-out request gets.
void BM_JsonSoldOutError(benchmark::State& state) {
  for (auto _ : state) {
    auto res = minishop::gateway::ErrorResponse(
        minishop::MakeError(minishop::seckill::kSoldOut, "the sale is sold out"));
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_JsonSoldOutError);

}  // namespace
