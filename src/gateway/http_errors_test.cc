#include "gateway/http_errors.h"

#include <gtest/gtest.h>

#include "order/order_api.h"
#include "seckill/seckill_api.h"

namespace minishop::gateway {
namespace {
namespace http = net::http;

http::status Of(Outcome o) { return StatusFor(MakeError(o, "")); }
http::status Of(Code c) { return StatusFor(MakeError(c, "")); }

TEST(HttpErrorsTest, MapsEveryPurchaseOutcome) {
  EXPECT_EQ(Of(seckill::kSoldOut), http::status::gone);
  EXPECT_EQ(Of(seckill::kLimitReached), http::status::conflict);
  EXPECT_EQ(static_cast<int>(Of(seckill::kNotStarted)), 425);
  EXPECT_EQ(Of(seckill::kEnded), http::status::forbidden);
  EXPECT_EQ(Of(kRateLimited), http::status::too_many_requests);
  EXPECT_EQ(Of(Code::kUnavailable), http::status::service_unavailable);
}

TEST(HttpErrorsTest, MapsGenericCodesWithStablePublicNames) {
  EXPECT_EQ(Of(Code::kInvalidArgument), http::status::bad_request);
  EXPECT_EQ(PublicCode(MakeError(Code::kInvalidArgument, "")), "bad_request");
  EXPECT_EQ(Of(Code::kUnauthenticated), http::status::unauthorized);
  EXPECT_EQ(PublicCode(MakeError(Code::kUnauthenticated, "")), "unauthorized");
  EXPECT_EQ(PublicCode(MakeError(Code::kPermissionDenied, "")), "forbidden");
  EXPECT_EQ(PublicCode(MakeError(Code::kDeadlineExceeded, "")), "timeout");
  EXPECT_EQ(Of(Code::kNotFound), http::status::not_found);
  EXPECT_EQ(Of(order::kPaymentDeclined), http::status::payment_required);
  EXPECT_EQ(Of(order::kKeyReused), http::status::unprocessable_entity);
  EXPECT_EQ(Of(kInvalidJson), http::status::bad_request);
  EXPECT_EQ(PublicCode(MakeError(kInvalidJson, "")), "invalid_json");
}

TEST(HttpErrorsTest, AnUnknownNameFallsBackToItsGenericCode) {
  constexpr Outcome kElsewhere{Code::kUnavailable, "elsewhere"};
  EXPECT_EQ(Of(kElsewhere), http::status::service_unavailable);
}

TEST(HttpErrorsTest, UnavailableCarriesRetryAfter) {
  net::Response r = ErrorResponse(MakeError(Code::kUnavailable, "redis down"));
  EXPECT_EQ(r[http::field::retry_after], "1");
  EXPECT_EQ(r.body(), R"({"error":{"code":"unavailable","message":"redis down"}})");
  EXPECT_EQ(ErrorResponse(MakeError(Code::kNotFound, "x")).count(http::field::retry_after), 0u);
}

TEST(HttpErrorsTest, RecoveringIsServiceUnavailableWithRetryAfter) {
  net::Response r = ErrorResponse(MakeError(seckill::kRecovering, "the sale is being restored"));
  EXPECT_EQ(r.result(), http::status::service_unavailable);
  EXPECT_EQ(r[http::field::retry_after], "1");
  EXPECT_EQ(r.body(), R"({"error":{"code":"recovering","message":"the sale is being restored"}})");
}

}  // namespace
}  // namespace minishop::gateway
