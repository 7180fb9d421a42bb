// Micro-benchmarks of the pieces every purchase request goes through, in the order it meets
// them: HTTP parse and route, JWT verify, the purchase script's reply mapping, and the JSON
// response. Each runs on one thread with no I/O.
#include <benchmark/benchmark.h>

#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/parser.hpp>
#include <boost/beast/http/string_body.hpp>
#include <chrono>

#include "auth/jwt.h"
#include "gateway/gateway.h"
#include "net/http_types.h"
#include "seckill/purchase_script.h"

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
    auto path = minishop::gateway::SplitPath(msg.target());
    auto id = minishop::gateway::ParseId(path.size() > 3 ? path[3] : "");
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

// The 202 body exactly as Gateway::Purchase builds it (nlohmann::json, then dump).
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

// The 410 every post-sell-out request gets.
void BM_JsonSoldOutError(benchmark::State& state) {
  for (auto _ : state) {
    auto res = minishop::net::ErrorResponse(minishop::Code::kSoldOut, "the sale is sold out");
    benchmark::DoNotOptimize(res);
  }
}
BENCHMARK(BM_JsonSoldOutError);

}  // namespace
