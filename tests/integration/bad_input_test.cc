// Bad input gets the exact 4xx and JSON error, and nothing is written.
#include <gtest/gtest.h>

#include <thread>

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
    // A sale that has ended cannot be created (that is one of the tests): one that ends
    // shortly, then the wait until it has.
    const int64_t ends = NowEpochMs() + 2000;
    past_sale_ = sys_->CreateSale(10, 1, ends - 5000, ends);
    while (NowEpochMs() <= ends + 50) std::this_thread::sleep_for(std::chrono::milliseconds(50));
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
    auto rows = sys_->db().Exec(
        "SELECT count(*) FROM orders WHERE sale_id IN ($1, $2, $3)",
        {std::to_string(open_sale_), std::to_string(future_sale_), std::to_string(past_sale_)});
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
              "invalid_json");
  ExpectError(sys_->Call(http::verb::post, Purchase(open_sale_), "{nope", user_), 400,
              "invalid_json");
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
  auto rows = sys_->db().Exec("SELECT count(*) FROM sales WHERE product_name = 'x'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), 0);
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

// RFC 7493 §2.3: {"quantity":1,"quantity":5} bought 5 units (the last key won) where a proxy
// or a log reading the first saw 1. Every JSON body refuses duplicate keys and NUL.
TEST_F(BadInputTest, DuplicateKeysAndNulInAnyBodyAre400InvalidJson) {
  ExpectError(
      sys_->Call(http::verb::post, Purchase(open_sale_), R"({"quantity":1,"quantity":5})", user_),
      400, "invalid_json");
  ExpectError(
      sys_->Call(http::verb::post, "/api/v1/auth/register",
                 R"({"email":"dup@test.local","email":"x@test.local","password":"p-12345678"})"),
      400, "invalid_json");
  ExpectError(sys_->Call(http::verb::post, "/api/v1/auth/register",
                         R"({"email":"nul\u0000@test.local","password":"p-12345678"})"),
              400, "invalid_json");
  ExpectError(sys_->Call(http::verb::post, "/api/v1/admin/sales",
                         R"({"product_name":"x","product_name":"y","price_cents":1,"stock":1,)"
                         R"("starts_at_ms":1,"ends_at_ms":2})",
                         sys_->AdminToken()),
              400, "invalid_json");
  auto users =
      sys_->db().Exec("SELECT count(*) FROM users WHERE email LIKE '%dup%' OR email LIKE 'nul%'");
  ASSERT_TRUE(users.ok());
  EXPECT_EQ(users->GetInt64(0, 0), 0);
}

// A sale is validated whole; each refusal names the field and creates nothing.
TEST_F(BadInputTest, AnImpossibleSaleIs400NamingTheField) {
  const int64_t now = NowEpochMs();
  nlohmann::json base = {
      {"product_name", "x"}, {"price_cents", 100},           {"stock", 5},
      {"limit_per_user", 1}, {"starts_at_ms", now + 60'000}, {"ends_at_ms", now + 120'000}};
  const std::vector<std::pair<std::string, nlohmann::json>> bad = {
      {"starts_at_ms", now - 5000},  // with ends_at_ms = now - 4000: ended before it existed
      {"price_cents", int64_t{1} << 40},
      {"stock", 0},
      {"stock", int64_t{1} << 40},
      {"product_name", std::string(300, 'n')},
      {"product_name", "x\x07"},
      {"ends_at_ms", now + 60'000 + 91LL * 24 * 3600 * 1000},
      {"surprise", true},
  };
  for (const auto& [field, value] : bad) {
    nlohmann::json body = base;
    body[field] = value;
    if (field == "starts_at_ms") body["ends_at_ms"] = now - 4000;
    ApiResponse r =
        sys_->Call(http::verb::post, "/api/v1/admin/sales", body.dump(), sys_->AdminToken());
    ExpectError(r, 400, "bad_request");
    const std::string named = field == "starts_at_ms" ? "ends_at_ms" : field;
    EXPECT_NE(r.body["error"]["message"].get<std::string>().find(named), std::string::npos)
        << r.body.dump();
  }
  auto rows = sys_->db().Exec(
      "SELECT count(*) FROM sales WHERE product_name LIKE 'x%' OR product_name LIKE 'nnn%'");
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), 0);
}

