// Bad input gets the exact 4xx and JSON error, and nothing is written.
#include <gtest/gtest.h>

#include "auth/jwt.h"
#include "common/clock.h"
#include "integration/minishop_system.h"

namespace minishop::testing {
namespace {
namespace http = net::http;

class BadInputTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    auto sys = MiniShopSystem::Start("badinput");
    ASSERT_TRUE(sys.ok()) << sys.error().message;
    sys_ = std::move(*sys);
    user_ = sys_->RegisterUsers("bad", 1).at(0);
    int64_t now = NowEpochMs();
    open_sale_ = sys_->CreateSale(10, 1, now - 1000, now + 600'000);
    future_sale_ = sys_->CreateSale(10, 1, now + 600'000, now + 1'200'000);
    past_sale_ = sys_->CreateSale(10, 1, now - 600'000, now - 1000);
  }
  static void TearDownTestSuite() { sys_.reset(); }

  static void ExpectError(const ApiResponse& r, int status, const std::string& code) {
    EXPECT_EQ(r.status, status) << r.body.dump();
    ASSERT_TRUE(r.body.is_object()) << "error body must be JSON";
    EXPECT_EQ(r.body["error"]["code"], code) << r.body.dump();
    EXPECT_TRUE(r.body["error"]["message"].is_string());
  }
  static std::string Purchase(int64_t sale) {
    return "/api/v1/sales/" + std::to_string(sale) + "/purchase";
  }
  void TearDown() override {
    // Nothing any bad request did reached PostgreSQL's orders or Redis's stock.
    auto rows = sys_->db().Exec("SELECT count(*) FROM orders");
    ASSERT_TRUE(rows.ok());
    EXPECT_EQ(rows->GetInt64(0, 0), 0);
    for (int64_t sale : {open_sale_, future_sale_, past_sale_}) {
      nlohmann::json stats = sys_->Stats(sale);
      EXPECT_EQ(stats["reserved_units"], 0) << stats.dump();
      EXPECT_EQ(stats["redis_stock"], 10) << stats.dump();
    }
  }

  static inline std::unique_ptr<MiniShopSystem> sys_;
  static inline std::string user_;
  static inline int64_t open_sale_ = 0, future_sale_ = 0, past_sale_ = 0;
};

TEST_F(BadInputTest, MalformedJsonIs400) {
  ExpectError(sys_->Call(http::verb::post, "/api/v1/auth/register", "{\"email\": "), 400,
              "bad_request");
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_), "{nope", user_), 400,
              "bad_request");
}

TEST_F(BadInputTest, WrongTypesAre400) {
  ExpectError(
      sys_->Call(http::verb::post, "/api/v1/auth/register", R"({"email":5,"password":"x"})"), 400,
      "bad_request");
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_), R"({"quantity":"one"})", user_),
              400, "bad_request");
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_), R"({"quantity":0})", user_), 400,
              "bad_request");
  ExpectError(sys_->Call(http::verb::post, "/api/v1/admin/sales",
                         R"({"product_name":"x","stock":"10"})", sys_->AdminToken()),
              400, "bad_request");
}

TEST_F(BadInputTest, NonJsonContentTypeIs415) {
  ExpectError(sys_->Call(http::verb::post, "/api/v1/auth/login", "email=a", "",
                         {{"Content-Type", "application/x-www-form-urlencoded"}}),
              415, "unsupported_media_type");
}

TEST_F(BadInputTest, MissingForgedOrExpiredTokenIs401) {
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_)), 401, "unauthorized");
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_), "", "not.a.token"), 401,
              "unauthorized");
  auth::JwtCodec forger("someone-elses-secret-0123456789abcdef");
  int64_t now = NowEpochMs() / 1000;
  std::string forged = forger.Sign({1, auth::Role::kAdmin, now, now + 3600});
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_), "", forged), 401, "unauthorized");
  auth::JwtCodec real("integration-test-secret-0123456789abcdef");
  std::string expired = real.Sign({1, auth::Role::kUser, now - 7200, now - 3600});
  ApiResponse r = sys_->Call(http::verb::post, Purchase(open_sale_), "", expired);
  ExpectError(r, 401, "unauthorized");
  EXPECT_EQ(r.body["error"]["message"], "token expired");
  ExpectError(
      sys_->Call(http::verb::post, Purchase(open_sale_), "", "", {{"Authorization", "Basic abc"}}),
      401, "unauthorized");
}

TEST_F(BadInputTest, WrongCredentialsAre401) {
  ExpectError(sys_->Call(http::verb::post, "/api/v1/auth/login",
                         R"({"email":"bad-0@test.local","password":"wrong-password"})"),
              401, "unauthorized");
}

TEST_F(BadInputTest, UserTokenOnAdminEndpointIs403) {
  ExpectError(
      sys_->Call(
          http::verb::post, "/api/v1/admin/sales",
          R"({"product_name":"x","price_cents":1,"stock":1,"starts_at_ms":1,"ends_at_ms":2})",
          user_),
      403, "forbidden");
  auto rows = sys_->db().Exec("SELECT count(*) FROM sales");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), 3);
}

TEST_F(BadInputTest, UnknownSaleRouteAndMethod) {
  ExpectError(sys_->Call(http::verb::get, "/api/v1/sales/999999"), 404, "not_found");
  ExpectError(sys_->Call(http::verb::post, Purchase(999999), "", user_), 404, "not_found");
  ExpectError(sys_->Call(http::verb::get, "/api/v1/sales/abc"), 404, "not_found");
  ExpectError(sys_->Call(http::verb::get, "/api/v1/nothing-here"), 404, "not_found");
  ExpectError(sys_->Call(http::verb::delete_, "/api/v1/sales"), 405, "method_not_allowed");
}

TEST_F(BadInputTest, OversizeBodyIs413) {
  std::string big = "{\"email\":\"" + std::string(70'000, 'a') + "\"}";
  ExpectError(sys_->Call(http::verb::post, "/api/v1/auth/register", big), 413, "payload_too_large");
}

TEST_F(BadInputTest, PurchaseBeforeStartIs425AndAfterEndIs403) {
  ExpectError(sys_->Call(http::verb::post, Purchase(future_sale_), "", user_), 425, "not_started");
  ExpectError(sys_->Call(http::verb::post, Purchase(past_sale_), "", user_), 403, "ended");
}

TEST_F(BadInputTest, ReservationOfSomeoneWithoutOneIs404) {
  ExpectError(sys_->Call(http::verb::get, "/api/v1/sales/" + std::to_string(open_sale_) + "/order",
                         "", user_),
              404, "not_found");
}

}  // namespace
}  // namespace minishop::testing