// RFC 9112 §6: framing the server cannot trust is refused and the connection closed; the
// purchase behind it never runs.
TEST_F(BadInputTest, FaultyFramingIs400AndNeverPurchases) {
  const std::string target = Purchase(open_sale_);
  const std::string auth = "Authorization: Bearer " + user_ + "\r\n";
  const std::string json = "Content-Type: application/json\r\n";
  const std::vector<std::pair<std::string, std::string>> cases = {
      {"POST " + target + " HTTP/1.0\r\n" + auth + json +
           "Transfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       "400"},
      {"POST " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + json +
           "Transfer-Encoding: gzip, chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       "501"},
      {"POST " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + json +
           "Transfer-Encoding: chunked\r\nContent-Length: 2\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
       "400"},
      {"POST " + target + " HTTP/1.1\r\nHost: x\r\n" + auth + json +
           "Transfer-Encoding: chunked\r\n\r\nxyz\r\n{}\r\n0\r\n\r\n",
       "400"},
  };
  for (const auto& [request, status] : cases) {
    std::string out = sys_->Raw(request);
    EXPECT_EQ(out.substr(9, 3), status) << request << "\n---\n" << out;
    EXPECT_NE(out.find("\"error\":{\"code\""), std::string::npos) << out;
  }
}

// What the README promises for a header block too large: 431, and 414 for a long request
// line — also well past any read buffer.
TEST_F(BadInputTest, OversizeHeadersAre431AndLongTargetsAre414) {
  // Raw: a client library stops reading when the server refuses the rest of its write.
  for (size_t size : {64u * 1024, 100u * 1024}) {
    std::string out = sys_->Raw("GET /api/v1/sales HTTP/1.1\r\nHost: x\r\nX-Padding: " +
                                std::string(size, 'p') + "\r\n\r\n");
    EXPECT_EQ(out.substr(0, 12), "HTTP/1.1 431") << size;
    EXPECT_NE(out.find("\"code\":\"headers_too_large\""), std::string::npos) << out;
  }
  std::map<std::string, std::string> many;
  for (int i = 0; i < 600; ++i) many["X-Field-" + std::to_string(i)] = "value-value-value";
  ExpectError(sys_->Call(http::verb::get, "/api/v1/sales", "", "", many), 431, "headers_too_large");
  ExpectError(sys_->Call(http::verb::get, "/api/v1/sales?q=" + std::string(20'000, 'q')), 414,
              "uri_too_long");
}

// A trace context is the one header that travels on to Redis, RabbitMQ and PostgreSQL. Each
// of these once answered 202 and then stranded the reservation (the relay refused the 0xE9
// bytes); now each purchase becomes exactly one order carrying a canonical trace context.
TEST_F(BadInputTest, HostileTraceContextsNeverStrandAReservation) {
  const int64_t now = NowEpochMs();
  const int64_t sale = sys_->CreateSale(20, 1, now - 1000, now + 600'000);
  const std::string valid = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  const std::vector<std::string> values = {
      "00-" + std::string(32, '\xE9') + "-0000000000000000-01",
      "00-4BF92F3577B34DA6A3CE929D0E0E4736-00F067AA0BA902B7-01",
      "00-00000000000000000000000000000000-00f067aa0ba902b7-01",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01",
      "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
      valid + "-extra",
      "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7",
      std::string(55, '-'),
      "cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-future",
      valid,
  };
  std::vector<std::string> users =
      sys_->RegisterUsers("trace", static_cast<int>(values.size()) + 1);
  for (size_t i = 0; i < values.size(); ++i) {
    ApiResponse r =
        sys_->Call(http::verb::post, Purchase(sale), "", users[i], {{"traceparent", values[i]}});
    EXPECT_EQ(r.status, 202) << i << ": " << r.body.dump();
  }
  // Two traceparent fields form a list, which is no valid value either.
  std::string out = sys_->Raw(
      "POST " + Purchase(sale) + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + users.back() +
      "\r\ntraceparent: " + valid + "\r\ntraceparent: " + valid + "\r\nConnection: close\r\n\r\n");
  EXPECT_EQ(out.substr(9, 3), "202") << out;
  nlohmann::json stats = sys_->WaitSettled(sale, std::chrono::seconds(30));
  ASSERT_TRUE(stats.is_object());
  for (const auto& [name, holds] : stats["invariants"].items())
    EXPECT_TRUE(holds) << name << stats.dump();
  auto rows = sys_->db().Exec(
      "SELECT count(*), count(*) FILTER (WHERE traceparent ~ "
      "'^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$'), count(*) FILTER (WHERE traceparent = $2)"
      " FROM orders WHERE sale_id = $1",
      {std::to_string(sale), valid});
  ASSERT_TRUE(rows.ok());
  EXPECT_EQ(rows->GetInt64(0, 0), static_cast<int64_t>(users.size()));
  EXPECT_EQ(rows->GetInt64(0, 1), static_cast<int64_t>(users.size()));  // all canonical
  EXPECT_EQ(rows->GetInt64(0, 2), 2);  // the valid one, and the future version read as 00
  for (const std::string& token : users) {
    ApiResponse r =
        sys_->Call(http::verb::get, "/api/v1/sales/" + std::to_string(sale) + "/order", "", token);
    EXPECT_EQ(r.body["status"], "awaiting_payment") << r.body.dump();
  }
}

TEST_F(BadInputTest, IdempotencyKeyOutsidePrintableAsciiIs400) {
  for (const std::string& key : {std::string("caf\xc3\xa9"),
                                std::string("a\x01"
                                            "b"),
                                std::string(201, 'k')}) {
    ExpectError(
        sys_->Call(http::verb::post, Purchase(open_sale_), "", user_, {{"Idempotency-Key", key}}),
        400, "bad_request");
  }
}

}  // namespace
}  // namespace minishop::testing
